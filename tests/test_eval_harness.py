"""The eval harness: metrics, judges, runs over configs, the CLI. Real index, embedder and LLM."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from evals.judges import OfflineJudge, build_judge, judge_accuracy
from evals.metrics import citation_problems, citation_scores, cited_sentences, correctness
from evals.questions import load_judge_pairs, load_questions
from evals.runner import ConfigEngine, engine_for, retrieval_scores, run_eval, spread
from rag.records import Answer, Citation

FINE_PASSAGE = ("《人工智能法案》还设有严厉的惩罚性条款，例如，对于不遵守人工智能系统相关禁令的公司，"
                "将被处以最高 3500 万欧元或者该公司上一财年全球总营收额7%的罚款。")
UNRELATED_PASSAGE = "“一带一路”沿线国家的联合实验室建设在2023年底已超过50家，技术转移中心9个。"


@pytest.fixture(scope="module")
def offline_judge(engine):
    return OfflineJudge(engine.checker_embedder)


def test_correctness_scores_chinese_by_character_and_figures_by_magnitude():
    reference = "最高3500万欧元或全球营收7%的罚款。"
    assert correctness(reference, reference, "zh")["overlap"] == pytest.approx(1.0)
    partial = correctness("罚款最高为3500万欧元。", reference, "zh")
    assert 0.3 < partial["overlap"] < 1.0
    assert partial["figures_matched"] == pytest.approx(0.5)  # 3500万 kept, 7% missing

    en_reference = "Up to 3500万欧元 (35 million euros) or 7% of global turnover."
    right = correctness("Fines reach 35 million euros or 7% of turnover [1].", en_reference, "en")
    garbled = correctness("Fines reach 3500 million euros or 7% of turnover [1].", en_reference, "en")
    assert right["figures_matched"] == pytest.approx(1.0)
    assert garbled["figures_matched"] < 1.0
    assert 0 < right["overlap"] < 1


def test_markers_after_the_full_stop_stay_with_their_sentence():
    answer = Answer(question="q", language="zh", answer="罚款最高3500万欧元。[1] 专利中国占比61.5%[2]。")
    assert cited_sentences(answer) == [("罚款最高3500万欧元。", [1]), ("专利中国占比61.5%。", [2])]


def test_alce_citation_recall_and_precision_with_the_offline_judge(offline_judge):
    supported = "对于不遵守人工智能系统相关禁令的公司，将被处以最高3500万欧元或者该公司上一财年全球总营收额7%的罚款。"
    passages = {1: FINE_PASSAGE, 2: UNRELATED_PASSAGE}
    # the right source plus a superfluous one: recalled, half the citations are precise
    both = citation_scores([(supported, [1, 2])], passages, offline_judge)
    assert both == {"citation_recall": 1.0, "citation_precision": 0.5}
    # only the unrelated source: not recalled, no precise citation
    wrong = citation_scores([(supported, [2])], passages, offline_judge)
    assert wrong == {"citation_recall": 0.0, "citation_precision": 0.0}
    # a garbled magnitude is not supported even by the right source
    garbled = citation_scores([("Fines reach up to 3500 million euros.", [1])], passages, offline_judge)
    assert garbled["citation_recall"] == 0.0


def test_citation_problems_name_dangling_markers_and_foreign_text():
    citation = Citation(n=1, report_id="r", title="t", source="s", text=FINE_PASSAGE, quote="3500 万欧元", chunk_id="c1")
    answer = Answer(question="q", language="zh", answer="罚款最高3500万欧元[1]，见[3]。", citations=[citation])
    assert citation_problems(answer, {"c1": FINE_PASSAGE}) == ["[3] has no citation"]
    assert citation_problems(answer, {"c1": "another text"}) == [
        "[3] has no citation", "[1] text is not the stored passage 'c1'"]


def test_judge_accuracy_on_figure_and_unrelated_pairs(offline_judge):
    pairs = [p for p in load_judge_pairs() if p.kind in {"wrong_figure", "unrelated", "verbatim"}]
    result = judge_accuracy(offline_judge, pairs)
    assert result["n"] == len(pairs)
    assert result["accuracy"] == pytest.approx(1 - len(result["wrong"]) / len(pairs))
    assert set(result["by_kind"]) == {"wrong_figure", "unrelated", "verbatim"}
    assert result["by_kind"]["wrong_figure"] >= 0.8  # the magnitude check is the judge's reason to exist
    assert 0.0 <= result["balanced_accuracy"] <= 1.0


@pytest.mark.llm
def test_llm_judge_through_a_real_openai_compatible_server(engine):
    # a generous timeout: on a shared 2-core machine one claim list can take minutes
    settings = engine.settings.model_copy(
        update={"llm_base_url": engine.llm.http_base_url, "llm_model": "qwen", "llm_timeout_s": 900.0})
    judge = build_judge("llm", settings, engine.embedder)
    assert "llm" in judge.name
    assert judge.supports("对于不遵守禁令的公司，最高罚款为3500万欧元或全球总营收额的7%。", FINE_PASSAGE)
    assert not judge.supports("The United States fined Google 50 billion dollars in 1999.", UNRELATED_PASSAGE)
    claims = judge.claims("欧盟对违规公司最高罚款3500万欧元[1]。中国专利占比61.5%[2]。")
    assert claims and all("[" not in c for c in claims)


def test_spread_mixes_languages_and_types():
    questions = load_questions()
    picked = spread(questions, 8)
    assert len(picked) == 8 and len({q.id for q in picked}) == 8
    assert {q.lang for q in picked} == {"zh", "en"}
    assert "unanswerable" in {q.type for q in picked}
    assert spread(questions, None) == questions


def test_retrieval_scores_are_consistent_per_question(engine):
    question = next(q for q in load_questions() if q.id == "zh-002")
    sources, scores = retrieval_scores(engine, question)
    assert len(sources) == 10
    recalls = [scores[f"recall@{k}"] for k in (1, 3, 5, 10)]
    assert recalls == sorted(recalls)  # recall can only grow with k
    assert scores["mrr"] == 0 or scores["recall@10"] == 1
    assert scores["recall@5"] == 1.0  # the fine is stated verbatim in one chunk


def test_configs_share_the_loaded_models_and_apply_their_overrides(engine):
    extractive = engine_for(engine, "extractive")
    assert isinstance(extractive, ConfigEngine) and extractive.settings.answer_mode == "extractive"
    assert extractive.embedder is engine.embedder
    assert engine_for(engine, "dense").retriever.settings.retrieval_mode == "dense"
    assert engine_for(engine, "default") is engine
    with pytest.raises(ValueError, match="unknown eval config"):
        engine_for(engine, "no-such-config")


def test_run_writes_results_and_a_side_by_side_summary(engine, tmp_path, offline_judge):
    questions = spread(load_questions(), 4)
    # extractive answers need no LLM, so the full answer path is scored in seconds
    summary = run_eval(engine, questions, ["extractive"], tmp_path, offline_judge)
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["config"] for r in rows] == ["extractive"] * 4
    assert all(r["mode"] == "extractive" or r["refused"] for r in rows)
    assert all(len(r["retrieved"]) == 10 and "scores" in r for r in rows)
    answered = [r for r in rows if not r["refused"]]
    assert answered and all(r["scores"]["citations_valid"] for r in answered)
    overall = summary["configs"]["extractive"]["groups"]["all"]
    assert overall["n"] == 4 and "recall@5" in overall and "total_ms" in overall and "faithfulness" in overall
    assert set(summary["configs"]["extractive"]["groups"]) >= {"lang=zh", "lang=en"}
    markdown = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "| metric 指标 | extractive |" in markdown and "## extractive: by language and type" in markdown
    assert summary["judge"].startswith("offline")
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8")) == summary


def test_cli_rejects_evidence_not_in_the_corpus_naming_the_line(corpus_data_dir, tmp_path):
    from rag.cli import app

    good = load_questions()[0].model_dump()
    bad = {**good, "id": "x-2", "evidence": ["这句话不在任何报告里出现过"]}
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (good, bad)) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--data-dir", str(corpus_data_dir), "eval", "--questions", str(path),
                                      "--retrieval-only", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "line 2 (id x-2)" in result.output and "证据不在语料中" in result.output


def test_cli_runs_any_question_file_retrieval_only(corpus_data_dir, tmp_path):
    from rag.cli import app

    path = tmp_path / "two.jsonl"
    picked = [q.model_dump() for q in load_questions() if q.id in {"zh-002", "en-001"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in picked) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--data-dir", str(corpus_data_dir), "eval", "--questions", str(path),
                                      "--retrieval-only", "--config", "default", "--config", "top-k-3",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "| metric 指标 | default | top-k-3 |" in result.output
    assert (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").count("\n") == 4


def test_mixed_script_and_restating_count_the_answers_own_words_not_its_quotes():
    from evals.metrics import mixed_script_words, restates_question

    assert mixed_script_words("China is redefined as a systemic对手. [1]", "en") == 1
    assert mixed_script_words("欧盟对GPAI模型提出要求。[1]", "zh") == 0
    closest = ("The reports do not say this directly; the closest passages:\n"
               "“在职能方面，NAIIO处于“国家人工智能研究的中心枢纽”，会参与联邦工作。” [4]\n“2022年底以来，ChatGPT、DeepSeek等相继发布。” [3]")
    assert mixed_script_words(closest, "en") == 0
    question = "What does NAIIO do?"
    assert restates_question("What does NAIIO do? [1]", question)
    assert not restates_question(closest, question)
    # the question said again with the figure it asks for answers it
    asked = "截至2025年6月，CEN/CLC JTC 21发布了多少项人工智能标准？"
    assert not restates_question("截至2025年6月，CEN/CLC JTC 21发布了15项人工智能标准。[1]", asked)
    assert restates_question("截至2025年6月，CEN/CLC JTC 21发布了人工智能标准。[1]", asked)


def test_shown_evidence_counts_the_evidence_quotes_beside_the_cited_passages(offline_judge):
    from evals.metrics import answer_scores
    from evals.questions import EvalQuestion
    from rag.records import Evidence, Source

    def source(n: int, text: str) -> Source:
        return Source(rank=n, score=0.5, report_id=f"r{n}", title="t", source="s", text=text, chunk_id=f"c{n}")

    sources = [source(1, FINE_PASSAGE), source(2, UNRELATED_PASSAGE)]
    question = EvalQuestion(id="q", lang="zh", question="罚款上限和联合实验室数量各是多少？", type="fact", answer="3500万欧元；50家",
                            evidence=["最高 3500 万欧元", "联合实验室建设在2023年底已超过50家"])
    cited = Citation(n=1, report_id="r1", title="t", source="s", text=FINE_PASSAGE, quote="3500 万欧元", chunk_id="c1")
    answer = Answer(question=question.question, language="zh", answer="罚款最高3500万欧元。[1]", citations=[cited],
                    sources=sources, evidence=[Evidence(n=2, quote=UNRELATED_PASSAGE, score=0.6, chunk_id="c2")])
    scores = answer_scores(answer, question, offline_judge, {"c1": FINE_PASSAGE, "c2": UNRELATED_PASSAGE})
    # the answer cites one of the two passages that hold the evidence; its quotes show the other
    assert scores["cited_evidence"] == 0.5
    assert scores["shown_evidence"] == 1.0
    # the quote a reader sees highlighted holds the figure only, not the gold span around it
    assert scores["cited_quote_evidence"] == 0.0 and scores["cited_quote_chars"] == len("3500 万欧元")
    cited.quote = "最高 3500 万欧元"
    assert answer_scores(answer, question, offline_judge, {"c1": FINE_PASSAGE, "c2": UNRELATED_PASSAGE})[
        "cited_quote_evidence"] == 0.5
    answer.evidence = []
    assert answer_scores(answer, question, offline_judge, {"c1": FINE_PASSAGE})["shown_evidence"] == 0.5
    # an unanswerable question has no evidence and no reference facts to score, cited or not
    unanswerable = question.model_copy(update={"type": "unanswerable", "evidence": [], "answer": "语料未提供该信息。"})
    scores = answer_scores(answer, unanswerable, offline_judge, {"c1": FINE_PASSAGE})
    assert not {"cited_evidence", "cited_quote_evidence", "shown_evidence", "key_facts", "overlap"} & scores.keys()
    assert scores["refusal_correct"] is False and scores["cited_quote_chars"] == len("最高 3500 万欧元")
