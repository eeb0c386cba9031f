"""Sanity checks for the curated evaluation datasets in evals/datasets/."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from evals.questions import (
    DEV_PATH,
    JUDGE_PATH,
    EvalQuestion,
    load_corpus_texts,
    load_judge_pairs,
    load_questions,
    normalise_for_match,
    validate_evidence,
)

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "data" / "corpus"
MANIFEST = json.loads((CORPUS_DIR / "manifest.json").read_text(encoding="utf-8"))
REPORT_FILES = {r["id"]: f["file"] for f in MANIFEST["files"] for r in f["reports"]}

TYPE_TARGETS = {"fact": 0.40, "explain": 0.30, "compare": 0.15, "unanswerable": 0.15}
JUDGE_KINDS = {"verbatim", "paraphrase", "wrong_figure", "wrong_actor", "negation", "unrelated", "translation"}


@pytest.fixture(scope="module")
def questions() -> list[EvalQuestion]:
    return load_questions(DEV_PATH)


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    texts = load_corpus_texts(CORPUS_DIR)
    assert set(texts) == set(REPORT_FILES.values())
    return texts


# ---------------------------------------------------------------- dev set


def test_dev_set_size_and_language_balance(questions):
    assert len(questions) >= 80
    langs = Counter(q.lang for q in questions)
    assert set(langs) == {"zh", "en"}
    assert abs(langs["zh"] - langs["en"]) <= 2, langs
    assert len({q.id for q in questions}) == len(questions)
    for q in questions:
        assert q.id.startswith(f"{q.lang}-"), q.id


def test_dev_set_type_mix(questions):
    counts = Counter(q.type for q in questions)
    for qtype, target in TYPE_TARGETS.items():
        share = counts[qtype] / len(questions)
        assert abs(share - target) <= 0.06, f"{qtype}: {share:.1%} vs target {target:.0%}"


def test_dev_docs_are_manifest_ids_and_every_report_is_covered(questions):
    coverage: Counter[str] = Counter()
    for q in questions:
        for doc in q.docs:
            assert doc in REPORT_FILES, f"{q.id}: unknown report id {doc!r}"
            coverage[doc] += 1
    missing = set(REPORT_FILES) - set(coverage)
    assert not missing, f"reports without questions: {sorted(missing)}"
    thin = {doc: n for doc, n in coverage.items() if n < 6}
    assert not thin, f"reports with fewer than 6 questions: {thin}"


def test_dev_evidence_found_in_corpus(questions, corpus):
    assert validate_evidence(questions, corpus) == []


def test_dev_evidence_found_in_the_cited_reports_file(questions, corpus):
    normalised = {name: normalise_for_match(text) for name, text in corpus.items()}
    for q in questions:
        files = {REPORT_FILES[d] for d in q.docs}
        for ev in q.evidence:
            assert any(normalise_for_match(ev) in normalised[f] for f in files), f"{q.id}: {ev!r} not in {files}"


def test_dev_evidence_length_and_no_running_headers(questions):
    for q in questions:
        for ev in q.evidence:
            n = len(normalise_for_match(ev))
            assert 8 <= n <= 60, f"{q.id}: evidence length {n}: {ev!r}"
            assert "□" not in ev, f"{q.id}: evidence spans a running header: {ev!r}"


def test_unanswerable_questions_have_no_doc_or_evidence(questions):
    unanswerable = [q for q in questions if q.type == "unanswerable"]
    assert unanswerable
    for q in unanswerable:
        assert q.doc is None and q.evidence == [], q.id
    for q in questions:
        if q.type != "unanswerable":
            assert q.doc is not None and q.evidence, q.id


def test_compare_questions_cite_several_passages(questions):
    for q in (q for q in questions if q.type == "compare"):
        assert isinstance(q.doc, list) and len(q.evidence) >= 2, q.id


def test_required_questions_present(questions):
    texts = {q.question for q in questions}
    assert "欧盟《人工智能法案》将人工智能系统分为哪几个风险等级？" in texts
    assert "Which four risk tiers does the EU AI Act define?" in texts
    assert "欧盟为何寻求规则型领导地位？" in texts


# ---------------------------------------------------------------- loader errors


def _valid_row(**overrides) -> dict:
    row = {
        "id": "zh-900",
        "lang": "zh",
        "question": "问题？",
        "doc": "seaman-cn-eu-ai-standards",
        "evidence": ["全球供应链韧性风险"],
        "answer": "答案。",
        "type": "fact",
    }
    row.update(overrides)
    return row


def test_malformed_json_line_is_rejected_with_line_number(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(_valid_row(), ensure_ascii=False) + "\n" + '{"id": "zh-901", "lang": \n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl, line 2: malformed JSON"):
        load_questions(path)


@pytest.mark.parametrize(
    "overrides",
    [
        {"lang": "fr"},
        {"type": "opinion"},
        {"extra_field": 1},
        {"evidence": "not a list"},
        {"doc": 3},
        {"type": "unanswerable"},  # unanswerable but with evidence
        {"evidence": []},  # an answerable question needs its evidence
        {"split": "train"},  # splits are tune or test
    ],
)
def test_bad_fields_are_rejected_with_line_number(tmp_path, overrides):
    path = tmp_path / "bad_fields.jsonl"
    good = json.dumps(_valid_row(), ensure_ascii=False)
    bad = json.dumps(_valid_row(id="zh-902", **overrides), ensure_ascii=False)
    path.write_text(f"{good}\n\n{bad}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad_fields\.jsonl, line 3 \(id zh-902\)"):
        load_questions(path)


def test_missing_field_and_duplicate_id_are_rejected(tmp_path):
    missing = tmp_path / "missing.jsonl"
    row = _valid_row()
    del row["answer"]
    missing.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1 .*answer"):
        load_questions(missing)

    dup = tmp_path / "dup.jsonl"
    line = json.dumps(_valid_row(), ensure_ascii=False)
    dup.write_text(f"{line}\n{line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2: duplicate id"):
        load_questions(dup)


def test_validate_evidence_reports_missing_strings(tmp_path, corpus):
    path = tmp_path / "ev.jsonl"
    rows = [_valid_row(), _valid_row(id="zh-903", evidence=["语料中并不存在的一句话"])]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    errors = validate_evidence(load_questions(path), corpus)
    assert errors == ["line 2 (id zh-903): evidence '语料中并不存在的一句话' not found in corpus"]


def test_normalise_for_match():
    assert normalise_for_match("最高 3500 万欧元\n或者（7%）") == "最高3500万欧元或者(7%)"
    assert normalise_for_match("ＩＳＯ／ＩＥＣ　４２００１") == "ISO/IEC42001"


# ---------------------------------------------------------------- judge set


def test_judge_set(corpus):
    pairs = load_judge_pairs(JUDGE_PATH)
    assert len(pairs) >= 60
    labels = Counter(p.supported for p in pairs)
    assert labels[True] > 0 and labels[False] > 0
    assert 0.35 <= labels[True] / len(pairs) <= 0.65, labels
    assert {p.kind for p in pairs} == JUDGE_KINDS
    assert {p.pair for p in pairs} == {"zh-zh", "en-zh"}
    assert any(p.kind == "translation" and p.supported and p.pair == "en-zh" for p in pairs)
    normalised = [normalise_for_match(t) for t in corpus.values()]
    for p in pairs:
        assert "\n" not in p.passage, p.id
        assert 100 <= len(p.passage) <= 300, f"{p.id}: passage length {len(p.passage)}"
        assert any(normalise_for_match(p.passage) in t for t in normalised), f"{p.id}: passage not in corpus"


def test_judge_loader_rejects_inconsistent_label(tmp_path):
    path = tmp_path / "judge_bad.jsonl"
    row = {
        "id": "j-900",
        "pair": "en-zh",
        "sentence": "Fines reach 3500 million euros.",
        "passage": "最高 3500 万欧元",
        "supported": True,
        "kind": "wrong_figure",
    }
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1 \(id j-900\).*supported=false"):
        load_judge_pairs(path)


HELDOUT = {"bundled_heldout.jsonl": None, "corpus2.jsonl": "evals/corpus2/docs"}


def test_heldout_sets_are_big_balanced_and_frozen():
    from evals.questions import DATASETS_DIR

    total = []
    for name in HELDOUT:
        loaded = load_questions(DATASETS_DIR / name)
        assert all(q.split in {"tune", "test"} for q in loaded), name
        tune = sum(q.split == "tune" for q in loaded)
        assert abs(tune - len(loaded) / 3) <= 4, (name, tune, len(loaded))
        total += loaded
    assert len(total) >= 150
    langs = [q.lang for q in total]
    assert abs(langs.count("zh") - langs.count("en")) <= 4
    unanswerable = sum(q.type == "unanswerable" for q in total) / len(total)
    assert 0.08 <= unanswerable <= 0.16
    assert sum(q.type == "compare" for q in total) >= 15


def test_heldout_file_naming_files_as_doc_validates_against_the_indexed_text(engine):
    """The README's format with `doc` naming a file (one or several) runs: docs resolve to indexed
    files or report ids, and the evidence is found in what was indexed."""
    from evals.questions import DATASETS_DIR, indexed_texts, unknown_docs

    loaded = load_questions(DATASETS_DIR / "bundled_heldout.jsonl")
    assert any(isinstance(q.doc, list) for q in loaded)
    assert unknown_docs(loaded, engine.store.reports()) == []
    assert validate_evidence(loaded, indexed_texts(engine.store)) == []


def test_corpus2_evidence_is_in_the_cleaned_text_of_its_files():
    """corpus2.jsonl and the fresh sets corpus2_fresh.jsonl to corpus2_fresh14.jsonl (written in
    sessions 28 to 42, reported, never tuned on)."""
    from evals.questions import DATASETS_DIR
    from ingest.parsing import parse_file

    fresh = load_questions(DATASETS_DIR / "corpus2_fresh.jsonl")
    assert len(fresh) == 36 and {q.lang for q in fresh} == {"zh", "en"}
    fresh2 = load_questions(DATASETS_DIR / "corpus2_fresh2.jsonl")
    assert len(fresh2) == 24 and {q.lang for q in fresh2} == {"zh", "en"}
    fresh3 = load_questions(DATASETS_DIR / "corpus2_fresh3.jsonl")
    assert len(fresh3) == 24 and {q.lang for q in fresh3} == {"zh", "en"}
    fresh4 = load_questions(DATASETS_DIR / "corpus2_fresh4.jsonl")
    assert len(fresh4) == 24 and {q.lang for q in fresh4} == {"zh", "en"}
    fresh5 = load_questions(DATASETS_DIR / "corpus2_fresh5.jsonl")
    assert len(fresh5) == 24 and Counter(q.lang for q in fresh5) == {"zh": 12, "en": 12}
    assert Counter(q.type for q in fresh5) == {"fact": 12, "explain": 4, "compare": 4, "unanswerable": 4}
    balanced = []
    for name in ("corpus2_fresh6.jsonl", "corpus2_fresh7.jsonl", "corpus2_fresh8.jsonl", "corpus2_fresh9.jsonl",
                 "corpus2_fresh10.jsonl", "corpus2_fresh11.jsonl", "corpus2_fresh12.jsonl", "corpus2_fresh13.jsonl",
                 "corpus2_fresh14.jsonl"):
        one = load_questions(DATASETS_DIR / name)
        assert len(one) == 24 and Counter(q.lang for q in one) == {"zh": 12, "en": 12}, name
        assert Counter(q.type for q in one) == {"fact": 12, "explain": 4, "compare": 4, "unanswerable": 4}, name
        balanced += one
    loaded = load_questions(DATASETS_DIR / "corpus2.jsonl") + fresh + fresh2 + fresh3 + fresh4 + fresh5 + balanced
    folder = Path(__file__).resolve().parents[1] / HELDOUT["corpus2.jsonl"]
    names = {d for q in loaded for d in q.docs}
    texts = {name: parse_file(folder / name, [], 600, 120).text for name in sorted(names)}
    assert validate_evidence(loaded, texts) == []


@pytest.mark.parametrize("name", ["bundled_fresh.jsonl", "bundled_fresh2.jsonl", "bundled_fresh3.jsonl",
                                  "bundled_fresh4.jsonl", "bundled_fresh5.jsonl", "bundled_fresh6.jsonl",
                                  "bundled_fresh7.jsonl", "bundled_fresh8.jsonl", "bundled_fresh9.jsonl",
                                  "bundled_fresh10.jsonl", "bundled_fresh11.jsonl"])
def test_bundled_fresh_set_is_balanced_and_its_evidence_is_in_its_reports(corpus, name):
    """bundled_fresh.jsonl to bundled_fresh11.jsonl: 24 questions each on the bundled reports,
    written in sessions 31 to 42 from the texts alone; reported, never tuned on."""
    from evals.questions import DATASETS_DIR

    loaded = load_questions(DATASETS_DIR / name)
    assert len(loaded) == 24 and Counter(q.lang for q in loaded) == {"zh": 12, "en": 12}
    assert Counter(q.type for q in loaded) == {"fact": 12, "explain": 4, "compare": 4, "unanswerable": 4}
    assert validate_evidence(loaded, corpus) == []
    for q in loaded:
        for ev in q.evidence:  # each span in a file the question names
            assert any(normalise_for_match(ev) in normalise_for_match(corpus[d]) for d in q.docs), (q.id, ev)
