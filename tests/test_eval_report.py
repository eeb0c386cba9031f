"""report.html and `zhiku eval compare` on small synthetic runs: the real runner, metrics, summary and
report code over a scripted engine (no index, no models), so the whole file runs in seconds."""
from __future__ import annotations

import json
import re
from itertools import count
from pathlib import Path
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from evals.compare import compare_dirs, compare_markdown, write_compare_html
from evals.html_report import failure_reasons, question_checks
from evals.questions import EvalQuestion
from evals.report import run_spread
from evals.runner import run_eval
from rag.records import Answer, Citation, Source
from rag.support import normalise, strip_markers

QUESTIONS = [
    EvalQuestion(id="zh-1", lang="zh", question="欧盟对违规公司的最高罚款是多少？", doc="eu-act",
                 evidence=["最高罚款3500万欧元"], answer="最高罚款3500万欧元。", type="fact"),
    EvalQuestion(id="en-1", lang="en", question="What share of the patents does China hold?", doc="patents",
                 evidence=["China holds 61.5% of the patents"], answer="China holds 61.5% of the patents.",
                 type="fact"),
    EvalQuestion(id="en-2", lang="en", question="Compare the EU and US programme budgets.", doc=["eu-act", "us-plan"],
                 evidence=["The EU programme costs 2 billion euros", "The US plan costs 3 billion dollars"],
                 answer="The EU programme costs 2 billion euros, the US plan 3 billion dollars.", type="compare"),
    EvalQuestion(id="zh-u", lang="zh", question="火星上的人工智能法律是什么？", doc=None, evidence=[],
                 answer="语料中没有相关信息。", type="unanswerable"),
]
FILLER = "Unrelated filler passage number {n} about something else entirely."


class StubJudge:
    """Supported when the statement, markers and end punctuation stripped, is in the passage."""

    name = "stub (substring)"

    def claims(self, text: str) -> list[str]:
        text = strip_markers(text)
        return [text] if text else []

    def supports(self, statement: str, passage: str) -> bool:
        return normalise(strip_markers(statement)).rstrip("。.") in normalise(passage)


class ScriptedEngine:
    """Duck-types what the runner uses of rag.engine.Engine. `plan[id]` cycles, one item per run, through
    how many of the question's evidence strings the retriever finds; the answerer quotes the retrieved
    evidence, refuses when there is none, and answers the unanswerable ids in `answers_unanswerable`."""

    def __init__(self, plan: dict[str, list[int]], answers_unanswerable: frozenset[str] = frozenset()):
        self.settings = SimpleNamespace(model_dump=lambda **_: {"answer_mode": "scripted"})
        self._plan = {qid: iter(list(found) * 100) for qid, found in plan.items()}
        self._answers_unanswerable = answers_unanswerable
        self._chunks: dict[str, SimpleNamespace] = {}
        self._last: dict[str, list[Source]] = {}
        self._ordinal = count()
        self.retriever = SimpleNamespace(retrieve=self._retrieve)
        self.store = SimpleNamespace(chunks=lambda ids: [self._chunks[i] for i in ids if i in self._chunks])
        self.answerer = SimpleNamespace(stream=self._stream)

    def _chunk(self, chunk_id: str, report_id: str, text: str) -> Source:
        self._chunks[chunk_id] = SimpleNamespace(id=chunk_id, ordinal=next(self._ordinal) * 10, text=text)
        return Source(rank=0, score=0.5, report_id=report_id, title=report_id, source=f"{report_id}.txt",
                      text=text, chunk_id=chunk_id)

    def _retrieve(self, text: str, k: int) -> list[Source]:
        question = next(q for q in QUESTIONS if q.question == text)
        found = next(self._plan[question.id]) if question.id in self._plan else 0
        docs = question.docs or ["misc"]
        hits = [self._chunk(f"{question.id}-e{i}", docs[i % len(docs)], f"据报告，{e}。其余内容。")
                for i, e in enumerate(question.evidence[:found])]
        fillers = [self._chunk(f"{question.id}-f{n}", "misc", FILLER.format(n=n)) for n in range(k - len(hits))]
        sources = [s.model_copy(update={"rank": r + 1, "score": 1 - r / 20}) for r, s in enumerate(hits + fillers)]
        self._last[question.id] = sources
        return sources

    def _stream(self, text: str):
        question = next(q for q in QUESTIONS if q.question == text)
        sources = self._last[question.id]
        yield SimpleNamespace(kind="sources", answer=None)
        quoted = [(s, e) for e in question.evidence for s in sources if e in s.text]
        if question.type == "unanswerable" and question.id in self._answers_unanswerable:
            quoted = [(sources[0], sources[0].text[:30])]
        if not quoted:
            answer = Answer(question=text, language=question.lang, answer="资料中没有答案。", refused=True)
        else:
            citations = [Citation(n=n, report_id=s.report_id, title=s.title, source=s.source, text=s.text, quote=quote,
                                  chunk_id=s.chunk_id) for n, (s, quote) in enumerate(quoted, 1)]
            body = " ".join(f"{quote} [{n}]." for n, (_, quote) in enumerate(quoted, 1))
            yield SimpleNamespace(kind="token", answer=None, delta=body)
            answer = Answer(question=text, language=question.lang, answer=body, citations=citations)
        yield SimpleNamespace(kind="answer", answer=answer)


