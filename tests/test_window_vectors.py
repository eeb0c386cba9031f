"""The checker's window vectors: embedded once at ingest, read at answer time, the same verdicts."""
from __future__ import annotations

import shutil

import numpy as np

from ingest.pipeline import ingest
from rag.components.embedding import checker_model_id
from rag.engine import Engine
from rag.settings import PROJECT_ROOT, load_settings
from rag.store import Store
from rag.support import SupportJudge, window_texts
from rag.window_vectors import WindowVectors, digest

CORPUS = PROJECT_ROOT / "data" / "corpus"


def test_vectors_round_trip_exactly_and_unindexed_windows_are_forgotten(tmp_path):
    store = WindowVectors(tmp_path / "w.sqlite")
    vectors = np.random.default_rng(0).normal(size=(3, 384)).astype(np.float32)
    store.put(["甲。", "乙。", "丙。"], vectors)
    got = store.get(["乙。", "丁。"])
    assert set(got) == {"乙。"} and np.array_equal(got["乙。"], vectors[1])
    assert store.known([digest("甲。"), digest("丁。")]) == {digest("甲。")}
    assert store.keep_only([digest("甲。")]) == 2 and len(store) == 1


def test_ingest_stores_every_window_once_and_drops_those_of_a_pruned_file(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(CORPUS / "004_ffb2fa1ac3309242.txt", folder)
    note = folder / "note.md"
    note.write_text("---\ntitle: 标准简报\n---\n\n国际标准组织加快制定人工智能标准。欧盟推进协调标准。\n", encoding="utf-8")
    settings = load_settings(data_dir=tmp_path / "data", preset="small")

    first = ingest(settings, [folder])
    store = Store(settings)
    windows = {digest(t) for c in store.chunks() for t in window_texts(c.text)}
    stored = WindowVectors.beside(store.index_dir, checker_model_id())
    assert first.windows_embedded == len(windows) > 2 and stored.known(windows) == windows
    assert ingest(settings, [folder]).windows_embedded == 0, "stored windows are not embedded again"

    noted = digest("国际标准组织加快制定人工智能标准。")
    assert stored.known([noted]) == {noted}
    note.unlink()
    ingest(settings, [folder], prune=True)
    left = {digest(t) for c in Store(settings).chunks() for t in window_texts(c.text)}
    assert len(stored) == len(left) < len(windows)
    assert stored.known([noted]) == set(), "the pruned file's windows are gone"


class _Counting:
    """The real checker embedder, counting the passage texts it is asked to embed."""

    def __init__(self, embedder):
        self.embedder, self.passages = embedder, 0

    def get_query_embedding(self, text):
        return self.embedder.get_query_embedding(text)

    def get_text_embedding_batch(self, texts):
        self.passages += len(texts)
        return self.embedder.get_text_embedding_batch(texts)


def test_the_checker_reads_ingested_windows_and_judges_as_if_it_embedded_them(engine):
    source = engine.answerer.retrieve(engine.answerer.query("ISO/IEC JTC 1/SC 42 已发布多少项标准？"))[0]
    claim = "SC 42目前已发布37项相关标准。"
    reading = _Counting(engine.checker_embedder)
    stored = SupportJudge(reading, stored=engine.window_vectors).judge(claim, source.text)
    embedding = _Counting(engine.checker_embedder)
    fresh = SupportJudge(embedding).judge(claim, source.text)
    assert embedding.passages == len(set(window_texts(source.text))) > 0
    # a joined passage may hold windows across two chunks that no chunk holds alone: only those
    # may be embedded (or none, when an answer before met them)
    members = engine.store.chunks(source.chunk_ids or [source.chunk_id])
    across = set(window_texts(source.text)) - {t for c in members for t in window_texts(c.text)}
    assert reading.passages <= len(across)
    assert stored == fresh


def test_a_store_that_fails_is_read_as_empty_and_the_answer_is_judged_alike(engine, tmp_path):
    source = engine.answerer.retrieve(engine.answerer.query("欧盟《人工智能法案》规定的最高罚款是多少？"))[0]
    claim = "最高罚款是3500万欧元或者上一财年全球营业额的7%。"
    broken = WindowVectors(tmp_path / "w.sqlite")
    broken._db.close()  # every call now raises sqlite3.ProgrammingError
    judge = SupportJudge(engine.checker_embedder, stored=broken)
    assert judge.judge(claim, source.text) == SupportJudge(engine.checker_embedder).judge(claim, source.text)
    assert judge.stored is None, "a store that cannot be read is left alone from then on"
    # a file that is no SQLite database is not opened: that engine's checker embeds instead
    other = Engine(load_settings(data_dir=tmp_path / "data"))
    (other.store.index_dir / f"checker-windows-{checker_model_id()}.sqlite").write_bytes(b"not a database" * 100)
    assert other.window_vectors is None
