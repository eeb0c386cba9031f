"""The persisted BM25 index follows the catalog through add, replace and prune, with real ingest."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ingest.pipeline import ingest
from rag.engine import Engine
from rag.lexical import LexicalIndex

ALPHA = "机制复合体是治理某一问题领域的一系列部分重叠且非等级制的制度组合。阿尔法项目由此得名。"
BETA = "欧盟《人工智能法案》规定最高3500万欧元的罚款。贝塔条款是本文的专有名词。"
BETA_REPLACED = "本文改写后只讨论伽马协定，别的一概不谈。"


def _lexical_hits(engine: Engine, query: str) -> list[str]:
    return [s.text for s in engine.retriever.retrieve(query, k=3, mode="bm25")]


def test_bm25_follows_added_replaced_and_pruned_files(tmp_path, fresh_settings):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    assert ingest(fresh_settings, [corpus]).ok
    engine = Engine(fresh_settings)
    assert any("阿尔法" in t for t in _lexical_hits(engine, "阿尔法项目"))
    assert _lexical_hits(engine, "贝塔条款") == []

    (corpus / "beta.txt").write_text(BETA, encoding="utf-8")
    # as in the UI: ingest on one worker thread, the next question on another
    with ThreadPoolExecutor(max_workers=1) as uploader:
        assert uploader.submit(ingest, fresh_settings, [corpus]).result().ok
    with ThreadPoolExecutor(max_workers=1) as asker:
        assert any("贝塔" in t for t in asker.submit(_lexical_hits, engine, "贝塔条款").result())
    assert any("贝塔" in t for t in _lexical_hits(engine, "贝塔条款"))

    (corpus / "beta.txt").write_text(BETA_REPLACED, encoding="utf-8")
    assert ingest(fresh_settings, [corpus]).ok
    assert _lexical_hits(engine, "贝塔条款") == []
    assert any("伽马" in t for t in _lexical_hits(engine, "伽马协定"))

    (corpus / "alpha.txt").unlink()
    assert ingest(fresh_settings, [corpus], prune=True).ok
    assert _lexical_hits(engine, "阿尔法项目") == []

    # what is on disk matches the catalog, so a fresh process loads it instead of rebuilding
    on_disk = LexicalIndex.load(engine.retriever.lexical.directory)
    assert on_disk is not None and on_disk.fingerprint == engine.retriever.lexical.fingerprint()
    assert set(on_disk.chunk_ids) == {c.id for c in engine.store.chunks()}
