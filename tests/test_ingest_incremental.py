"""Incremental, prunable and crash-safe ingest, with the real embedder and chroma on small folders."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from ingest.manifest import load_manifest
from ingest.parsing import parse_file
from ingest.pipeline import ingest
from rag.settings import PROJECT_ROOT, load_settings
from rag.store import Store

CORPUS = PROJECT_ROOT / "data" / "corpus"
ZHIKU = Path(sys.executable).with_name("zhiku")


def _folder(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(CORPUS / "manifest.json", folder)
    for name in names:
        shutil.copy(CORPUS / name, folder)
    return folder


def _expected_chunk_ids(folder: Path) -> set[str]:
    settings = load_settings()
    manifest = load_manifest(folder)
    return {
        c.id for path in folder.glob("*.txt")
        for c in parse_file(path, manifest.get(path.name, []), settings.chunk_chars, settings.chunk_overlap_chars).chunks
    }


def _assert_consistent(store: Store) -> None:
    chunks = store.chunks()
    assert len({c.id for c in chunks}) == len(chunks)
    assert len({(c.report_id, c.start, c.end) for c in chunks}) == len(chunks), "duplicate chunks"
    assert len(store.vector_arms) == 3, "the main and the cross-lingual embedder, and the latter per sentence"
    for arm in store.vector_arms:
        assert store.vector_ids(arm) == {c.id for c in chunks}, f"orphan vectors or chunks without vectors in {arm}"


def test_sigkill_mid_embedding_then_rerun_completes_without_duplicates_or_orphans(tmp_path):
    folder = _folder(tmp_path, "000_08413c504de832f0.txt", "001_02af62af8e923f58.txt", "004_ffb2fa1ac3309242.txt")
    data_dir = tmp_path / "data"
    log = tmp_path / "ingest.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [str(ZHIKU), "--data-dir", str(data_dir), "--preset", "small", "ingest", str(folder)],
            stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
    killed_at = None
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        # the embedding bar (the reading bar before it counts files, not vectors)
        progress = re.findall(r"向量化:[^\r\n]*?(\d+)/(\d+) \[", log.read_text(errors="replace"))
        # kill in the first half: near the end the last file can commit before the bar redraws
        if progress and 0 < int(progress[-1][0]) <= int(progress[-1][1]) // 2:
            os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its embedding workers, mid-run
            killed_at = int(progress[-1][0])
            break
        time.sleep(0.05)
    proc.wait()
    assert killed_at, f"ingest finished or stalled before it could be killed:\n{log.read_text()[-500:]}"

    settings = load_settings(data_dir=data_dir, preset="small")
    crashed = Store(settings)
    for arm in crashed.vector_arms:  # each batch writes both arms before progress moves
        assert crashed.vector_count(arm) >= killed_at, f"{arm} vectors written before the kill survive it"
    assert len(crashed.reports()) < 3, "an interrupted file is not committed"

    summary = ingest(settings, [folder])
    # a file committed before the kill is unchanged; the interrupted one is indexed again
    assert summary.ok and summary.indexed
    assert sorted(summary.indexed + summary.unchanged) == sorted(p.name for p in folder.glob("*.txt"))
    expected = _expected_chunk_ids(folder)
    assert summary.chunks_embedded <= len(expected) - killed_at, "the rerun reuses vectors already stored"
    store = Store(settings)
    _assert_consistent(store)
    assert {c.id for c in store.chunks()} == expected, "same chunk set as a clean ingest"
    assert len(store.reports()) == 3


def test_unchanged_changed_and_pruned_files(tmp_path):
    folder = _folder(tmp_path, "004_ffb2fa1ac3309242.txt")
    extra = folder / "note.md"
    extra.write_text("---\ntitle: 标准简报\n---\n\n国际标准组织加快制定人工智能标准。欧盟推进协调标准。\n", encoding="utf-8")
    settings = load_settings(data_dir=tmp_path / "data", preset="small")

    first = ingest(settings, [folder])
    assert first.ok and first.reports == 2 and first.chunks_embedded > 0
    again = ingest(settings, [folder])
    assert again.chunks_embedded == 0 and sorted(again.unchanged) == ["004_ffb2fa1ac3309242.txt", "note.md"]

    wechat = folder / "004_ffb2fa1ac3309242.txt"
    before = {c.id for c in Store(settings).chunks() if c.source == wechat.name}
    wechat.write_text(wechat.read_text(encoding="utf-8").replace("（来源：经济日报）", "美欧合作仍将继续深化。\n\n（来源：经济日报）"),
                      encoding="utf-8")
    changed = ingest(settings, [folder])
    after = {c.id for c in Store(settings).chunks() if c.source == wechat.name}
    assert changed.indexed == [wechat.name] and after != before
    assert 0 < changed.chunks_embedded < len(after), "only chunks whose text changed are embedded"
    assert any("美欧合作仍将继续深化" in c.text for c in Store(settings).chunks())
    _assert_consistent(Store(settings))

    extra.unlink()
    pruned = ingest(settings, [folder], prune=True)
    assert pruned.pruned == ["note.md"] and pruned.reports == 1
    _assert_consistent(Store(settings))


def test_index_without_cross_lingual_vectors_still_answers_and_the_next_ingest_completes_it(tmp_path):
    folder = _folder(tmp_path, "004_ffb2fa1ac3309242.txt")
    data_dir = tmp_path / "data"
    first = ingest(load_settings(data_dir=data_dir, preset="small", cross_lingual_embedder="none"), [folder])
    settings = load_settings(data_dir=data_dir, preset="small")  # the small preset: cross-lingual arm on
    store = Store(settings)
    cross_lingual = settings.cross_lingual_id
    assert first.ok and store.vector_count(cross_lingual) == 0 < store.chunk_count()
    assert store.vector_count(settings.sentence_arm_id) == 0

    from rag.engine import Engine

    sources = Engine(settings).retriever.retrieve("How do the US and the EU cooperate on AI regulation?", k=3)
    # a short report's adjacent chunks join into passages: count the chunks they hold
    assert sum(len(s.chunk_ids) for s in sources) >= 3, "the main dense and BM25 arms answer while the cross-lingual vectors are missing"

    completed = ingest(settings, [folder])
    assert completed.unchanged == ["004_ffb2fa1ac3309242.txt"] and completed.indexed == []
    assert completed.chunks_embedded == store.chunk_count(), "each committed chunk gets its missing vector"
    _assert_consistent(Store(settings))
    assert ingest(settings, [folder]).chunks_embedded == 0


def test_changed_chunk_size_or_manifest_entry_reparses_an_unchanged_file(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    note = folder / "note.txt"
    note.write_text("国际标准组织加快制定人工智能标准。" * 12 + "\n\n" + "欧盟推进协调标准的制定工作。" * 12 + "\n",
                    encoding="utf-8")
    settings = load_settings(data_dir=tmp_path / "data", preset="small")
    first = ingest(settings, [folder])
    assert first.indexed == ["note.txt"]

    smaller = settings.model_copy(update={"chunk_chars": 120, "chunk_overlap_chars": 20})
    rechunked = ingest(smaller, [folder])
    assert rechunked.indexed == ["note.txt"], "new chunk sizes must re-chunk the file"
    assert max(len(c.text) for c in Store(smaller).chunks()) <= 120
    _assert_consistent(Store(smaller))
    assert ingest(smaller, [folder]).unchanged == ["note.txt"]

    (folder / "manifest.json").write_text(
        '{"files": [{"file": "note.txt", "reports": [{"title": "标准简报（修订）"}]}]}', encoding="utf-8")
    retitled = ingest(smaller, [folder])
    assert retitled.indexed == ["note.txt"], "an edited manifest entry must re-parse the file"
    assert [r.title for r in Store(smaller).report_map().values()] == ["标准简报（修订）"]
