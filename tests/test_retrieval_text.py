"""The BM25 tokenizer and the bilingual glossary (mostly without an index), and how the lexical arm is weighed."""
from __future__ import annotations

from rag.glossary import GLOSSARY_PATH, Glossary, default_glossary
from rag.lexical import default_tokenizer, standard_ids
from rag.records import Chunk
from rag.retrieval import fuse, spread_across_reports


def test_tokenizer_keeps_standard_ids_whole():
    tokens = default_tokenizer()("ISO/IEC JTC 1/SC 42 发布了 ISO/IEC 42001:2023《人工智能管理体系》")
    assert "sc 42" in tokens
    assert "iso/iec 42001" in tokens and "iso/iec 42001:2023" in tokens
    # the same ids written without spaces or in full-width forms meet the same tokens
    assert {"jtc 1", "sc 42"} <= set(default_tokenizer()("JTC1/SC42"))
    assert "iso/iec 42001" in default_tokenizer()("ＩＳＯ／ＩＥＣ　４２００１")
    assert standard_ids("TC260 与 GB/T 45654-2025") == ["tc 260", "gb/t 45654-2025"]


def test_tokenizer_segments_chinese_and_stems_english():
    tokens = default_tokenizer()("发展新质生产力与共建一带一路的机制复合体，罚款最高3500万欧元")
    # glossary terms survive whole, and search mode also yields their parts
    assert {"新质生产力", "一带一路", "机制复合体", "生产力", "3500", "欧元"} <= set(tokens)
    assert "的" not in tokens and "，" not in tokens
    assert default_tokenizer()("Regulations regulating") == ["regul", "regul"]


def test_glossary_expands_both_directions():
    glossary = default_glossary()
    english = glossary.expand("What is a regime complex in the Belt and Road?")
    assert "机制复合体" in english.all_variants and "一带一路" in english.all_variants
    chinese = glossary.expand("欧盟《人工智能法案》规定的罚款")
    assert {"AI Act", "fine"} <= set(chinese.all_variants)
    # acronyms match only in capitals: "us" is not the United States
    assert "美国" not in glossary.expand("Tell us about standards").all_variants
    assert "美国" in glossary.expand("How does the US regulate AI?").all_variants
    assert not glossary.expand("Bananas are yellow")


def test_glossary_matches_irregular_plurals_and_not_inside_hyphenated_words():
    glossary = default_glossary()
    assert "进出口" in glossary.expand("How did trade between them change?").all_variants
    assert "进出口" not in glossary.expand("What trade-off do the authors see?").all_variants
    assert "科技企业" in glossary.expand("How do technology companies take part?").all_variants
    # Chinese writes a Latin term against Han characters; a Latin letter beside it still ends no match
    assert "通用数据保护条例" in glossary.expand("GDPR与《条例》有何不同？").all_variants
    assert "通用数据保护条例" not in glossary.expand("What is GDPRX?").all_variants


def test_a_report_is_named_by_its_title_without_its_column_or_bracketed_year():
    from rag.mentions import ReportMentions
    from rag.records import Report

    reports = [Report(id="law", title="网络数据安全管理条例", source="a.md"),
               Report(id="hk", title="個人資料(私隱)條例（第486章）", source="b.xml"),
               Report(id="paper", title="数据要素白皮书(2022 年)", source="c.pdf"),
               Report(id="article", title="前沿 | 人工智能对个人信息保护的挑战及其应对", source="d.md"),
               Report(id="short", title="条例", source="e.md")]
    mentions = ReportMentions(reports)
    assert mentions.titled("《网络数据安全管理条例》和香港《个人资料(私隐)条例》分别提供了什么保障？") == ["law", "hk"]
    assert mentions.titled("数据要素白皮书与《人工智能对个人信息保护的挑战及其应对》") == ["paper", "article"]
    assert mentions.titled("各条例如何规定？") == []  # a title of fewer than four characters names nothing
    # a title named in the other language, by the glossary's forms of the question's terms
    gdpr = ReportMentions([*reports, Report(id="gdpr", title="通用数据保护条例", source="f.pdf")])
    question = "GDPR与《网络数据安全管理条例》对数据泄露通知有何不同？"
    assert gdpr.titled(question) == ["law"]
    assert gdpr.titled(question, default_glossary().expand(question).all_variants) == ["law", "gdpr"]
    assert mentions.find("《网络数据安全管理条例》如何规定？") == []  # retrieval's mentions stay authors and publishers


