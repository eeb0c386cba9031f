"""report.html: one self-contained page per eval run (inline CSS, SVG charts drawn here, a few
lines of inline script to sort and filter the question tables; nothing is fetched).

Per config: the evidence recall@k curve, the main metrics per question type and per language,
the distribution of per-question latency, and every question with its answer, quotes and scores,
failures first. A question fails a check (:data:`CHECKS`) when

* evidence@5: not every gold evidence string is in the top 5 retrieved chunks (recall@5 < 1);
* refusal: an answerable question was refused, or an unanswerable one answered;
* citations valid: a marker has no citation, or a cited text / quote is not the stored chunk's;
* citations support: some answer sentence is not supported by the passages it cites (ALCE
  citation recall < 1, by the run's judge);
* no error: answering raised an error.

Checks that do not apply (retrieval-only runs, refused answers, unanswerable questions) are left
out. `zhiku eval compare` flips questions on the same checks. `python -m evals.html_report DIR`
rewrites DIR/report.html from DIR's summary.json and results.jsonl.
"""
from __future__ import annotations

import html
import json
import math
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from evals.report import BREAKDOWN, METRICS, run_spread

CHECKS: dict[str, str] = {
    "evidence@5": "evidence@5: all gold evidence in top 5 证据全部进前5",
    "refusal": "refusal right 拒答正确 (no false refusal, unanswerable refused)",
    "citations_valid": "citations valid 引用有效",
    "citations_supported": "citations support every sentence 引用支持每一句",
    "no_error": "no error 无错误",
}
LOWER_IS_BETTER = {"false_refusal", "closest_only", "mixed_script", "restates_question"}
PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"]
_EPS = 1e-9
_SHOWN_SCORES = ["recall@1", "recall@5", "recall@10", "mrr", "report_hit@5", "faithfulness", "citation_recall",
                 "citation_precision", "cited_evidence", "overlap", "figures_matched"]


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def lower_is_better(key: str) -> bool:
    return key in LOWER_IS_BETTER or key.endswith("_ms")


def fmt(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if key.endswith("_ms"):
            return f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}"
        return f"{value:.0f}" if key == "n" or abs(value) > 1.5 else f"{value:.3f}"
    return str(value)


# ---------------------------------------------------------------- per-question checks


def question_checks(row: Mapping[str, Any]) -> dict[str, bool]:
    """Pass (True) / fail (False) of each check that applies to this results.jsonl row."""
    scores = row.get("scores") or {}
    checks: dict[str, bool] = {}
    if row.get("type") != "unanswerable" and scores.get("recall@5") is not None:
        checks["evidence@5"] = scores["recall@5"] >= 1 - _EPS
    if scores.get("refusal_correct") is not None:
        checks["refusal"] = bool(scores["refusal_correct"])
    elif scores.get("false_refusal") is not None:
        checks["refusal"] = not scores["false_refusal"]
    if scores.get("citations_valid") is not None:
        checks["citations_valid"] = bool(scores["citations_valid"])
    if scores.get("citation_recall") is not None:
        checks["citations_supported"] = scores["citation_recall"] >= 1 - _EPS
    if "answer" in row or "error" in row:
        checks["no_error"] = "error" not in row
    return checks


def failure_reasons(row: Mapping[str, Any]) -> list[str]:
    """Why the question failed, one bilingual line per failed check; empty when it passed."""
    scores = row.get("scores") or {}
    reasons = []
    for check, passed in question_checks(row).items():
        if passed:
            continue
        if check == "evidence@5":
            reasons.append(f"evidence not all in top 5 证据未全部进前5 (recall@5 {scores['recall@5']:.2f})")
        elif check == "refusal":
            reasons.append("answered an unanswerable question 应拒未拒" if row.get("type") == "unanswerable"
                           else "false refusal 误拒")
        elif check == "citations_valid":
            reasons.append("invalid citations 引用无效: " + "; ".join(scores.get("citation_problems") or []))
        elif check == "citations_supported":
            reasons.append(f"unsupported sentences 句子无引用支持 (citation recall {scores['citation_recall']:.2f})")
        elif check == "no_error":
            reasons.append("error 出错: " + str(row.get("error")))
    return reasons


