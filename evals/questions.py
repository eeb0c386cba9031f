"""Curated evaluation datasets: models, loaders and evidence checks.

Two JSONL datasets live in ``evals/datasets/``:

* ``dev.jsonl`` -- bilingual questions over the bundled corpus (:class:`EvalQuestion`).
* ``judge.jsonl`` -- labelled (answer sentence, passage) pairs used to validate the
  citation-support judge (:class:`JudgePair`).

Text matching uses the same normaliser as the citation checker (rag.support.normalise).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictBool, ValidationError, model_validator

from rag.support import normalise

__all__ = [
    "DATASETS_DIR",
    "DEV_PATH",
    "JUDGE_PATH",
    "EvalQuestion",
    "JudgePair",
    "Lang",
    "QuestionType",
    "JudgeKind",
    "normalise_for_match",
    "load_questions",
    "load_judge_pairs",
    "load_corpus_texts",
    "validate_evidence",
    "indexed_texts",
    "unknown_docs",
]

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
DEV_PATH = DATASETS_DIR / "dev.jsonl"
JUDGE_PATH = DATASETS_DIR / "judge.jsonl"

Lang = Literal["zh", "en"]
QuestionType = Literal["fact", "explain", "compare", "unanswerable"]
JudgeKind = Literal["verbatim", "paraphrase", "wrong_figure", "wrong_actor", "negation", "unrelated", "translation"]

#: Judge kinds whose sentence is supported by its passage; every other kind is unsupported.
SUPPORTED_KINDS: frozenset[str] = frozenset({"verbatim", "paraphrase", "translation"})



# One normaliser for evidence matching and citation checking: NFKC, then no whitespace at all
# (the corpus breaks lines every ~35 characters and spaces digits apart).
normalise_for_match = normalise


class _Record(BaseModel):
    """Base for JSONL records: exact field set, strings stripped, source line remembered."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    _line: int | None = PrivateAttr(default=None)

    @property
    def line(self) -> int | None:
        """1-based line number in the JSONL file this record was loaded from (if any)."""
        return self._line


class EvalQuestion(_Record):
    """One evaluation question.

    ``doc`` names where the answer is: a report id or a corpus file name, a list of them (a
    comparison), or ``None`` (left out, or unanswerable). What is scored is ``evidence``: verbatim
    corpus substrings (matched with :func:`normalise_for_match`), empty exactly when the question
    is unanswerable. ``split`` is ``tune`` or ``test`` in the held-out sets (frozen once, at
    random): tuning looks at ``tune`` and the dev set only, ``test`` is run to report.
    """

    id: str = Field(min_length=1)
    lang: Lang
    question: str = Field(min_length=1)
    doc: str | list[str] | None = None
    evidence: list[str]
    answer: str = Field(min_length=1)
    type: QuestionType
    split: Literal["tune", "test"] | None = None

    @property
    def docs(self) -> list[str]:
        """``doc`` as a (possibly empty) list of report ids or file names."""
        if self.doc is None:
            return []
        return [self.doc] if isinstance(self.doc, str) else list(self.doc)

    @model_validator(mode="after")
    def _check_consistency(self) -> EvalQuestion:
        if isinstance(self.doc, str) and not self.doc:
            raise ValueError("doc must not be an empty string (leave it out or use null)")
        if isinstance(self.doc, list) and any(not d.strip() for d in self.doc):
            raise ValueError("doc list must contain non-empty report ids or file names")
        if any(not normalise_for_match(e) for e in self.evidence):
            raise ValueError("evidence strings must not be empty")
        if self.type == "unanswerable" and self.evidence:
            raise ValueError("unanswerable questions must have an empty evidence list")
        if self.type != "unanswerable" and not self.evidence:
            raise ValueError(f"{self.type} questions need at least one evidence string")
        return self


class JudgePair(_Record):
    """A labelled (answer sentence, passage) pair for validating the citation-support judge.

    ``pair`` names the languages of sentence and passage (the passage is always Chinese).
    ``kind`` describes how the sentence was built; ``verbatim``, ``paraphrase`` and
    ``translation`` sentences are supported, all other kinds are not.
    """

    id: str = Field(min_length=1)
    pair: Literal["zh-zh", "en-zh"]
    sentence: str = Field(min_length=1)
    passage: str = Field(min_length=1)
    supported: StrictBool
    kind: JudgeKind

    @model_validator(mode="after")
    def _check_consistency(self) -> JudgePair:
        if self.supported != (self.kind in SUPPORTED_KINDS):
            expected = "true" if self.kind in SUPPORTED_KINDS else "false"
            raise ValueError(f"kind {self.kind!r} requires supported={expected}")
        if self.kind == "translation" and self.pair != "en-zh":
            raise ValueError("translation pairs must have pair='en-zh'")
        if self.kind in {"verbatim", "paraphrase"} and self.pair != "zh-zh":
            raise ValueError(f"{self.kind} pairs must have pair='zh-zh'")
        return self


