"""Aggregate per-question scores into summary.json, summary.md and report.html (configs side by side).

Rows may carry a `run` number (`zhiku eval --repeat N`): the configs' groups then pool every run
(means over all runs, medians of latency over all answers) and summary["runs"] holds one
{config: {"groups": ...}} per run, whose min-max is the run-to-run spread (see :func:`run_spread`).
"""
from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# metric key → label in the table; latency keys (…_ms) aggregate as medians, the rest as means
METRICS: dict[str, str] = {
    "recall@1": "evidence recall@1 证据召回",
    "recall@3": "evidence recall@3",
    "recall@5": "evidence recall@5",
    "recall@10": "evidence recall@10",
    "mrr": "MRR",
    "report_hit@1": "report hit@1 报告命中",
    "report_hit@5": "report hit@5",
    "report_hit@10": "report hit@10",
    "faithfulness": "faithfulness 忠实度 (RAGAS)",
    "citation_recall": "citation recall 引用召回 (ALCE)",
    "citation_precision": "citation precision 引用精确 (ALCE)",
    "cited_evidence": "cited-evidence rate 引用含证据",
    "cited_quote_evidence": "cited quotes hold the evidence 引文摘句含证据",
    "cited_quote_chars": "characters per cited quote 引文摘句字数",
    "shown_evidence": "evidence in cited or quoted passages 引用或摘录含证据",
    "citations_valid": "citations valid 引用有效",
    "refusal_correct": "unanswerable refused or 'not said directly' 无答案题处理正确",
    "false_refusal": "false refusals (answerable) 误拒",
    "closest_only": "answerable given closest passages only 仅给最接近原文",
    "language_ok": "answers in the question's language 答案语言一致",
    "overlap": "correctness: ROUGE-L char (zh) / token F1 (en) 正确性",
    "figures_matched": "figures matched 数字一致",
    "key_facts": "key figures and names found 关键事实",
    "mixed_script": "mixed-script words per answer 中英混杂词",
    "restates_question": "answers restating the question 复述问题",
    "retrieve_ms": "retrieve ms p50 检索耗时",
    "sources_ms": "time to sources ms p50 出处耗时",
    "evidence_ms": "time to evidence ms p50 证据耗时",
    "first_token_ms": "first token ms p50 首字耗时",
    "total_ms": "total ms p50 总耗时",
    "final_ms": "with renderings ms p50 含译文总耗时",
}
BREAKDOWN = ["recall@5", "mrr", "report_hit@5", "faithfulness", "citation_recall", "citation_precision",
             "refusal_correct", "false_refusal", "closest_only", "overlap", "figures_matched", "key_facts"]


def _values(rows: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    return [float(row["scores"][key]) for row in rows if row["scores"].get(key) is not None]


def aggregate(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {"n": len(rows)}
    for key in METRICS:
        values = _values(rows, key)
        if values:
            result[key] = round(statistics.median(values) if key.endswith("_ms") else statistics.fmean(values), 4)
    return result


def group_aggregates(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """"all", then "lang=…" and "type=…" groups, each aggregated."""
    groups = {"all": rows}
    for field in ("split", "lang", "type"):
        for value in sorted({r[field] for r in rows if r.get(field)}):
            groups[f"{field}={value}"] = [r for r in rows if r[field] == value]
    return {g: aggregate(rs) for g, rs in groups.items()}


def summarise(rows_by_config: Mapping[str, Sequence[Mapping[str, Any]]], judge: str | None,
              settings: Mapping[str, Any]) -> dict[str, Any]:
    configs = {name: {"groups": group_aggregates(rows), "settings": settings[name]}
               for name, rows in rows_by_config.items()}
    summary: dict[str, Any] = {"judge": judge, "configs": configs}
    runs = sorted({r.get("run", 0) for rows in rows_by_config.values() for r in rows})
    if len(runs) > 1:
        summary["repeat"] = len(runs)
        summary["runs"] = [{name: {"groups": group_aggregates([r for r in rows if r.get("run", 0) == run])}
                            for name, rows in rows_by_config.items()} for run in runs]
    return summary


def run_values(summary: Mapping[str, Any], config: str, group: str, key: str) -> list[float]:
    """The metric's value in each run of a repeated eval (empty when it ran once)."""
    values = []
    for run in summary.get("runs") or []:
        value = run.get(config, {}).get("groups", {}).get(group, {}).get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values.append(float(value))
    return values


def run_spread(summary: Mapping[str, Any], config: str, group: str, key: str) -> tuple[float, float] | None:
    """(min, max) of the metric over the runs, or None when there are fewer than two."""
    values = run_values(summary, config, group, key)
    return (min(values), max(values)) if len(values) > 1 else None


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    # a markdown table is three lines of joins; tabulate is not installed and not worth a dependency
    def cell(value: Any) -> str:
        return f"{value:.3f}" if isinstance(value, float) and value <= 1 else (
            f"{value:.0f}" if isinstance(value, float) else str(value))

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) if v is not None else "–" for v in row) + " |" for row in rows]
    return lines


def summary_markdown(summary: Mapping[str, Any]) -> str:
    configs = summary["configs"]
    overall = {name: c["groups"]["all"] for name, c in configs.items()}
    lines = ["# Zhiku eval summary 评测摘要", "",
             f"judge 评判器: {summary['judge'] or 'none (retrieval only) 仅检索'}", ""]
    shown = [k for k in METRICS if any(k in o for o in overall.values())]
    lines += _table(["metric 指标", *configs], [[f"n 题数", *(o["n"] for o in overall.values())]]
                    + [[METRICS[k], *(o.get(k) for o in overall.values())] for k in shown])
    for name, config in configs.items():
        columns = [k for k in BREAKDOWN if any(k in g for g in config["groups"].values())]
        lines += ["", f"## {name}: by language and type 按语言与题型", ""]
        lines += _table(["group 分组", "n", *columns],
                        [[g, agg["n"], *(agg.get(k) for k in columns)] for g, agg in config["groups"].items()])
    if summary.get("runs"):
        lines += ["", f"## run-to-run spread over {len(summary['runs'])} runs 多次运行波动 (min–max)", ""]
        spreads = {name: {k: run_spread(summary, name, "all", k) for k in shown} for name in configs}
        lines += _table(["metric 指标", *configs],
                        [[METRICS[k], *(_spread_cell(spreads[name][k]) for name in configs)] for k in shown])
    return "\n".join(lines) + "\n"


def _spread_cell(spread: tuple[float, float] | None) -> str | None:
    if spread is None:
        return None
    low, high = spread
    digits = 0 if high > 1 else 3
    return f"{low:.{digits}f}–{high:.{digits}f}"


def write_summary(summary: Mapping[str, Any], out_dir: Path, rows: Sequence[Mapping[str, Any]] | None = None) -> None:
    """summary.json, summary.md and report.html; `rows` default to the folder's results.jsonl."""
    from evals.html_report import read_results, write_html_report  # html_report uses this module's labels

    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "summary.md").write_text(summary_markdown(summary), encoding="utf-8")
    write_html_report(summary, read_results(out_dir) if rows is None else rows, out_dir)
