"""Bilingual terms mined from the reports themselves: a Chinese term with its English in brackets."""
from __future__ import annotations

from rag.glossary import Glossary, Term
from rag.term_mining import chinese_term, mined_terms

TEXTS = [
    "欧盟层面，人工智能办公室（AI Office）负责监督通用模型，以及欧洲电信标准化协会（ETSI）参与标准制定。",
    "《通用数据保护条例》（General Data Protection Regulation）于2018年生效。",
    "欧洲电信标准化协会（ETSI）发布了报告，见第（ii）段；資料處理者（data processor）须遵守。",
]


def test_the_term_is_the_words_after_the_last_function_word():
    assert chinese_term("以及欧洲电信标准化协会") == "欧洲电信标准化协会"
    assert chinese_term("月的世界电信标准化全会") == "世界电信标准化全会"
    assert chinese_term("《通用数据保护条例》") == "通用数据保护条例"


def test_pairs_become_terms_in_simplified_chinese_and_list_numbers_do_not():
    terms = {t.en[0]: t.zh for t in mined_terms(TEXTS)}
    assert terms["ETSI"] == ("欧洲电信标准化协会",)
    assert terms["General Data Protection Regulation"] == ("通用数据保护条例",)
    assert terms["data processor"] == ("资料处理者",)  # Traditional in the text, Simplified as a term
    assert "ii" not in terms and "AI Office" in terms


def test_english_the_bundled_glossary_holds_is_left_to_it():
    known = Glossary([Term(("ETSI",), ("欧洲电信标准协会",))])
    assert "ETSI" not in {t.en[0] for t in mined_terms(TEXTS, known)}


def test_the_retriever_expands_an_english_question_with_a_term_of_the_indexed_reports(engine):
    glossary = engine.retriever.glossary
    mined = {t.en[0]: t for t in glossary.terms}
    # the bundled reports write "联合作战云能力（JWCC）"; rag/glossary.tsv has no such line
    assert "JWCC" in mined and "联合作战云能力" in mined["JWCC"].zh
    assert "联合作战云能力" in glossary.expand("Who won the JWCC contract?").preferred
