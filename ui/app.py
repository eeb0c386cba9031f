"""The gradio web app: chat with streamed, cited answers beside a sources panel; corpus tab with upload."""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import tempfile  # noqa: E402
import uuid  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gradio as gr  # noqa: E402

from rag.answer import Answerer  # noqa: E402
from rag.errors import ZhikuError  # noqa: E402
from rag.feedback import FeedbackStore  # noqa: E402
from rag.records import Answer  # noqa: E402
from rag.transcript import transcript_markdown  # noqa: E402
from ui import render  # noqa: E402
from ui.i18n import LANGUAGE_CHOICES, UILanguage, t  # noqa: E402
from ui.upload import UPLOAD_SUFFIXES, store_upload  # noqa: E402

# Checked against the bundled corpus: each retrieves its evidence and gets a cited answer.
EXAMPLES = [
    "欧盟《人工智能法案》将人工智能系统分为哪几个风险等级？",
    "截至2025年4月，ITU-T已发布多少项人工智能相关标准？",
    "Which four risk tiers does the EU AI Act define?",
    "What role does TC260 play in China's AI standardisation?",
]

CSS = """
.zk-chip { display:inline-block; min-width:1.4em; padding:0 .35em; margin:0 .1em; border-radius:.7em;
  background:#1f6feb; color:#fff !important; font-size:.8em; line-height:1.4em; text-align:center;
  cursor:pointer; vertical-align:super; }
.zk-unsupported { background:#fff1c2; border-bottom:2px dashed #d4a000; }
.zk-source { border:1px solid #d0d7de; border-radius:8px; padding:.4em .6em; margin:.4em 0; }
.zk-source.zk-focus { border-color:#1f6feb; box-shadow:0 0 0 2px #1f6feb55; }
.zk-source summary { cursor:pointer; font-weight:600; }
.zk-title-en { font-style:italic; color:#57606a; }
.zk-meta { font-size:.85em; color:#57606a; }
.zk-passage { white-space:pre-wrap; margin-top:.4em; font-size:.92em; }
.zk-highlight, .zk-quote mark { background:#ffe066; color:#000; }
.zk-note { color:#9a6700; font-size:.85em; }
.zk-reports td, .zk-reports th { padding:.3em .5em; vertical-align:top; }
#zk-sources { max-height:78vh; overflow-y:auto; }
"""

# A chip lives in a chat message; clicking it selects that message (gradio's select event renders
# its sources server-side) and this script then opens and highlights the chip's source card.
HEAD = r"""<script>
document.addEventListener('click', (event) => {
  const chip = event.target.closest && event.target.closest('#zk-chat .zk-chip');
  if (!chip) return;
  const target = /zk-cite-(\d+)-(\d+)/.exec(chip.className);
  if (!target) return;
  const msg = target[1], n = target[2];
  let tries = 0;
  const focus = () => {
    const panel = document.querySelector('#zk-sources .zk-panel');
    const card = panel && panel.dataset.msg === msg && panel.querySelector('.zk-source[data-n="' + n + '"]');
    if (!card) { if (++tries < 80) setTimeout(focus, 100); return; }
    panel.querySelectorAll('.zk-source').forEach((d) => d.classList.remove('zk-focus'));
    card.open = true; card.classList.add('zk-focus'); card.scrollIntoView({block: 'nearest'});
  };
  focus();
});
</script>"""


def new_session() -> dict[str, Any]:
    # messages: what the chatbot shows; answers: msg index -> {"answer", "key", "settings"}
    return {"messages": [], "answers": {}, "selected": None}


def mode_answerers(engine) -> dict[str, Answerer]:
    """One answerer per mode, so a request picks its mode without mutating the shared settings.
    Answerer reads answer_mode from its own settings; the extra one gets a copy with the mode changed."""
    answerers = {}
    for mode in ("generative", "extractive"):
        if mode == engine.settings.answer_mode:
            answerers[mode] = engine.answerer
        else:
            answerer = Answerer(engine)
            answerer.settings = engine.settings.model_copy(update={"answer_mode": mode})
            answerers[mode] = answerer
    return answerers


