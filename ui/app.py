"""Minimal gradio chat: streamed answers with the cited sources listed under each answer."""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from rag.errors import ZhikuError  # noqa: E402
from rag.records import Answer  # noqa: E402

EXAMPLES = [
    "欧盟《人工智能法案》将人工智能系统分为哪几个风险等级？",
    "Which four risk tiers does the EU AI Act define?",
    "欧盟为何寻求规则型领导地位？",
]


def sources_markdown(answer: Answer) -> str:
    lines = []
    if answer.notice:
        lines.append(f"> ⚠️ {answer.notice}")
    for c in answer.citations:
        title_en = f" / {c.title_en}" if c.title_en else ""
        lines.append(f"**[{c.n}]** 《{c.title}》{title_en} — {c.section or c.source}\n> {c.quote[:300]}")
    for s in answer.related:
        lines.append(f"相关 related: 《{s.title}》 — {s.text[:160]}")
    return "\n\n".join(lines)


def build_app(engine) -> gr.Blocks:
    def respond(message: str, history: list):
        text = ""
        try:
            for event in engine.answerer.stream(message):
                if event.kind == "sources":
                    text = "…"
                    yield text
                elif event.kind == "token":
                    text = (text if text != "…" else "") + event.delta
                    yield text
                else:
                    answer = event.answer
                    yield f"{answer.answer}\n\n---\n{sources_markdown(answer)}"
        except ZhikuError as exc:
            yield exc.bilingual()

    with gr.Blocks(title="Zhiku 智库") as demo:
        gr.Markdown("# Zhiku 智库\n中文人工智能治理报告问答 · Cited answers from Chinese AI-governance reports")
        gr.ChatInterface(respond, examples=EXAMPLES, cache_examples=False)
    return demo


def launch(engine, host: str = "127.0.0.1", port: int = 7860, root_path: str = "") -> None:
    build_app(engine).queue(default_concurrency_limit=4).launch(
        server_name=host, server_port=port, root_path=root_path or None, share=False, show_error=True
    )