def test_an_organisation_is_found_by_its_short_name_and_its_pinyin():
    from rag.mentions import ReportMentions
    from rag.records import Report

    mentions = ReportMentions([
        Report(id="qax", title="甲", authors=["中国信息通信研究院", "奇安信科技集团股份有限公司"], source="a.pdf"),
        Report(id="caijing", title="乙", authors=["《财经》商业治理研究院"], source="b.pdf"),
        Report(id="caict", title="丙", authors=["中国信息通信研究院"], source="c.pdf")])
    assert mentions.find("CAICT与奇安信报告如何看待匿名化？") == ["qax"]
    assert mentions.find("What does the CAICT–Qi An Xin report expect?") == ["qax"]
    assert mentions.find("How do Qianxin and the Caijing report differ?") == ["qax", "caijing"]
    assert mentions.find("《财经》的报告如何评价隐私计算？") == ["caijing"]
    assert mentions.find("What does Qi'anxin say?") == ["qax"]
    # a short name inside a longer name or word names nothing
    assert mentions.find("上海财经大学的学者怎么看？") == [] and mentions.find("中南财经政法大学法学院") == []
    assert mentions.find("What does Qianxinyu say?") == []
    # a name two reports share points at neither
    assert mentions.find("中国信息通信研究院怎么看？") == []
    # a remainder of more than four characters is a description, not a name
    solo = ReportMentions([Report(id="tc", title="甲", authors=["全国信息安全标准化技术委员会"], source="a.pdf")])
    assert solo.find("全国信息安全标准化的报告") == [] and solo.find("全国信息安全标准化技术委员会的报告") == ["tc"]


def test_a_publisher_written_in_latin_letters_names_its_report():
    """An English report's publisher comes from its rights notice ("Cisco"); a question naming it,
    possessive and all, names the report. A company's legal tail is no part of how it is asked about."""
    from rag.mentions import ReportMentions
    from rag.records import Report

    mentions = ReportMentions([
        Report(id="cisco", title="Cisco 2022 Data Privacy Benchmark Study", authors=["Cisco"], source="a.pdf"),
        Report(id="ms", title="Microsoft Digital Defense Report", authors=["Microsoft Corporation"], source="b.pdf"),
        Report(id="seaman", title="乙", authors=["约翰·西曼 (John Seaman)"], source="c.txt")])
    assert mentions.find("In Cisco's 2022 privacy benchmark, where is privacy located?") == ["cisco"]
    assert mentions.find("What does Microsoft's report say?") == ["ms"]
    assert mentions.find("How does Seaman see it?") == ["seaman"]
    assert mentions.find("What do Ciscoes say?") == [] and mentions.find("What does John say?") == []
    # a Latin name the title does not hold (a typist or placeholder in a file's metadata) names nothing
    placeholders = ReportMentions([Report(id="a", title="甲", authors=["Microsoft Office User"], source="a.docx"),
                                   Report(id="b", title="Report", authors=["AI"], venue="Data", source="b.html")])
    for question in ("What does the MOU between the EU and US say?", "How is AI regulated?", "Data rules?"):
        assert placeholders.find(question) == [], question


def test_a_publishers_glossary_names_and_the_words_after_a_shared_name_tell_its_reports_apart():
    from rag.mentions import ReportMentions
    from rag.records import Report

    # corpus2's two CAICT reports, as their catalog entries read
    reports = [Report(id="paper", title="数据要素白皮书(2022 年)", authors=["中国信息通信研究院"], source="a.pdf"),
               Report(id="qax", title="数据安全风险分析及应对策略研究（2022 年）",
                      authors=["中国信息通信研究院云计算与大数据研究所", "奇安信科技集团股份有限公司"], source="b.pdf"),
               Report(id="alliance", title="丙", authors=["人工智能产业发展联盟"], source="c.pdf")]
    from rag.glossary import names_glossary

    mentions = ReportMentions(reports, Glossary([*default_glossary().terms, *names_glossary().terms]))
    assert mentions.find("How do the CAICT white paper and the CAICT–Qi An Xin report treat data grading?") == [
        "paper", "qax"]
    assert mentions.find("According to the CAICT data elements white paper, how much do banks spend?") == ["paper"]
    assert mentions.find("中国信通院《数据要素白皮书》统计了多少家数据交易机构？") == ["paper"]
    assert mentions.find("What does CAICT say about data security risks?") == ["qax"]
    # an English name next to Chinese; words after another name's conjunction are that one's
    assert mentions.find("CAICT发布的数据要素白皮书统计了什么？") == ["paper"]
    assert mentions.find("信通院和奇安信的白皮书分别怎么说？") == ["qax"]
    # an answer's own words never choose among the reports sharing a name it is checked against
    assert mentions.attributions("CAICT's white paper says data elements matter.") == []
    # a shared name with nothing after it that one title holds names neither
    assert mentions.find("信通院怎么看？") == [] and mentions.find("What does CAICT expect?") == []
    # without the names the English name is unknown; a general term is no body's name
    assert ReportMentions(reports).find("What does the CAICT white paper say?") == []
    assert mentions.find("How is AI governed?") == []
    # bodies' names and kinds of documents name reports, they are never added to a search
    assert not default_glossary().expand("the CAICT white paper").all_variants


