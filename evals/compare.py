"""`zhiku eval compare`: what changed between two eval runs (each an `zhiku eval --out` folder).

* Metric deltas per config and group (all, per language, per type) for every numeric metric both
  summary.json files hold.
* Flipped questions: per question and per check of :data:`evals.html_report.CHECKS`
  (evidence@5, refusal, citations...), pass→fail and fail→pass.
* Noise: a side is one folder or several (`--a DIR --a DIR2`); its runs are the per-run
  summaries of `zhiku eval --repeat N` (summary.json "runs"), or each folder as one run. A side's
  value is the mean over its runs and its spread their min–max; the noise of a delta is the wider
  of the two spreads, and a delta no larger than it is "within noise / 噪声内". Without repeated
  runs there is no noise estimate and the output says so. A question that passes in some runs of
  a side and fails in others is "mixed"; its changes are listed as unstable, not as flips.

Configs are matched by name; two runs of one config each under different names (dense vs hybrid)
are compared with each other.
"""
from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.html_report import (CHECKS, bar_chart, esc, failure_reasons, figure, fmt, lower_is_better, page,
                               question_checks, read_results)
from evals.report import METRICS

_EPS = 1e-9
MAIN = ["recall@5", "mrr", "report_hit@5", "faithfulness", "citation_recall", "citation_precision",
        "refusal_correct", "false_refusal", "overlap", "figures_matched"]


@dataclass
class Side:
    """One side of a comparison: one or more run folders, pooled."""

    label: str
    dirs: list[Path]
    configs: list[str] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)  # one {config: {"groups": ...}} per run
    rows: list[dict[str, Any]] = field(default_factory=list)  # results.jsonl rows, "run" numbered over all folders

    def values(self, config: str, group: str, key: str) -> list[float]:
        values = []
        for run in self.runs:
            value = run.get(config, {}).get("groups", {}).get(group, {}).get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values.append(float(value))
        return values

    def value(self, config: str, group: str, key: str) -> float | None:
        values = self.values(config, group, key)
        return round(statistics.fmean(values), 4) if values else None

    def spread(self, config: str, group: str, key: str) -> tuple[float, float] | None:
        values = self.values(config, group, key)
        return (min(values), max(values)) if len(values) > 1 else None

    def groups(self, config: str) -> list[str]:
        seen: dict[str, None] = {}
        for run in self.runs:
            seen.update(dict.fromkeys(run.get(config, {}).get("groups", {})))
        return list(seen)


def load_side(dirs: Sequence[Path], label: str) -> Side:
    if not dirs:
        raise ValueError(f"no run folder for side {label} / {label} 侧没有运行目录")
    side = Side(label, [Path(d) for d in dirs])
    for folder in side.dirs:
        path = folder / "summary.json"
        if not path.exists():
            raise ValueError(f"{path} not found: give folders written by `zhiku eval --out` / "
                             f"找不到 {path}：请给出 `zhiku eval --out` 写入的目录")
        summary = json.loads(path.read_text(encoding="utf-8"))
        configs = summary.get("configs", {})
        side.configs += [name for name in configs if name not in side.configs]
        runs = summary.get("runs") or [{name: {"groups": c.get("groups", {})} for name, c in configs.items()}]
        offset = len(side.runs)
        side.runs += runs
        for row in read_results(folder):
            side.rows.append({**row, "run": offset + int(row.get("run", 0))})
    return side


@dataclass
class Delta:
    config: str
    group: str
    metric: str
    a: float
    b: float
    delta: float
    a_spread: tuple[float, float] | None
    b_spread: tuple[float, float] | None

    @property
    def noise(self) -> float | None:
        widths = [high - low for low, high in (s for s in (self.a_spread, self.b_spread) if s is not None)]
        return max(widths) if widths else None

    @property
    def within_noise(self) -> bool | None:
        noise = self.noise
        return None if noise is None else abs(self.delta) <= noise + _EPS

    @property
    def verdict(self) -> str:
        if abs(self.delta) < (0.05 if self.metric.endswith("_ms") else 0.0005):  # zero at the shown precision
            return "="
        if self.within_noise:
            return "within noise / 噪声内"
        better = (self.delta < 0) == lower_is_better(self.metric)
        return "better 变好" if better else "worse 变差"


