"""Typed records that flow between ingest, retrieval, generation, the CLI and the UI."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

Language = Literal["zh", "en"]


class Report(BaseModel):
    """One citable work. A file may hold several (a journal extract of five articles)."""

    id: str
    title: str
    title_en: str | None = None
    authors: list[str] = Field(default_factory=list)
    venue: str | None = None
    date: str | None = None
    url: str | None = None
    language: Language = "zh"
    source: str = Field(description="file name the report was read from")
    span: tuple[int, int] | None = Field(None, description="character span of the report in its cleaned file text")
    chunk_count: int = 0
    provenance: dict[str, str] = Field(default_factory=dict, description="where each metadata field came from")


class Chunk(BaseModel):
    id: str
    report_id: str
    source: str
    ordinal: int
    text: str
    section: str = ""
    start: int = Field(description="offset of the chunk in its cleaned report text")
    end: int
    notes: list[str] = Field(default_factory=list, description="footnotes that belong to this chunk")

    @property
    def lexical_text(self) -> str:
        """What BM25 reads: the chunk under its section path. Only a section's first chunk shows
        its heading, so without it a passage deep in "技术迭代提速与标准建设缺口并存" is not found
        by that topic. The embedders read the bare text: with the path, evals.compare_retrieval
        lost recall@5 (zh .932 → .914, en .829 → .763) while BM25 gained (zh .905 → .932)."""
        return f"{self.section}\n{self.text}" if self.section else self.text


class Source(BaseModel):
    """A retrieved passage (a chunk, or a chunk with the adjacent ones that ranked high too) as
    shown to the user and given to the LLM."""

    rank: int
    score: float
    report_id: str
    title: str
    title_en: str | None = None
    authors: list[str] = Field(default_factory=list)
    source: str
    section: str = ""
    text: str
    chunk_id: str = Field("", description="the hit's chunk; a passage may join the chunks before and after it")
    chunk_ids: list[str] = Field(default_factory=list, description="the passage's chunks in text order")
    start: int = 0
    end: int = 0
    actor: str = Field("", description="the one country, bloc or body the report's opening names (中国 for a Chinese "
                       "regulation): its passages speak of it without naming it (rag.support.home_actor)")


class Citation(BaseModel):
    n: int
    report_id: str
    title: str
    title_en: str | None = None
    source: str
    section: str = ""
    text: str = Field(description="full text of the cited passage (a chunk, or adjacent chunks joined)")
    quote: str = Field(description="the passage of the chunk that supports the answer")
    quote_start: int = Field(0, description="offset of quote in text: text[quote_start:quote_end] == quote")
    quote_end: int = 0
    chunk_id: str = ""
    chunk_ids: list[str] = Field(default_factory=list, description="the passage's chunks in text order")


class Query(BaseModel):
    """A question as every later step needs it, computed once: its language, the standalone form
    a follow-up is rewritten to, and the key terms a passage answering it should hold."""

    text: str = Field(description="the question as asked")
    language: Language
    standalone: str = Field(description="what is searched for: the question itself, or a follow-up made standalone")
    glossary_terms: list[str] = Field(default_factory=list, description="Chinese terms for an English question's words")
    terms: list[str] = Field(default_factory=list, description="key terms: the question's names and topic words")
    reports: list[str] = Field(default_factory=list, description="ids of the reports the question names by their "
                               "authors, publisher or title: a comparison is answered from each of them")
    expects: Literal["quantity", "date"] | None = Field(
        None, description="the kind of figure the question asks for, where its form says so (多少, how many, when)")
    counts: bool = Field(False, description="the question asks for a count or an amount (多少, how many): an answer "
                         "stating none answers something else")


class Evidence(BaseModel):
    """A verbatim source sentence (with its neighbour, where that scores nearly as high) chosen as
    bearing on the question, before the model writes anything."""

    n: int = Field(description="the source's number in Answer.sources, as cited [n]")
    quote: str
    score: float = Field(description="sentence score: embedding similarity and key-term coverage (0-1), plus a share "
                                     "of its better neighbour's and its source's retrieval rank, so it may pass 1")
    chunk_id: str = ""
    report_id: str = ""
    title: str = ""
    section: str = ""
    quote_start: int = Field(0, description="offset in the source's text")
    quote_end: int = 0
    translation: str | None = Field(None, description="the quote rendered in the question's language by the LLM, "
                                    "when it is quoted as the closest passage and written in the other language")


class SentenceCheck(BaseModel):
    text: str
    citations: list[int] = Field(default_factory=list)
    support: float = 0.0
    supported: bool = False
    reasons: list[str] = Field(default_factory=list, description="why the sentence is not shown: why its best source "
                               "does not support it, or why the answer it belongs to was dropped")


class Answer(BaseModel):
    question: str
    language: Language
    answer: str
    refused: bool = False
    status: Literal["answered", "closest", "refused"] = Field(
        "answered", description="answered; 'closest': the reports do not say it directly, the closest passages are "
        "shown; refused: nothing on topic was found")
    mode: Literal["generative", "extractive"] = "generative"
    notice: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    related: list[Source] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list, description="source sentences chosen before generation")
    sentences: list[SentenceCheck] = Field(default_factory=list, description="the answer's sentences, checked")
    dropped: list[SentenceCheck] = Field(default_factory=list, description="sentences of the model's text not shown, "
                                         "with why (unsupported, untranslated, 'not found')")
    confidence: float = Field(0.0, description="retrieval confidence that the sources hold an answer (0-1)")
    timings_ms: dict[str, float] = Field(default_factory=dict)
    models: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _refusal_is_a_status(self) -> "Answer":
        # `refused` predates `status`: an answer built with refused=True alone is a refusal
        if self.refused and self.status == "answered":
            self.status = "refused"
        return self

    @property
    def written(self) -> bool:
        """The model's checked synthesis (not quotes, closest passages or a refusal): the evidence
        chosen before it is shown under it, and it is judged for its language."""
        return self.mode == "generative" and self.status == "answered"