def report_choices(engine) -> list[tuple[str, str]]:
    return [(f"《{r.title}》", r.id) for r in engine.store.reports()]


def build_app(engine) -> gr.Blocks:
    # Open chroma, load the embedder and build the lexical index before serving, so the
    # first question does not pay for them.
    engine.retriever.retrieve("warm-up", k=1)
    answerers = mode_answerers(engine)
    feedback = FeedbackStore(engine.settings)
    export_dir = Path(tempfile.mkdtemp(prefix="zhiku-export-"))

    def mode_choices(language: UILanguage) -> list[tuple[str, str]]:
        return [(t("mode_generative", language), "generative"), (t("mode_extractive", language), "extractive")]

    def respond(question: str, session: dict, language: UILanguage, mode: str, report_ids: list[str] | None):
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), session, gr.skip(), gr.update(interactive=True)
            return
        messages = session["messages"] + [{"role": "user", "content": render.user_message(question)},
                                          {"role": "assistant", "content": "…"}]
        index = len(messages) - 1
        session = {**session, "messages": messages, "selected": index}
        reports = engine.store.report_map()
        panel = gr.skip()
        # the box too: a question asked while renderings still come would start from this answer unfinished
        yield messages, panel, session, gr.update(value="", interactive=False), gr.update(interactive=False)
        text, evidence = "", []
        key = uuid.uuid4().hex  # one answer, shown again as its closest passages' renderings come
        try:
            # follow-ups ("那美国呢？") are condensed with the LLM, so extractive mode (no LLM) asks them as typed
            history = ([(r["answer"].question, r["answer"].answer) for _, r in sorted(session["answers"].items())]
                       if mode == "generative" else None)
            for event in answerers[mode].stream(question, report_ids=report_ids or None, history=history):
                if event.kind == "sources":
                    panel = render.retrieved_panel(event.sources or [], reports, index, language)
                elif event.kind in ("evidence", "token"):
                    evidence = event.evidence if event.kind == "evidence" else evidence
                    text += event.delta
                    messages[index] = {"role": "assistant",
                                       "content": render.pending_markdown(evidence or [], text, index, language)}
                else:
                    answer: Answer = event.answer
                    messages[index] = {"role": "assistant",
                                       "content": render.answer_markdown(answer, index, language)}
                    panel = render.answer_panel(answer, reports, index, language)
                    session["answers"] = {**session["answers"], index: {
                        "answer": answer, "key": key,
                        "settings": {"mode": mode, "report_ids": report_ids or [], "preset": engine.settings.preset,
                                     "top_k": engine.settings.top_k, "models": engine.model_names()},
                    }}
                yield messages, panel, session, gr.skip(), gr.skip()
        except ZhikuError as exc:
            messages[index] = {"role": "assistant", "content": render.user_message(exc.message(language))}
        except Exception as exc:  # a broken request must not leave the chat locked
            reason = f"{type(exc).__name__}: {exc}"
            messages[index] = {"role": "assistant", "content": render.user_message(t("error", language).format(
                reason=reason))}
        yield messages, panel, session, gr.update(interactive=True), gr.update(interactive=True)

    def select_answer(session: dict, language: UILanguage, event: gr.SelectData):
        index = event.index if isinstance(event.index, int) else None
        record = session["answers"].get(index)
        if record is None:
            return gr.skip(), session
        return (render.answer_panel(record["answer"], engine.store.report_map(), index, language),
                {**session, "selected": index})

    def rate(session: dict, event: gr.LikeData):
        record = session["answers"].get(event.index if isinstance(event.index, int) else None)
        if record is not None and isinstance(event.liked, bool):
            feedback.save(record["key"], record["answer"], record["settings"], rating="up" if event.liked else "down")

    def comment(text: str, session: dict, language: UILanguage):
        record = session["answers"].get(session["selected"])
        if record is None:
            return gr.skip(), t("feedback_no_answer", language)
        feedback.save(record["key"], record["answer"], record["settings"], comment=text.strip())
        return "", t("feedback_thanks", language)

    def new_conversation(language: UILanguage):
        return [], render.empty_panel(language), new_session(), "", None

    def export_conversation(session: dict, language: UILanguage):
        """The conversation so far as a Markdown file, for the download button (None: nothing to
        export). One file per conversation, named by its first answer's key and rewritten after
        each answer, so a long session does not leave a file per answer behind."""
        records = [record for _, record in sorted(session["answers"].items())]
        if not records:
            return None
        path = export_dir / f"zhiku-chat-{records[0]['key'][:12]}.md"
        path.write_text(transcript_markdown([r["answer"] for r in records], language, datetime.now()), encoding="utf-8")
        return str(path)

    def upload(file_path: str | None, language: UILanguage, progress=gr.Progress()):
        from ingest.pipeline import ingest

        if not file_path:
            return t("upload_none", language), gr.skip(), gr.skip()
        try:
            stored = store_upload(Path(file_path).name, Path(file_path), engine.settings)
        except ZhikuError as exc:
            return t("upload_failed", language).format(reason=exc.message(language)), gr.skip(), gr.skip()
        progress(0, desc=t("upload_progress", language))
        summary = ingest(engine.settings, [stored],
                         progress=lambda stage, done, total: progress((done, total), desc=t("upload_progress", language)))
        if summary.skipped:
            message = t("upload_failed", language).format(reason="; ".join(summary.skipped.values()))
        elif summary.unchanged:
            message = t("upload_unchanged", language)
        else:
            new = [r for r in engine.store.reports() if r.source == stored.name]
            message = "\n".join(t("upload_done", language).format(title=r.title, chunks=r.chunk_count) for r in new)
        return (render.user_message(message), render.reports_table(engine.store.reports(), language),
                gr.update(choices=report_choices(engine)))

    def relabel(language: UILanguage, session: dict):
        record = session["answers"].get(session["selected"])
        panel = (render.answer_panel(record["answer"], engine.store.report_map(), session["selected"], language)
                 if record else render.empty_panel(language))
        return (
            t("subtitle", language), gr.update(label=t("tab_chat", language)), gr.update(label=t("tab_corpus", language)),
            gr.update(label=t("chat", language)), gr.update(label=t("question", language),
                                                            placeholder=t("question_placeholder", language)),
            gr.update(value=t("ask", language)), gr.update(value=t("new_chat", language)),
            gr.update(label=t("interface_language", language)),
            gr.update(label=t("mode", language), choices=mode_choices(language)),
            gr.update(label=t("report_filter", language)), gr.update(label=t("sources", language), value=panel),
            gr.update(label=t("feedback", language)), gr.update(label=t("feedback_comment", language)),
            gr.update(value=t("feedback_send", language)), f"### {t('reports', language)}",
            render.reports_table(engine.store.reports(), language), f"### {t('upload', language)}",
            upload_hint(language), gr.update(value=t("upload_button", language)), gr.update(label=t("export", language)),
        )

    def upload_hint(language: UILanguage) -> str:
        return t("upload_hint", language).format(types=" ".join(UPLOAD_SUFFIXES), mb=engine.settings.max_file_mb)

    lang0: UILanguage = "zh"
    with gr.Blocks(title="Zhiku 智库") as demo:
        session = gr.State(new_session())
        gr.Markdown("# Zhiku 智库")
        subtitle = gr.Markdown(t("subtitle", lang0))
        with gr.Tabs():
            with gr.Tab(t("tab_chat", lang0), id="chat") as chat_tab:
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label=t("chat", lang0), elem_id="zk-chat", height=520,
                                             sanitize_html=True, allow_tags=False, group_consecutive_messages=False)
                        with gr.Row():
                            question = gr.Textbox(label=t("question", lang0), placeholder=t("question_placeholder", lang0),
                                                  elem_id="zk-question", scale=5, max_lines=6)
                            ask = gr.Button(t("ask", lang0), variant="primary", elem_id="zk-ask", scale=1)
                        gr.Examples(EXAMPLES, inputs=[question], label="示例问题 · Example questions")
                        with gr.Row():
                            language = gr.Radio(LANGUAGE_CHOICES, value=lang0, label=t("interface_language", lang0),
                                                elem_id="zk-language")
                            mode = gr.Radio(mode_choices(lang0), value=engine.settings.answer_mode,
                                            label=t("mode", lang0), elem_id="zk-mode")
                            new_chat = gr.Button(t("new_chat", lang0), elem_id="zk-new")
                            export = gr.DownloadButton(t("export", lang0), value=None, elem_id="zk-export")
                        report_filter = gr.Dropdown(report_choices(engine), multiselect=True, value=[],
                                                    label=t("report_filter", lang0), elem_id="zk-filter")
                        with gr.Accordion(t("feedback", lang0), open=False, elem_id="zk-feedback") as feedback_box:
                            comment_box = gr.Textbox(label=t("feedback_comment", lang0), elem_id="zk-comment")
                            send = gr.Button(t("feedback_send", lang0), elem_id="zk-send")
                            feedback_status = gr.Markdown()
                    with gr.Column(scale=2):
                        sources = gr.HTML(render.empty_panel(lang0), label=t("sources", lang0), elem_id="zk-sources")
            with gr.Tab(t("tab_corpus", lang0), id="corpus") as corpus_tab:
                reports_heading = gr.Markdown(f"### {t('reports', lang0)}")
                reports_html = gr.HTML(render.reports_table(engine.store.reports(), lang0), elem_id="zk-reports")
                upload_heading = gr.Markdown(f"### {t('upload', lang0)}")
                hint = gr.Markdown(upload_hint(lang0))
                file = gr.File(file_types=list(UPLOAD_SUFFIXES), file_count="single", type="filepath",
                               elem_id="zk-file", label="")
                upload_button = gr.Button(t("upload_button", lang0), variant="primary", elem_id="zk-upload")
                upload_status = gr.Markdown(elem_id="zk-upload-status")

        ask_inputs = [question, session, language, mode, report_filter]
        ask_outputs = [chatbot, sources, session, question, ask]
        # retrieval runs concurrently; the LLM serialises generation behind its own lock
        # after each answer, the download button holds the conversation so far
        ask.click(respond, ask_inputs, ask_outputs, concurrency_limit=8, api_name="ask").then(
            export_conversation, [session, language], [export], api_name=False)
        question.submit(respond, ask_inputs, ask_outputs, concurrency_limit=8, api_name=False).then(
            export_conversation, [session, language], [export], api_name=False)
        chatbot.select(select_answer, [session, language], [sources, session], api_name=False)
        chatbot.like(rate, [session], None, api_name=False)
        send.click(comment, [comment_box, session, language], [comment_box, feedback_status], api_name="feedback")
        new_chat.click(new_conversation, [language], [chatbot, sources, session, feedback_status, export], api_name=False)
        # ingest writes the index and starts its own worker processes: one upload at a time
        upload_button.click(upload, [file, language], [upload_status, reports_html, report_filter],
                            concurrency_limit=1, api_name=False)
        language.change(relabel, [language, session], [
            subtitle, chat_tab, corpus_tab, chatbot, question, ask, new_chat, language, mode, report_filter, sources,
            feedback_box, comment_box, send, reports_heading, reports_html, upload_heading, hint,
            upload_button, export,
        ], api_name=False)
    return demo


def serve(engine, host: str = "127.0.0.1", port: int = 7860, root_path: str = "", block: bool = True) -> gr.Blocks:
    """Start the app; with block=False return at once (tests) and stop it with .close()."""
    demo = build_app(engine)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=host, server_port=port, root_path=root_path or None, share=False, show_error=True,
        prevent_thread_lock=not block, quiet=not block, css=CSS, head=HEAD,
        max_file_size=int(engine.settings.max_file_mb * 1_000_000),
    )
    return demo