# A: zh-1, en-1 answered from their evidence; en-2 finds one side of two; zh-u refused.
# B: zh-1's evidence lost (so refused); en-2 finds both sides; zh-u answered.
PLAN_A = {"zh-1": [1], "en-1": [1], "en-2": [1]}
PLAN_B = {"zh-1": [0], "en-1": [1], "en-2": [2]}


def _run(folder: Path, plan: dict[str, list[int]], repeat: int = 1, answers: frozenset[str] = frozenset(),
         judge: StubJudge | None = StubJudge()) -> Path:
    run_eval(ScriptedEngine(plan, answers), QUESTIONS, ["default"], folder, judge, repeat=repeat)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("eval-runs")
    return {
        "a": _run(root / "a", PLAN_A),
        "b": _run(root / "b", PLAN_B, answers=frozenset({"zh-u"})),
        # en-1 retrieved in the first run, missed in the second: a noisy baseline
        "a2": _run(root / "a2", {**PLAN_A, "en-1": [1, 0]}, repeat=2),
        "b2": _run(root / "b2", {**PLAN_A, "zh-1": [0]}),
        "retrieval": _run(root / "retrieval", PLAN_B, judge=None),
    }


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _ids(rows) -> list[str]:
    return [row["data-id"] for row in rows]


def test_checks_name_each_failure_of_a_row():
    row = {"id": "x", "type": "fact", "refused": True, "answer": "…",
           "scores": {"recall@5": 0.5, "false_refusal": True, "refusal_correct": None}}
    assert question_checks(row) == {"evidence@5": False, "refusal": False, "no_error": True}
    assert [r.split(" (")[0] for r in failure_reasons(row)] == ["evidence not all in top 5 证据未全部进前5",
                                                                "false refusal 误拒"]
    retrieval_only = {"id": "y", "type": "fact", "scores": {"recall@5": 1.0}}
    assert question_checks(retrieval_only) == {"evidence@5": True} and failure_reasons(retrieval_only) == []
    unanswerable = {"id": "z", "type": "unanswerable", "refused": False, "answer": "…",
                    "scores": {"refusal_correct": False, "citations_valid": True, "citation_recall": 1.0}}
    assert failure_reasons(unanswerable) == ["answered an unanswerable question 应拒未拒"]