def test_what_a_text_says_of_each_report_it_names():
    from rag.mentions import ReportMentions
    from rag.records import Report

    mentions = ReportMentions([Report(id="jiang", title="甲", authors=["姜伟"], source="a.md"),
                               Report(id="zhang", title="乙", authors=["张猛", "崔丽"], source="b.md")])
    assert mentions.attributions("姜伟建议制定基本法，张猛、崔丽建议完善登记制度。") == [
        ("jiang", "姜伟建议制定基本法，"), ("zhang", "张猛、崔丽建议完善登记制度。")]
    assert mentions.attributions("Jiang and Zhang both call for a basic law.") == [
        ("jiang", "Jiang and "), ("zhang", "Zhang both call for a basic law.")]
    assert mentions.attributions("报告建议制定基本法。") == []


def test_chinese_terms_left_in_an_english_answer_are_put_into_english():
    glossary = default_glossary()
    answer = "The EU AI Act defines four risk tiers:不可接受风险、高风险、有限风险和最小风险. [1]"
    assert glossary.english_terms(answer) == (
        "The EU AI Act defines four risk tiers: unacceptable risk, high-risk, limited risk and minimal risk. [1]")
    assert glossary.english_terms("Fines reach 35 million euros [1].") == "Fines reach 35 million euros [1]."
    # a term in quotes or a title's brackets stays inside them, unspaced; a straight quote opens
    # after a space and closes before one; marks the model set the wrong way round are left alone
    assert glossary.english_terms("its “一带一路” partners") == "its “Belt and Road” partners"
    assert glossary.english_terms('its "一带一路" partners') == 'its "Belt and Road" partners'
    assert glossary.english_terms("under 《数据安全法》.") == "under 《Data Security Law》."
    assert glossary.english_terms("China's 一带一路 plan") == "China's Belt and Road plan"
    assert glossary.english_terms("the so-called ”AI+” plan and 一带一路") == "the so-called ”AI+” plan and Belt and Road"


def test_glossary_file_is_well_formed(tmp_path):
    terms = Glossary.load(GLOSSARY_PATH).terms
    assert len(terms) > 100
    assert all(t.en and t.zh and all(t.en) and all(t.zh) for t in terms)
    bad = tmp_path / "bad.tsv"
    bad.write_text("only one column\n", encoding="utf-8")
    try:
        Glossary.load(bad)
    except ValueError as exc:
        assert "bad.tsv:1" in str(exc)
    else:
        raise AssertionError("a malformed glossary line must be rejected")


def _chunk(cid: str, report: str, ordinal: int, text: str = "") -> Chunk:
    return Chunk(id=cid, report_id=report, source="f.txt", ordinal=ordinal, text=text or cid, start=0, end=1)


def test_fusion_rewards_agreement_between_arms():
    fused = fuse([[("a", 0.9), ("b", 0.8)], [("b", 12.0), ("c", 3.0)]], rrf_k=60)
    assert [cid for cid, _ in fused] == ["b", "a", "c"]


def test_spread_across_reports_lets_a_second_report_in_without_losing_a_clear_winner():
    chunks = {f"a{i}": _chunk(f"a{i}", "A", i) for i in range(5)} | {"b0": _chunk("b0", "B", 0)}
    close = [("a0", 1.0), ("a1", 0.99), ("a2", 0.98), ("b0", 0.97), ("a3", 0.96)]
    assert [cid for cid, _ in spread_across_reports(close, chunks, k=4, decay=0.95)] == ["a0", "b0", "a1", "a2"]
    assert [cid for cid, _ in spread_across_reports(close, chunks, k=4, decay=1.0)] == ["a0", "a1", "a2", "b0"]
    far = [("a0", 1.0), ("a1", 0.99), ("b0", 0.5)]
    assert [cid for cid, _ in spread_across_reports(far, chunks, k=2, decay=0.95)] == ["a0", "a1"]
    # the order does not depend on k
    assert spread_across_reports(close, chunks, k=2, decay=0.95) == spread_across_reports(close, chunks, k=5, decay=0.95)[:2]


def _index_chinese_and_english_reports(tmp_path, settings, zh_parts: int, en_parts: int) -> None:
    """A Chinese report on AI standards and an English one on model audits, indexed into `settings`'s
    data dir; the parts set how much of the index each language holds."""
    from ingest.pipeline import ingest

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "zh_report.md").write_text(
        "# 人工智能治理观察\n\n" + "".join(f"第{i}部分讨论了人工智能标准体系建设、数据安全评估和算法备案制度的进展。"
                                      for i in range(1, zh_parts)),
        encoding="utf-8")
    (folder / "en_report.md").write_text(
        "# Notes on model audits\n\n" + " ".join(
            f"Section {i} describes how independent auditors test frontier models for dangerous capabilities "
            "before deployment and how labs report incidents to regulators." for i in range(1, en_parts)),
        encoding="utf-8")
    summary = ingest(settings, [folder])
    assert summary.ok, summary.skipped