def failures_first(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Failed questions first (most failed checks first), file order otherwise."""
    indexed = list(enumerate(rows))
    indexed.sort(key=lambda item: (-len(failure_reasons(item[1])), item[0]))
    return [row for _, row in indexed]


def latency_key(rows: Sequence[Mapping[str, Any]]) -> str:
    """total_ms when answers were timed, else retrieve_ms (retrieval-only runs)."""
    return "total_ms" if any((r.get("scores") or {}).get("total_ms") is not None for r in rows) else "retrieve_ms"


# ---------------------------------------------------------------- SVG charts


def _svg(width: float, height: float, body: str, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" role="img" aria-label="{esc(label)}"><title>{esc(label)}</title>{body}</svg>')


def _text(x: float, y: float, text: Any, anchor: str = "middle", size: int = 11, extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {extra}>'
            f"{esc(text)}</text>")


def _legend(labels: Sequence[str], x: float, y: float) -> str:
    parts = []
    for i, label in enumerate(labels):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x:.1f}" y="{y + i * 16 - 9:.1f}" width="10" height="10" fill="{colour}"/>')
        parts.append(_text(x + 14, y + i * 16, label, "start"))
    return "".join(parts)


def _y_axis(left: float, top: float, plot_h: float, plot_w: float, ymax: float = 1.0) -> str:
    parts = []
    for i in range(5):
        value = ymax * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(_text(left - 6, y + 4, f"{value:.2f}" if ymax <= 1 else f"{value:.0f}", "end", 10))
    return "".join(parts)


def line_chart(series: Sequence[tuple[str, Sequence[tuple[float, float]]]], label: str, x_name: str = "k") -> str:
    """Lines over a numeric x (k of recall@k), y in 0..1, one colour per series."""
    points = [p for _, pts in series for p in pts]
    if not points:
        return ""
    xs = sorted({x for x, _ in points})
    left, top, plot_w, plot_h = 44, 14, 300, 190
    width, height = left + plot_w + 130, top + plot_h + 40
    x_low, x_high = xs[0], xs[-1]

    def sx(x: float) -> float:
        return left + (plot_w * (x - x_low) / (x_high - x_low) if x_high > x_low else plot_w / 2)

    def sy(y: float) -> float:
        return top + plot_h - plot_h * max(0.0, min(1.0, y))

    parts = [_y_axis(left, top, plot_h, plot_w)]
    for x in xs:
        parts.append(_text(sx(x), top + plot_h + 16, f"{x:g}", size=10))
    parts.append(_text(left + plot_w / 2, top + plot_h + 32, x_name, size=11))
    for i, (name, pts) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        pts = sorted(pts)
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in pts:
            parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{colour}">'
                         f"<title>{esc(name)} {x_name}={x:g}: {y:.3f}</title></circle>")
    parts.append(_legend([name for name, _ in series], left + plot_w + 14, top + 10))
    return _svg(width, height, "".join(parts), label)


def bar_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], label: str,
              ymax: float = 1.0) -> str:
    """Grouped bars: one group per category (metric), one colour per series (type or language)."""
    if not categories or not series:
        return ""
    bar_w, gap = 12, 18
    group_w = bar_w * len(series) + gap
    left, top, plot_h = 44, 14, 190
    plot_w = group_w * len(categories)
    width, height = left + plot_w + 130, top + plot_h + 58
    parts = [_y_axis(left, top, plot_h, plot_w, ymax)]
    for c, category in enumerate(categories):
        x0 = left + c * group_w + gap / 2
        for s, (name, values) in enumerate(series):
            value = values[c]
            if value is None:
                continue
            h = max(1.5, plot_h * max(0.0, min(1.0, value / ymax)))  # a zero still shows, unlike a missing value
            parts.append(f'<rect x="{x0 + s * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1}" '
                         f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}"><title>{esc(name)} {esc(category)}: '
                         f"{value:.3f}</title></rect>")
        cx = x0 + bar_w * len(series) / 2
        parts.append(_text(cx, top + plot_h + 12, category, "end", 10,
                           f'transform="rotate(-30 {cx:.1f} {top + plot_h + 12:.1f})"'))
    parts.append(_legend([name for name, _ in series], left + plot_w + 14, top + 10))
    return _svg(width, height, "".join(parts), label)


def histogram(values: Sequence[float], label: str, unit: str = "ms") -> str:
    """Counts of values in equal bins, with the median and p90 marked."""
    values = sorted(v for v in values if v is not None and math.isfinite(v))
    if not values:
        return ""
    scale, unit_name = (1000.0, "s") if unit == "ms" and values[-1] >= 2000 else (1.0, unit)
    shown = [v / scale for v in values]
    low, high = shown[0], shown[-1]
    bins = max(1, min(15, math.ceil(math.sqrt(len(shown)))))
    step = (high - low) / bins if high > low else 1.0
    counts = [0] * bins
    for v in shown:
        counts[min(bins - 1, int((v - low) / step))] += 1
    left, top, plot_w, plot_h = 44, 14, 360, 190
    width, height = left + plot_w + 20, top + plot_h + 44
    peak = max(counts)

    def sx(v: float) -> float:
        return left + plot_w * ((v - low) / (step * bins))

    parts = [_y_axis(left, top, plot_h, plot_w, float(peak))]
    for i, count in enumerate(counts):
        h = plot_h * count / peak
        x = left + plot_w * i / bins
        parts.append(f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{plot_w / bins - 2:.1f}" '
                     f'height="{h:.1f}" '
                     f'fill="{PALETTE[0]}"><title>{low + i * step:.2f}–{low + (i + 1) * step:.2f} {unit_name}: '
                     f"{count}</title></rect>")
    for i in range(0, bins + 1, max(1, bins // 5)):
        parts.append(_text(left + plot_w * i / bins, top + plot_h + 14, f"{low + i * step:.2g}", size=10))
    for name, q in (("p50", 0.5), ("p90", 0.9)):
        v = shown[min(len(shown) - 1, int(q * (len(shown) - 1) + 0.5))]
        parts.append(f'<line x1="{sx(v):.1f}" y1="{top:.1f}" x2="{sx(v):.1f}" y2="{top + plot_h:.1f}" '
                     f'stroke="{PALETTE[1]}" stroke-dasharray="4 3"/>')
        parts.append(_text(sx(v) + 3, top + 10 + (12 if name == "p90" else 0), f"{name} {v:.2f}", "start", 10,
                           f'fill="{PALETTE[1]}"'))
    parts.append(_text(left + plot_w / 2, top + plot_h + 32, f"{unit_name} (n={len(shown)})", size=11))
    return _svg(width, height, "".join(parts), label)


# ---------------------------------------------------------------- page


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","WenQuanYi Micro Hei","PingFang SC",sans-serif;
 margin:1.5rem;color:#111827;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:2px solid #e5e7eb}h3{font-size:1.05rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #e5e7eb;padding:.25rem .45rem;vertical-align:top;text-align:left}
th{background:#f3f4f6;position:sticky;top:0}
table.sortable th{cursor:pointer}table.sortable th:hover{background:#e5e7eb}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.fail td:first-child{background:#fee2e2;color:#991b1b;font-weight:bold}
tr.pass td:first-child{background:#dcfce7;color:#166534}
.spread{color:#6b7280;font-size:.75rem;white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.charts figure{margin:0}
figcaption{font-size:.85rem;font-weight:600}
svg.chart{max-width:100%;height:auto;font-family:inherit}svg .grid{stroke:#e5e7eb}
.reasons{color:#991b1b}.muted{color:#6b7280}.refused{color:#92400e;font-weight:600}
.better{color:#166534}.worse{color:#991b1b}.noise{color:#6b7280;font-style:italic}
td.q{min-width:14rem;max-width:24rem}td.answer{min-width:16rem;max-width:32rem}td.quotes{min-width:18rem;max-width:30rem}
ol.cites{margin:0;padding-left:1.2rem}details{margin-top:.2rem}summary{cursor:pointer;color:#2563eb}
.controls{margin:.4rem 0}td.id{white-space:nowrap}
"""

SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function(t){
  function key(r,i){var c=r.cells[i];if(!c)return '';var v=c.getAttribute('data-sort');if(v===null)v=c.textContent;
    var n=parseFloat(v);return isNaN(n)?v.toLowerCase():n;}
  t.querySelectorAll('thead th').forEach(function(th,i){th.addEventListener('click',function(){
    var asc=th.getAttribute('data-dir')!=='asc';th.setAttribute('data-dir',asc?'asc':'desc');
    var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){var x=key(a,i),y=key(b,i);if(typeof x!==typeof y){x=String(x);y=String(y);}
      return (x<y?-1:x>y?1:0)*(asc?1:-1);});
    rows.forEach(function(r){body.appendChild(r);});});});
});
document.querySelectorAll('.controls').forEach(function(box){
  var t=document.getElementById(box.getAttribute('data-table'));var text=box.querySelector('input[type=search]');
  var only=box.querySelector('input[type=checkbox]'),cls=box.getAttribute('data-only')||'fail';
  function apply(){var q=text.value.toLowerCase();Array.prototype.forEach.call(t.tBodies[0].rows,function(r){
    var show=(!only.checked||r.classList.contains(cls))&&(!q||r.textContent.toLowerCase().indexOf(q)>=0);
    r.style.display=show?'':'none';});}
  text.addEventListener('input',apply);only.addEventListener('change',apply);
});
"""


def page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n{body}\n"
            f"<script>{SCRIPT}</script>\n</body></html>\n")


def figure(caption: str, svg: str) -> str:
    return f"<figure><figcaption>{esc(caption)}</figcaption>{svg}</figure>" if svg else ""


def _group_series(groups: Mapping[str, Mapping[str, Any]], prefix: str, keys: Sequence[str]
                  ) -> list[tuple[str, list[float | None]]]:
    return [(name.split("=", 1)[1], [agg.get(k) for k in keys]) for name, agg in groups.items()
            if name.startswith(prefix)]


def recall_series(groups: Mapping[str, Mapping[str, Any]], names: Sequence[str]
                  ) -> list[tuple[str, list[tuple[float, float]]]]:
    series = []
    for name in names:
        agg = groups.get(name) or {}
        points = sorted((float(k.split("@")[1]), float(v)) for k, v in agg.items()
                        if k.startswith("recall@") and isinstance(v, (int, float)))
        if points:
            series.append((name.split("=", 1)[-1], points))
    return series


def _overview(summary: Mapping[str, Any]) -> str:
    configs = summary["configs"]
    overall = {name: c["groups"].get("all", {}) for name, c in configs.items()}
    shown = [k for k in METRICS if any(k in o for o in overall.values())]
    head = "".join(f"<th>{esc(name)}</th>" for name in configs)
    counts = "".join(f"<td class=num>{fmt(o.get('n'), 'n')}</td>" for o in overall.values())
    rows = [f"<tr><td>n 题数</td>{counts}</tr>"]
    for key in shown:
        cells = []
        for name, agg in overall.items():
            spread = run_spread(summary, name, "all", key)
            extra = f' <span class="spread">{fmt(spread[0], key)}–{fmt(spread[1], key)}</span>' if spread else ""
            cells.append(f"<td class=num>{fmt(agg.get(key), key)}{extra}</td>")
        rows.append(f"<tr><td>{esc(METRICS[key])}</td>{''.join(cells)}</tr>")
    note = (f'<p class="muted">{len(summary["runs"])} runs; grey: min–max over the runs 灰色：各次运行的最小–最大值</p>'
            if summary.get("runs") else "")
    return (f"<h2>Overview 总览</h2>{note}<table><thead><tr><th>metric 指标</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _citations_cell(row: Mapping[str, Any]) -> str:
    parts = []
    if row.get("citations"):
        items = "".join(f"<li value=\"{esc(c.get('n', ''))}\"><span class=muted>{esc(c.get('report_id', ''))}</span> "
                        f"“{esc(c.get('quote', ''))}”</li>" for c in row["citations"])
        parts.append(f'<ol class="cites">{items}</ol>')
    unsupported = [s for s in row.get("sentences") or [] if not s.get("supported", True)]
    if unsupported:
        parts.append("<div class=reasons>unsupported 无出处: " + " / ".join(esc(s.get("text", "")) for s in unsupported)
                     + "</div>")
    retrieved = row.get("retrieved") or []
    if retrieved:
        items = "".join(f"<li value=\"{esc(r.get('rank', ''))}\"><span class=muted>{esc(r.get('report_id', ''))} "
                        f"{fmt(r.get('score'))}</span> {esc(str(r.get('text', ''))[:200])}</li>" for r in retrieved[:5])
        parts.append(f'<details><summary>retrieved top 5 检索前5</summary><ol class="cites">{items}</ol></details>')
    return "".join(parts) or '<span class="muted">–</span>'


def _question_cell(row: Mapping[str, Any]) -> str:
    extra = []
    if row.get("evidence"):
        extra.append("<b>evidence 证据:</b><ul>" + "".join(f"<li>{esc(e)}</li>" for e in row["evidence"]) + "</ul>")
    if row.get("reference"):
        extra.append(f"<b>reference 参考答案:</b> {esc(row['reference'])}")
    details = f"<details><summary>gold 标准</summary>{''.join(extra)}</details>" if extra else ""
    return f"{esc(row.get('question', ''))}{details}"


def _answer_cell(row: Mapping[str, Any]) -> str:
    if "error" in row:
        return f'<span class="reasons">{esc(row["error"])}</span>'
    if "answer" not in row:
        return '<span class="muted">retrieval only 仅检索</span>'
    parts = ['<span class="refused">refused 拒答</span> ' if row.get("refused") else "", esc(row.get("answer", ""))]
    if row.get("notice"):
        parts.append(f'<div class="muted">{esc(row["notice"])}</div>')
    return "".join(parts)


def _scores_cell(scores: Mapping[str, Any]) -> str:
    return "<br>".join(f"{esc(k)} {fmt(scores[k], k)}" for k in _SHOWN_SCORES if scores.get(k) is not None)


def question_table(rows: Sequence[Mapping[str, Any]], table_id: str) -> str:
    repeated = len({r.get("run", 0) for r in rows}) > 1
    ms_key = latency_key(rows)
    head = ["status 状态", "id 编号", "lang 语言", "type 题型", *(["run 次"] if repeated else []), "question 问题",
            "answer 回答", "quotes 引用", "scores 分数", f"{ms_key}", "why failed 失败原因"]
    body = []
    for row in failures_first(rows):
        reasons = failure_reasons(row)
        scores = row.get("scores") or {}
        status = f"✗ {len(reasons)}" if reasons else "✓"
        cells = [f'<td data-sort="{-len(reasons)}">{status}</td>', f"<td class=id>{esc(row.get('id', ''))}</td>",
                 f"<td>{esc(row.get('lang', ''))}</td>", f"<td>{esc(row.get('type', ''))}</td>"]
        if repeated:
            cells.append(f"<td class=num>{int(row.get('run', 0)) + 1}</td>")
        latency = scores.get(ms_key)
        cells += [f'<td class="q">{_question_cell(row)}</td>', f'<td class="answer">{_answer_cell(row)}</td>',
                  f'<td class="quotes">{_citations_cell(row)}</td>', f"<td class=num>{_scores_cell(scores)}</td>",
                  f'<td class=num data-sort="{latency if latency is not None else -1}">{fmt(latency, ms_key)}</td>',
                  f'<td class="reasons">{"<br>".join(esc(r) for r in reasons)}</td>']
        css = "fail" if reasons else "pass"
        body.append(f'<tr class="{css}" data-id="{esc(row.get("id", ""))}">{"".join(cells)}</tr>')
    header = "".join(f"<th>{esc(h)}</th>" for h in head)
    controls = (f'<div class="controls" data-table="{table_id}"><input type="search" placeholder="filter 筛选…"> '
                f'<label><input type="checkbox"> failures only 仅看失败</label></div>')
    return (f'{controls}<table class="sortable questions" id="{table_id}"><thead><tr>{header}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def _failure_counts(rows: Sequence[Mapping[str, Any]]) -> str:
    failed = sum(bool(failure_reasons(r)) for r in rows)
    items = []
    for check, label in CHECKS.items():
        results = [c[check] for c in map(question_checks, rows) if check in c]
        if results:
            items.append(f"<li>{esc(label)}: failed 失败 {results.count(False)} / {len(results)}</li>")
    return f"<p><b>failed 失败: {failed} / {len(rows)}</b></p><ul>{''.join(items)}</ul>"


def config_section(name: str, config: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], index: int) -> str:
    groups = config.get("groups", {})
    languages = [g for g in groups if g.startswith("lang=")]
    keys = [k for k in BREAKDOWN if any(k in agg for agg in groups.values())]
    ms_key = latency_key(rows)
    charts = [
        figure("evidence recall@k 证据召回曲线", line_chart(recall_series(groups, ["all", *languages]),
                                                       f"{name}: evidence recall@k")),
        figure("by question type 按题型", bar_chart(keys, _group_series(groups, "type=", keys), f"{name}: by type")),
        figure("by language 按语言", bar_chart(keys, _group_series(groups, "lang=", keys), f"{name}: by language")),
        figure(f"latency per question 每题耗时 ({ms_key})",
               histogram([float(r["scores"][ms_key]) for r in rows if (r.get("scores") or {}).get(ms_key) is not None],
                         f"{name}: {ms_key} distribution")),
    ]
    lower = [k for k in keys if lower_is_better(k)]
    note = f'<p class="muted">lower is better 越低越好: {", ".join(lower)}</p>' if lower else ""
    settings = config.get("settings")
    settings_json = json.dumps(settings, ensure_ascii=False, indent=1)
    settings_html = (f"<details><summary>settings 配置</summary><pre>{esc(settings_json)}</pre></details>"
                     if settings else "")
    table = question_table(rows, f"questions-{index}") if rows else '<p class="muted">no results.jsonl rows 无逐题结果</p>'
    return (f'<section id="config-{index}"><h2>{esc(name)}</h2>{settings_html}'
            f"<h3>Charts 图表</h3>{note}<div class=\"charts\">{''.join(charts)}</div>"
            f"<h3>Questions, failures first 逐题结果（失败在前）</h3>{_failure_counts(rows) if rows else ''}{table}</section>")


def render_html(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    configs = summary.get("configs", {})
    parts = ["<h1>Zhiku eval report 评测报告</h1>",
             f"<p>judge 评判器: {esc(summary.get('judge') or 'none (retrieval only) 仅检索')}<br>"
             f"generated 生成于 {datetime.now().isoformat(timespec='seconds')}</p>",
             "<nav>" + " · ".join(f'<a href="#config-{i}">{esc(n)}</a>' for i, n in enumerate(configs)) + "</nav>",
             _overview(summary)]
    if len(configs) > 1:
        series = [(name, pts) for name, c in configs.items() for _, pts in recall_series(c.get("groups", {}), ["all"])]
        parts.append(figure("evidence recall@k, all configs 各配置证据召回曲线", line_chart(series, "recall@k by config")))
    checks = "".join(f"<li>{esc(label)}</li>" for label in CHECKS.values())
    parts.append(f"<h3>A question fails when 失败判定</h3><ul>{checks}</ul>")
    for index, (name, config) in enumerate(configs.items()):
        parts.append(config_section(name, config, [r for r in rows if r.get("config") == name], index))
    return page("Zhiku eval report 评测报告", "\n".join(parts))


def read_results(out_dir: Path) -> list[dict[str, Any]]:
    """The rows of out_dir/results.jsonl; a line cut short by an interrupted run is skipped."""
    path = Path(out_dir) / "results.jsonl"
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def write_html_report(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], out_dir: Path) -> Path:
    path = Path(out_dir) / "report.html"
    path.write_text(render_html(summary, rows), encoding="utf-8")
    return path


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "evals/results/latest")
    written = write_html_report(json.loads((folder / "summary.json").read_text(encoding="utf-8")),
                                read_results(folder), folder)
    print(f"wrote 已写入 {written}")