@dataclass
class Flip:
    config: str
    id: str
    lang: str
    type: str
    question: str
    check: str
    before: str  # pass, fail or mixed k/n (passes of runs)
    after: str
    reasons: list[str]  # why the question fails in B (its first failing run)

    @property
    def direction(self) -> str:
        if self.before == "pass" and self.after == "fail":
            return "pass→fail"
        if self.before == "fail" and self.after == "pass":
            return "fail→pass"
        return "unstable"


@dataclass
class Comparison:
    a: Side
    b: Side
    pairs: list[tuple[str, str]]
    deltas: list[Delta]
    flips: list[Flip]
    only_a: int = 0  # (config, question) pairs in one side's results only
    only_b: int = 0

    @property
    def has_noise(self) -> bool:
        return len(self.a.runs) > 1 or len(self.b.runs) > 1


def config_pairs(a: Side, b: Side) -> list[tuple[str, str]]:
    common = [name for name in b.configs if name in a.configs]
    if common:
        return [(name, name) for name in common]
    if len(a.configs) == 1 and len(b.configs) == 1:
        return [(a.configs[0], b.configs[0])]
    raise ValueError(f"no config in common: A has {', '.join(a.configs)}, B has {', '.join(b.configs)} / "
                     f"两次运行没有相同的配置")


def pair_label(pair: tuple[str, str]) -> str:
    return pair[0] if pair[0] == pair[1] else f"{pair[0]} → {pair[1]}"


def _metric_order(keys: set[str]) -> list[str]:
    return [k for k in METRICS if k in keys] + sorted(keys - set(METRICS) - {"n"})


def _state(results: Sequence[bool]) -> str:
    if all(results):
        return "pass"
    if not any(results):
        return "fail"
    return f"mixed {sum(results)}/{len(results)}"


def _checks_by_question(side: Side, config: str) -> dict[str, tuple[dict[str, Any], dict[str, list[bool]]]]:
    found: dict[str, tuple[dict[str, Any], dict[str, list[bool]]]] = {}
    for row in side.rows:
        if row.get("config") != config:
            continue
        _, checks = found.setdefault(str(row.get("id")), (row, {}))
        for check, passed in question_checks(row).items():
            checks.setdefault(check, []).append(passed)
    return found


def compare(a: Side, b: Side) -> Comparison:
    pairs = config_pairs(a, b)
    deltas: list[Delta] = []
    flips: list[Flip] = []
    only_a = only_b = 0
    for config_a, config_b in pairs:
        label = pair_label((config_a, config_b))
        groups = [g for g in b.groups(config_b) if g in a.groups(config_a)]
        for group in groups:
            keys = {k for run in a.runs for k in run.get(config_a, {}).get("groups", {}).get(group, {})}
            keys &= {k for run in b.runs for k in run.get(config_b, {}).get("groups", {}).get(group, {})}
            for key in _metric_order(keys):
                value_a, value_b = a.value(config_a, group, key), b.value(config_b, group, key)
                if value_a is None or value_b is None:
                    continue
                deltas.append(Delta(label, group, key, value_a, value_b, round(value_b - value_a, 4),
                                    a.spread(config_a, group, key), b.spread(config_b, group, key)))
        before, after = _checks_by_question(a, config_a), _checks_by_question(b, config_b)
        only_a += len(before.keys() - after.keys())
        only_b += len(after.keys() - before.keys())
        for qid, (row, checks_b) in after.items():
            if qid not in before:
                continue
            checks_a = before[qid][1]
            for check in CHECKS:
                if check not in checks_a or check not in checks_b:
                    continue
                state_a, state_b = _state(checks_a[check]), _state(checks_b[check])
                if state_a == state_b:
                    continue
                failing = next((r for r in b.rows if r.get("config") == config_b and str(r.get("id")) == qid
                                and not question_checks(r).get(check, True)), None)
                flips.append(Flip(label, qid, str(row.get("lang", "")), str(row.get("type", "")),
                                  str(row.get("question", "")), check, state_a, state_b,
                                  failure_reasons(failing) if failing else []))
    return Comparison(a, b, pairs, deltas, flips, only_a, only_b)


