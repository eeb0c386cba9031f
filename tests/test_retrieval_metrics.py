"""The evidence-recall rule: whitespace/NFKC-insensitive, one chunk or two adjacent chunks of a report."""
from __future__ import annotations

from evals.questions import load_questions
from evals.retrieval_metrics import (
    RankedChunk,
    answerable,
    evidence_hit,
    evidence_share,
    first_hit_rank,
    recall_at_k,
    reciprocal_rank,
    report_hit_at_k,
)


def test_evidence_matches_across_line_breaks_and_full_width_forms():
    assert evidence_hit(["最高3500万欧元"], ["罚款为最高 3500\n万欧元或营收"])
    assert evidence_hit(["ISO/IEC 42001"], ["标准 ＩＳＯ／ＩＥＣ ４２００１ 已发布"])
    assert not evidence_hit(["最高3500万欧元"], ["最高3000万欧元"])
    assert not evidence_hit([], ["anything"])


def test_all_evidence_strings_must_be_found():
    assert not evidence_hit(["甲乙", "丙丁"], ["甲乙在此"])
    assert evidence_hit(["甲乙", "丙丁"], ["甲乙在此", "丙丁在彼"])
    assert evidence_share(["甲乙", "丙丁"], ["甲乙在此"]) == 0.5


def test_evidence_split_by_a_chunk_boundary_counts_only_for_adjacent_chunks_of_one_report():
    left = RankedChunk("前文新质生", report_id="r1", ordinal=3)
    right = RankedChunk("产力后文", report_id="r1", ordinal=4)
    elsewhere = RankedChunk("产力后文", report_id="r2", ordinal=4)
    far = RankedChunk("产力后文", report_id="r1", ordinal=6)
    assert evidence_hit(["新质生产力"], [right, left])
    assert not evidence_hit(["新质生产力"], [left, elsewhere])
    assert not evidence_hit(["新质生产力"], [left, far])


def test_recall_is_the_share_of_evidence_found():
    assert recall_at_k(["甲乙", "丙丁"], ["甲乙在此", "无关", "丙丁在彼"], 2) == 0.5
    assert recall_at_k(["甲乙", "丙丁"], ["甲乙在此", "无关", "丙丁在彼"], 3) == 1.0
    assert reciprocal_rank(["丙丁", "甲乙"], ["无关", "甲乙在此"]) == 0.5


def test_rank_metrics():
    chunks = ["无关", "也无关", "含有证据甲乙", "更多"]
    assert first_hit_rank(["甲乙"], chunks) == 3
    assert reciprocal_rank(["甲乙"], chunks) == 1 / 3
    assert recall_at_k(["甲乙"], chunks, 2) == 0.0
    assert recall_at_k(["甲乙"], chunks, 3) == 1.0
    assert reciprocal_rank(["不在"], chunks) == 0.0
    assert report_hit_at_k(["a", "b"], ["a", "c", "b"], 2) == 0.5
    assert report_hit_at_k(["a", "b"], ["a", "c", "b"], 3) == 1.0


def test_unanswerable_questions_are_left_out_of_recall():
    questions = load_questions()
    kept = answerable(questions)
    assert 0 < len(kept) < len(questions)
    assert all(q.evidence for q in kept)