_R = TypeVar("_R", bound=_Record)


def _format_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "record"
        parts.append(f"{loc}: {err.get('msg', 'invalid value')}")
    return "; ".join(parts)


def _load_jsonl(path: str | Path, model: type[_R]) -> list[_R]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read file: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: file is not valid UTF-8: {exc}") from exc

    records: list[_R] = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}, line {lineno}: malformed JSON: {exc.msg} (column {exc.colno})") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{path}, line {lineno}: expected a JSON object, got {type(data).__name__}")
        try:
            record = model.model_validate(data)
        except ValidationError as exc:
            rid = data.get("id")
            where = f" (id {rid})" if isinstance(rid, str) and rid else ""
            raise ValueError(
                f"{path}, line {lineno}{where}: invalid {model.__name__}: {_format_validation_error(exc)}"
            ) from exc
        if record.id in seen:
            raise ValueError(f"{path}, line {lineno}: duplicate id {record.id!r} (first seen on line {seen[record.id]})")
        seen[record.id] = lineno
        record._line = lineno
        records.append(record)
    return records


def load_questions(path: str | Path = DEV_PATH) -> list[EvalQuestion]:
    """Load a dev-format JSONL file.

    Blank lines are ignored. Raises :class:`ValueError` naming the file and the 1-based
    line number for malformed JSON, unknown/missing fields, bad values or duplicate ids.
    """
    return _load_jsonl(path, EvalQuestion)


def load_judge_pairs(path: str | Path = JUDGE_PATH) -> list[JudgePair]:
    """Load a judge-format JSONL file (same error behaviour as :func:`load_questions`)."""
    return _load_jsonl(path, JudgePair)


def load_corpus_texts(corpus_dir: str | Path) -> dict[str, str]:
    """Read every ``*.txt`` file in ``corpus_dir`` into ``{file name: text}``."""
    corpus_dir = Path(corpus_dir)
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(corpus_dir.glob("*.txt"))}


def unknown_docs(questions: Iterable[EvalQuestion], reports: Iterable[Any]) -> list[str]:
    """One message per `doc` that names neither an indexed report id nor an indexed file."""
    known = {name for r in reports for name in (r.id, r.source)}
    errors = []
    for position, q in enumerate(questions, start=1):
        for doc in q.docs:
            if doc not in known:
                errors.append(f"line {q.line or position} (id {q.id}): doc {doc!r} is no indexed report id or file name")
    return errors


def indexed_texts(store: Any) -> dict[str, str]:
    """The cleaned text of every indexed report, rebuilt from its chunks' offsets, keyed by report
    id: evidence is checked against what was indexed, not against the raw file (a PDF's text
    layer, an HTML page's sidebar)."""
    texts: dict[str, list[str]] = {}
    ends: dict[str, int] = {}
    for chunk in sorted(store.chunks(), key=lambda c: (c.report_id, c.start)):
        parts = texts.setdefault(chunk.report_id, [])
        end = ends.get(chunk.report_id, 0)
        if chunk.end > end:
            parts.append(chunk.text[max(0, end - chunk.start):])
            ends[chunk.report_id] = chunk.end
    notes: dict[str, list[str]] = {}
    for chunk in store.chunks():
        notes.setdefault(chunk.report_id, []).extend(chunk.notes)  # footnotes are indexed beside the text
    return {rid: "\n".join(parts + notes.get(rid, [])) for rid, parts in texts.items()}


def validate_evidence(questions: Iterable[EvalQuestion], corpus_texts: Mapping[str, str]) -> list[str]:
    """Return one error message per evidence string not found in any corpus text.

    Matching uses :func:`normalise_for_match` on both sides. Messages look like
    ``"line 12 (id zh-012): evidence '...' not found in corpus"``; the line number is the
    record's source line when it was loaded from a file, else its 1-based position.
    """
    from rag.script import to_simplified

    # Traditional evidence matches Simplified text and back
    haystacks = [to_simplified(normalise_for_match(text)) for text in corpus_texts.values()]
    errors: list[str] = []
    for position, q in enumerate(questions, start=1):
        line = q.line if q.line is not None else position
        for ev in q.evidence:
            needle = to_simplified(normalise_for_match(ev))
            if not needle or not any(needle in hay for hay in haystacks):
                errors.append(f"line {line} (id {q.id}): evidence '{ev}' not found in corpus")
    return errors
