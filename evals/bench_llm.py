"""LLM runtime benchmark: the bundled GGUF on each runtime, the same prompts, llama.cpp's own timings.

    .venv/bin/python -m evals.bench_llm [--runtimes xllamacpp,llama_server] [--repeats 3]

Each prompt is a passage of a bundled report (about the size of an answer prompt: ~600 tokens)
and a question; the model writes up to --max-tokens greedily, without the prompt cache. Prints
prompt reading and writing speed (tokens/s, p50 over the repeats) and the seconds to the first
token. Run it on an idle machine: two cores shared with anything else halve the numbers.
"""
from __future__ import annotations

import argparse
import statistics
import time

from rich.console import Console
from rich.table import Table

from rag.components.llm import build_llm
from rag.errors import LLMUnavailableError
from rag.settings import PROJECT_ROOT, load_settings

PASSAGE_FILE = PROJECT_ROOT / "data" / "corpus" / "003_05f742b59ba2d245.txt"
QUESTIONS = ["这段资料讲了什么？请用3句话概括，标注[1]。", "What problems does this passage name? List them, citing [1]."]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runtimes", default="xllamacpp,llama_server")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args(argv)
    passage = PASSAGE_FILE.read_text(encoding="utf-8")[2000:2900]
    table = Table(title="Bundled LLM by runtime (p50)")
    for column in ("runtime", "prompt tokens", "prompt tok/s", "write tok/s", "first token s", "load s"):
        table.add_column(column)
    for runtime in args.runtimes.split(","):
        started = time.perf_counter()
        try:
            llm = build_llm(load_settings(llm_runtime=runtime))
        except LLMUnavailableError as exc:
            table.add_row(runtime, exc.en, "", "", "", "")
            continue
        load_s = time.perf_counter() - started
        reading, writing, first, prompt_n = [], [], [], []
        for _ in range(args.repeats):
            for question in QUESTIONS:
                request = {"messages": [{"role": "user", "content": f"请只根据下面资料回答。\n\n[1] {passage}\n\n问题：{question}"}],
                           "max_tokens": args.max_tokens, "temperature": 0, "cache_prompt": False}
                timings = llm._server.handle_chat_completions(request)["timings"]
                reading.append(timings["prompt_per_second"])
                writing.append(timings["predicted_per_second"])
                first.append(timings["prompt_ms"] / 1000)
                prompt_n.append(timings["prompt_n"])
        table.add_row(llm.runtime, str(int(statistics.median(prompt_n))), f"{statistics.median(reading):.1f}",
                      f"{statistics.median(writing):.1f}", f"{statistics.median(first):.2f}", f"{load_s:.1f}")
        if llm.runtime == "llama-server":
            llm._server.close()
        del llm
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