def test_report_is_self_contained_with_charts_and_failures_first(runs):
    for name in ("a", "b", "retrieval"):
        assert {p.name for p in runs[name].iterdir()} >= {"results.jsonl", "summary.json", "summary.md", "report.html"}
    text = (runs["b"] / "report.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(text, "html.parser")
    # nothing to fetch: no external scripts, styles, images or links
    assert not soup.find_all("script", src=True) and not soup.find_all("link")
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", text)
    assert soup.find("h1").get_text() == "Zhiku eval report 评测报告"
    captions = {fig.figcaption.get_text(): fig.find("svg") for fig in soup.find_all("figure")}
    recall = captions["evidence recall@k 证据召回曲线"]
    assert len(recall.find_all("polyline")) == 3  # all, en, zh
    assert len(recall.find_all("circle")) == 12  # k = 1, 3, 5, 10
    assert captions["by question type 按题型"].find_all("rect")
    assert captions["by language 按语言"].find_all("rect")
    assert captions["latency per question 每题耗时 (total_ms)"].find_all("rect")

    rows = soup.select("table.questions tbody tr")
    classes = [row["class"][0] for row in rows]
    assert classes == sorted(classes)  # every "fail" before any "pass"
    assert _ids(rows) == ["zh-1", "zh-u", "en-1", "en-2"]  # zh-1 fails two checks, zh-u one
    reasons = rows[0].find("td", class_="reasons").get_text()
    assert "证据未全部进前5" in reasons and "false refusal 误拒" in reasons
    assert "应拒未拒" in rows[1].find("td", class_="reasons").get_text()
    assert "“China holds 61.5% of the patents”" in rows[2].find("td", class_="quotes").get_text()

    retrieval = _soup(runs["retrieval"] / "report.html")
    assert retrieval.find("figcaption", string="latency per question 每题耗时 (retrieve_ms)")
    assert _ids(retrieval.select("table.questions tbody tr"))[0] == "zh-1"


def test_repeat_records_each_run_and_its_spread(runs):
    summary = json.loads((runs["a2"] / "summary.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (runs["a2"] / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["run"] for r in rows] == [0] * 4 + [1] * 4
    assert summary["repeat"] == 2 and len(summary["runs"]) == 2
    # en: (1 + 0.5) / 2 in the first run, (0 + 0.5) / 2 in the second; pooled, their mean
    assert run_spread(summary, "default", "lang=en", "recall@5") == (0.25, 0.75)
    assert summary["configs"]["default"]["groups"]["lang=en"]["recall@5"] == pytest.approx(0.5)
    assert summary["configs"]["default"]["groups"]["all"]["n"] == 8
    assert "run-to-run spread over 2 runs" in (runs["a2"] / "summary.md").read_text(encoding="utf-8")
    table = _soup(runs["a2"] / "report.html").find("table")
    assert "0.500–0.833" in table.get_text()  # recall@5 over all answerable questions: 2.5/3 and 1.5/3


def test_compare_finds_flipped_questions_and_metric_deltas(runs, tmp_path):
    result = compare_dirs([runs["a"]], [runs["b"]])
    flips = {(f.id, f.check, f.direction) for f in result.flips}
    assert flips == {("zh-1", "evidence@5", "pass→fail"), ("zh-1", "refusal", "pass→fail"),
                     ("en-2", "evidence@5", "fail→pass"), ("zh-u", "refusal", "pass→fail")}
    summaries = [json.loads((runs[s] / "summary.json").read_text(encoding="utf-8"))["configs"]["default"]["groups"]
                 for s in ("a", "b")]
    deltas = {(d.group, d.metric): d for d in result.deltas}
    for (group, metric), delta in deltas.items():
        assert delta.delta == pytest.approx(summaries[1][group][metric] - summaries[0][group][metric], abs=1e-4)
    assert deltas["all", "recall@5"].delta == pytest.approx(2 / 3 - 2.5 / 3, abs=1e-3)
    assert deltas["lang=zh", "recall@5"].delta == pytest.approx(-1.0)
    assert deltas["lang=zh", "refusal_correct"].delta == pytest.approx(-1.0)
    assert deltas["all", "false_refusal"].verdict == "worse 变差"  # more false refusals, lower is better
    assert deltas["lang=en", "recall@5"].verdict == "better 变好"
    assert deltas["all", "recall@5"].noise is None  # one run a side: no noise estimate

    markdown = compare_markdown(result)
    assert "no repeated runs, no noise estimate" in markdown
    assert "| lang=zh | evidence recall@5 | 1.000 | 0.000 | -1.000 | – | – | worse 变差 |" in markdown
    assert "| pass→fail | evidence@5 | zh-1 |" in markdown and "type=fact" not in markdown

    page = _soup(write_compare_html(result, tmp_path / "compare.html"))
    flipped = page.select("table.flips tbody tr")
    assert _ids(flipped)[:3] == ["zh-1", "zh-1", "zh-u"]  # pass→fail first
    assert {row.find_all("td")[0].get_text() for row in flipped} == {"pass→fail", "fail→pass"}
    assert page.find("svg") and "type=fact" in page.select_one("table.deltas").get_text()


def test_compare_marks_deltas_within_the_run_to_run_spread(runs):
    result = compare_dirs([runs["a2"]], [runs["b2"]])
    deltas = {(d.group, d.metric): d for d in result.deltas}
    en = deltas["lang=en", "recall@5"]  # A 0.25–0.75 (mean 0.5), B 0.75 once
    assert (en.a, en.b, en.a_spread, en.noise) == (0.5, 0.75, (0.25, 0.75), 0.5)
    assert en.within_noise and en.verdict == "within noise / 噪声内"
    zh = deltas["lang=zh", "recall@5"]  # retrieval of zh-1 never varied in A: any change is real
    assert zh.noise == 0 and zh.verdict == "worse 变差"
    directions = {(f.id, f.check): (f.before, f.direction) for f in result.flips}
    assert directions["en-1", "evidence@5"] == ("mixed 1/2", "unstable")
    assert directions["zh-1", "evidence@5"] == ("pass", "pass→fail")
    assert "within noise / 噪声内" in compare_markdown(result)


def test_cli_compare_pools_several_folders_per_side(runs, tmp_path):
    from rag.cli import app

    out = tmp_path / "cmp"
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "eval", "compare", "--a", str(runs["a"]),
                                      "--a", str(runs["a2"]), "--b", str(runs["b"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "# Zhiku eval compare 评测对比" in result.output and "3 run(s)" in result.output
    assert "| pass→fail | refusal | zh-u |" in result.output
    assert (out / "compare.html").exists()
    missing = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "eval", "compare", str(runs["a"]),
                                       str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "summary.json not found" in missing.output