def compare_dirs(a_dirs: Sequence[Path], b_dirs: Sequence[Path]) -> Comparison:
    return compare(load_side(a_dirs, "A"), load_side(b_dirs, "B"))


# ---------------------------------------------------------------- output


def _spread_text(spread: tuple[float, float] | None, key: str) -> str:
    return f"{fmt(spread[0], key)}–{fmt(spread[1], key)}" if spread else "–"


def _signed(delta: float, key: str) -> str:
    if delta == 0:
        return fmt(0.0, key)
    if key.endswith("_ms"):
        return f"{delta:+.0f}" if abs(delta) >= 100 else f"{delta:+.1f}"
    return f"{delta:+.3f}"


def _header_lines(result: Comparison) -> list[str]:
    lines = [f"A (baseline 基线): {', '.join(map(str, result.a.dirs))}: {len(result.a.runs)} run(s)",
             f"B (new 新): {', '.join(map(str, result.b.dirs))}: {len(result.b.runs)} run(s)"]
    if result.has_noise:
        lines.append("noise 噪声: the wider min–max of the two sides' runs; a delta no larger is within noise / 噪声内")
    else:
        lines.append("no repeated runs, no noise estimate: run `zhiku eval --repeat N` or pass several folders "
                     "(--a DIR --a DIR2) / 没有重复运行，无法估计噪声")
    if result.only_a or result.only_b:
        lines.append(f"questions in one run only 仅一侧有的题目: A {result.only_a}, B {result.only_b}")
    return lines


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def clean(cell: str) -> str:
        return str(cell).replace("|", "\\|").replace("\n", " ")

    return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows])


def compare_markdown(result: Comparison, groups: str = "lang") -> str:
    """Deltas of the `all` and per-language groups (`groups="all"` for every group), then the flips."""
    lines = ["# Zhiku eval compare 评测对比", "", *(f"- {line}" for line in _header_lines(result))]
    for pair in result.pairs:
        label = pair_label(pair)
        deltas = [d for d in result.deltas if d.config == label
                  and (groups == "all" or d.group == "all" or d.group.startswith("lang="))]
        lines += ["", f"## {label}: metric deltas 指标变化 (B − A)", ""]
        lines += _markdown_table(
            ["group 分组", "metric 指标", "A", "B", "Δ", "spread A 波动", "spread B 波动", "verdict 判断"],
            [[d.group, METRICS.get(d.metric, d.metric), fmt(d.a, d.metric), fmt(d.b, d.metric),
              _signed(d.delta, d.metric), _spread_text(d.a_spread, d.metric), _spread_text(d.b_spread, d.metric),
              d.verdict] for d in deltas])
        flips = [f for f in result.flips if f.config == label]
        counts = {direction: sum(f.direction == direction for f in flips)
                  for direction in ("pass→fail", "fail→pass", "unstable")}
        lines += ["", f"## {label}: flipped questions 翻转的题目", "",
                  f"pass→fail 变差 {counts['pass→fail']}, fail→pass 变好 {counts['fail→pass']}, "
                  f"unstable 不稳定 {counts['unstable']}", ""]
        if flips:
            lines += _markdown_table(["direction 方向", "check 检查", "id", "lang", "type", "A", "B", "question 问题"],
                                     [[f.direction, f.check, f.id, f.lang, f.type, f.before, f.after, f.question[:80]]
                                      for f in _flip_order(flips)])
    return "\n".join(lines) + "\n"


def _flip_order(flips: Sequence[Flip]) -> list[Flip]:
    order = {"pass→fail": 0, "unstable": 1, "fail→pass": 2}
    return sorted(flips, key=lambda f: (order[f.direction], f.check, f.id))