def test_bm25_weight_follows_the_language_of_the_reports_a_filter_searches(tmp_path, fresh_settings):
    """An English report picked by filter in a mostly Chinese index: its English words match,
    so an English question over it keeps BM25 at full weight."""
    from rag.engine import Engine

    _index_chinese_and_english_reports(tmp_path, fresh_settings, zh_parts=120, en_parts=8)
    retriever = Engine(fresh_settings).retriever
    reports = {r.language: r.id for r in retriever.reports().values()}
    share = retriever.language_share()
    assert 0 < share["en"] < 0.5 < share["zh"], share
    assert retriever.language_share({reports["en"]}) == {"en": 1.0}


def test_bm25_counts_in_full_when_the_question_is_about_a_report_in_its_language(tmp_path, fresh_settings, monkeypatch):
    """In a mostly Chinese index an English question's words count as much as the index is in
    English, but a question about the one English report (its best dense hits are there) matches
    that report's own words: BM25 counts in full."""
    import rag.retrieval as retrieval
    from rag.engine import Engine

    _index_chinese_and_english_reports(tmp_path, fresh_settings, zh_parts=600, en_parts=40)
    retriever = Engine(fresh_settings.model_copy(update={"lexical_by_language_share": True})).retriever
    share = retriever.language_share()
    assert 0 < share["en"] < 0.5, share
    searched, fused = [], []
    real_search, real_fuse = retriever.lexical.search, retrieval.fuse
    monkeypatch.setattr(retriever.lexical, "search", lambda *a, **kw: searched.append(real_search(*a, **kw)) or searched[-1])
    monkeypatch.setattr(retrieval, "fuse", lambda *a, **kw: fused.append(a) or real_fuse(*a, **kw))

    def bm25_weight(question: str) -> float | None:
        searched.clear()
        fused.clear()
        retriever.retrieve(question, k=5)
        arms, _, weights = fused[0]
        return next((w for hits, w in zip(arms, weights) if any(hits is s for s in searched)), None)

    assert bm25_weight("How do independent auditors test frontier models before deployment?") == 1.0
    # an English question about the Chinese report's subject: its dense hits are Chinese, the share stands
    assert bm25_weight("What progress has algorithm filing and AI standard system building made?") in (share["en"], None)


def test_an_english_question_names_chinese_laws_by_their_english_titles():
    """China's data laws and Hong Kong's ordinance by their English names: an English comparison of
    two laws is read from both (a title is matched in Simplified, so the ordinance's Traditional
    title is named too)."""
    from rag.mentions import ReportMentions
    from rag.records import Report

    mentions = ReportMentions([Report(id="law", title="网络数据安全管理条例", source="a.md"),
                               Report(id="hk", title="個人資料(私隱)條例（第486章）", source="b.xml"),
                               Report(id="pipl", title="中华人民共和国个人信息保护法", source="c.md")])
    question = ("How do China's Network Data Security Regulation and Hong Kong's Personal Data (Privacy) "
                "Ordinance each treat direct marketing?")
    assert mentions.titled(question) == []
    assert set(mentions.titled(question, default_glossary().expand(question).all_variants)) == {"law", "hk"}
    asked = "What consent does the PIPL require?"
    assert mentions.titled(asked, default_glossary().expand(asked).all_variants) == ["pipl"]
    assert "Cybersecurity Law" in default_glossary().expand("《网络安全法》第二十一条").all_variants
    # a law's name only as written; 法 opening another word (法律, 法规) names no law
    assert "网络安全法" not in default_glossary().expand("Does the EU have a cybersecurity law?").all_variants
    assert "Cybersecurity Law" not in default_glossary().expand("我国网络安全法律法规体系如何？").all_variants
    assert mentions.titled("个人信息保护法规有哪些？") == [] and mentions.titled("《个人信息保护法》第十三条") == ["pipl"]
    assert mentions.titled("香港《个人资料（私隐）条例》如何规定？") == ["hk"]  # full-width brackets
    # its everyday name too ("Hong Kong's privacy ordinance"), but not another place's ordinance
    for casual in ("How do the GDPR and Hong Kong's privacy ordinance treat direct marketing?",
                   "Does the Hong Kong privacy ordinance require consent?", "What does Hong Kong’s privacy ordinance say?"):
        assert "hk" in mentions.titled(casual, default_glossary().expand(casual).all_variants), casual
    other = "Do US cities such as San Francisco have privacy ordinances?"
    assert "hk" not in mentions.titled(other, default_glossary().expand(other).all_variants)
