"""Answer-step benchmark and quality checks on a question file (default: the dev set).

    .venv/bin/python -m evals.bench_answer --data-dir /tmp/zk-answer --per-language 10
    .venv/bin/python -m evals.bench_answer --data-dir /tmp/zk-answer --budgets 250,400,700 --per-language 3
    .venv/bin/python -m evals.bench_answer --data-dir .zhiku --per-language 38 --unanswerable 13 \
        --modes generative --save answers.jsonl     # the whole dev set, every answer kept for reading
    .venv/bin/python -m evals.bench_answer --data-dir .zhiku --questions evals/datasets/bundled_heldout.jsonl \
        --split tune --per-language 10 --unanswerable 4

Prints, per mode (and per context budget): time to sources, to evidence, to first token, to the
answer shown, to the answer with its closest passages' renderings (which follow it), tokens/s (p50), then on the same questions: share of answerable questions whose citations all point
to supporting sources, refusals of unanswerable questions, false refusals, answers in the
question's language, and answers whose figures all appear in their cited sources. Outcomes
are counted by kind: answered, closest passages (nothing of the model's text held), refused
(retrieval confidence below min_confidence).
Timings on a shared 2-core machine are noisy: rerun on an idle one.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

from evals.questions import load_questions
from rag.engine import Engine
from rag.figures import missing_figures
from rag.language import detect_language
from rag.settings import load_settings


def pick(per_language: int, unanswerable: int, path: Path | None = None, split: str | None = None):
    questions = [q for q in (load_questions(path) if path else load_questions()) if split is None or q.split == split]
    chosen = []
    for lang in ("zh", "en"):
        answerable = [q for q in questions if q.lang == lang and q.type != "unanswerable"]
        chosen += answerable[:per_language]
    chosen += [q for q in questions if q.type == "unanswerable"][:unanswerable]
    return chosen


def run(engine: Engine, question: str) -> dict:
    started = time.perf_counter()
    sources_at = evidence_at = first_at = shown_at = None
    tokens = 0
    answer = None
    for event in engine.answerer.stream(question):
        now = time.perf_counter() - started
        if event.kind == "sources":
            sources_at = now
        elif event.kind == "evidence":
            evidence_at = now
        elif event.kind == "token":
            first_at = first_at if first_at is not None else now
            tokens += 1
        elif event.kind == "answer":
            answer = event.answer
            shown_at = shown_at if shown_at is not None else now
    total = time.perf_counter() - started
    end = shown_at if shown_at is not None else total
    rate = tokens / (end - first_at) if first_at is not None and end > first_at else 0.0
    return {"answer": answer, "sources_s": sources_at, "evidence_s": evidence_at, "first_s": first_at,
            "total_s": shown_at, "final_s": total, "tok_s": rate}


def refusal_step(answer) -> str:
    """answered; closest passages shown (the model's text held nothing the sources support); refused
    (retrieval confidence below min_confidence)."""
    return {"answered": "answered", "closest": "closest passages", "refused": "low confidence"}[answer.status]


def record(question, result: dict) -> dict:
    answer = result["answer"]
    return {"id": question.id, "lang": question.lang, "type": question.type, "question": question.question,
            "step": refusal_step(answer), "confidence": answer.confidence, "answer": answer.answer,
            "first_s": result["first_s"], "total_s": result["total_s"], "final_s": result["final_s"], "timings_ms": answer.timings_ms,
            "sentences": [s.model_dump() for s in answer.sentences],
            "citations": [{"n": c.n, "title": c.title, "section": c.section, "quote": c.quote} for c in answer.citations],
            "evidence": question.evidence}


def quality(rows: list[tuple]) -> dict[str, str]:
    answerable = [(q, r) for q, r in rows if q.type != "unanswerable"]
    unanswerable = [(q, r) for q, r in rows if q.type == "unanswerable"]
    answered = [(q, r) for q, r in answerable if r["answer"].status == "answered"]
    cited_ok = sum(bool(r["answer"].citations) and all(s.supported for s in r["answer"].sentences)
                   for _, r in answered)
    figures_ok = sum(all(not missing_figures(s.text, [c.text for c in r["answer"].citations if c.n in s.citations])
                         for s in r["answer"].sentences if s.supported) for _, r in answered)
    language_ok = sum(detect_language(r["answer"].answer) == q.lang for q, r in rows if not r["answer"].refused
                      and r["answer"].mode == "generative")
    generative = sum(not r["answer"].refused and r["answer"].mode == "generative" for _, r in rows)

    def share(n: int, d: int) -> str:
        return f"{n}/{d} ({n / d:.0%})" if d else "-"

    steps = Counter(f"{'unanswerable' if q.type == 'unanswerable' else 'answerable'}: {refusal_step(r['answer'])}"
                    for q, r in rows)
    return {
        **{k: str(v) for k, v in sorted(steps.items())},
        "citations all supporting (answered)": share(cited_ok, len(answered)),
        "unanswerable refused or closest passages": share(sum(r["answer"].status != "answered" for _, r in unanswerable),
                                                          len(unanswerable)),
        "false refusals": share(sum(r["answer"].refused for _, r in answerable), len(answerable)),
        "answerable given closest passages only": share(sum(r["answer"].status == "closest" for _, r in answerable),
                                                        len(answerable)),
        "answer in question language": share(language_ok, generative),
        "figures held by cited source": share(figures_ok, len(answered)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="a data dir with an index (zhiku ingest)")
    parser.add_argument("--questions", type=Path, help="question file (default: the dev set)")
    parser.add_argument("--split", choices=["tune", "test"], help="only this split of the question file")
    parser.add_argument("--per-language", type=int, default=10)
    parser.add_argument("--unanswerable", type=int, default=0, help="also run this many unanswerable questions")
    parser.add_argument("--modes", default="generative,extractive")
    parser.add_argument("--budgets", default="", help="comma-separated context budgets (tokens) to compare")
    parser.add_argument("--show", type=int, default=0, help="print this many full answers")
    parser.add_argument("--save", type=Path, help="write every answer (JSON lines) here to read them")
    args = parser.parse_args()

    questions = pick(args.per_language, args.unanswerable, args.questions, args.split)
    console = Console()
    # a refusal streams no token (rag.answer holds "not found" back): first token is over the answers
    table = Table("mode", "budget", "n", "sources s p50", "evidence s p50", "evidence s max", "first token s p50 (answers)",
                  "total s p50", "total s max", "with renderings s p50", "tok/s p50")
    budgets = [int(b) for b in args.budgets.split(",") if b] or [None]
    for mode in args.modes.split(","):
        for budget in budgets if mode == "generative" else [None]:
            overrides = {"answer_mode": mode, **({"context_budget_tokens": budget} if budget else {})}
            engine = Engine(load_settings(data_dir=args.data_dir, **overrides))
            rows = [(q, run(engine, q.question))
                    for q in track(questions, description=f"{mode} {engine.settings.context_budget_tokens}", console=console)]
            if args.save:
                with args.save.open("a", encoding="utf-8") as out:
                    for q, r in rows:
                        out.write(json.dumps(record(q, r) | {"mode": mode, "budget": engine.settings.context_budget_tokens},
                                             ensure_ascii=False, default=str) + "\n")

            def p50(key: str, of=statistics.median) -> str:
                values = [r[key] for _, r in rows if r[key] is not None]
                return f"{of(values):.2f}" if values else "-"

            table.add_row(mode, str(engine.settings.context_budget_tokens), str(len(rows)), p50("sources_s"),
                          p50("evidence_s"), p50("evidence_s", max), p50("first_s"), p50("total_s"), p50("total_s", max),
                          p50("final_s"), p50("tok_s"))
            console.print(f"[bold]{mode} budget={engine.settings.context_budget_tokens}[/bold]",
                          quality(rows))
            for q, r in rows[: args.show]:
                a = r["answer"]
                console.print(f"\n[{q.id}] {q.question}\n{a.answer}", markup=False)
                for c in a.citations:
                    console.print(f"  [{c.n}] 《{c.title}》 “{c.quote}”", markup=False)
    console.print(table)


if __name__ == "__main__":
    main()