def render_compare_html(result: Comparison) -> str:
    parts = ["<h1>Zhiku eval compare 评测对比</h1>",
             "<ul>" + "".join(f"<li>{esc(line)}</li>" for line in _header_lines(result)) + "</ul>"]
    for index, pair in enumerate(result.pairs):
        label = pair_label(pair)
        deltas = [d for d in result.deltas if d.config == label]
        overall = {d.metric: d for d in deltas if d.group == "all"}
        keys = [k for k in MAIN if k in overall]
        chart = bar_chart(keys, [("A", [overall[k].a for k in keys]), ("B", [overall[k].b for k in keys])],
                          f"{label}: A vs B")
        parts.append(f"<section><h2>{esc(label)}</h2>" + figure("A vs B, all questions 全部题目", chart))
        rows = []
        for d in deltas:
            css = ("noise" if d.within_noise else "") if d.verdict in ("=", "within noise / 噪声内") else (
                "better" if d.verdict.startswith("better") else "worse")
            changed = "changed" if css in ("better", "worse") else ""
            rows.append(f'<tr class="{changed}"><td>{esc(d.group)}</td><td>{esc(METRICS.get(d.metric, d.metric))}</td>'
                        f"<td class=num>{fmt(d.a, d.metric)}</td><td class=num>{fmt(d.b, d.metric)}</td>"
                        f'<td class="num {css}" data-sort="{d.delta}">{_signed(d.delta, d.metric)}</td>'
                        f"<td class=num>{_spread_text(d.a_spread, d.metric)}</td>"
                        f"<td class=num>{_spread_text(d.b_spread, d.metric)}</td>"
                        f'<td class="{css}">{esc(d.verdict)}</td></tr>')
        parts.append("<h3>Metric deltas 指标变化 (B − A)</h3>"
                     f'<div class="controls" data-table="deltas-{index}" data-only="changed">'
                     '<input type="search" placeholder="filter 筛选…"> '
                     "<label><input type=\"checkbox\"> better or worse only 仅看变好或变差</label></div>"
                     f'<table class="sortable deltas" id="deltas-{index}"><thead><tr>'
                     + "".join(f"<th>{h}</th>" for h in ("group 分组", "metric 指标", "A", "B", "Δ", "spread A 波动",
                                                         "spread B 波动", "verdict 判断"))
                     + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
        flips = _flip_order([f for f in result.flips if f.config == label])
        flip_rows = "".join(
            f'<tr class="{"fail" if f.direction == "pass→fail" else "pass" if f.direction == "fail→pass" else ""}" '
            f'data-id="{esc(f.id)}"><td>{esc(f.direction)}</td><td>{esc(f.check)}</td><td>{esc(f.id)}</td>'
            f"<td>{esc(f.lang)}</td><td>{esc(f.type)}</td><td>{esc(f.before)}</td><td>{esc(f.after)}</td>"
            f'<td class="q">{esc(f.question)}</td>'
            f'<td class="reasons">{"<br>".join(esc(r) for r in f.reasons)}</td></tr>'
            for f in flips)
        parts.append(f"<h3>Flipped questions 翻转的题目 ({len(flips)})</h3>"
                     f'<div class="controls" data-table="flips-{index}"><input type="search" placeholder="filter 筛选…"> '
                     f'<label><input type="checkbox"> pass→fail only 仅看变差</label></div>'
                     f'<table class="sortable flips" id="flips-{index}"><thead><tr>'
                     + "".join(f"<th>{h}</th>" for h in ("direction 方向", "check 检查", "id", "lang", "type", "A", "B",
                                                         "question 问题", "B fails because B 失败原因"))
                     + f"</tr></thead><tbody>{flip_rows}</tbody></table></section>")
    return page("Zhiku eval compare 评测对比", "\n".join(parts))


def write_compare_html(result: Comparison, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_compare_html(result), encoding="utf-8")
    return path
