"""Turn a question into a checked, cited answer: evidence first, the model second.

Stream order: "sources" (right after retrieval) → "evidence" (the verbatim source sentences
that bear on the question, scored without the LLM) → "token"* (the model's synthesis) → "answer".

The answer is built on the evidence: the model writes a short synthesis from the sentences
around it, each sentence of it is checked against the sources, and only sentences the sources
hold, in the question's language, are shown. When none survives but the evidence is on topic,
the answer says the reports do not say it directly and quotes the closest passages; a refusal
is left for questions where nothing on topic is found (retrieval confidence below a threshold).
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache, cached_property
from typing import Any, Literal

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from rag.citations import (ABBREVIATION_END, CITATION_MARK, CheckedSentence, answer_sentences, assemble, check_sentences,
                           citation_for, quote_stretch, with_markers)
from rag.compression import Compressor, Excerpt, SentenceScores, estimate_tokens, key_terms, term_coverage, usable_sentences
from rag.errors import LLMUnavailableError, ZhikuError
from rag.figures import english_amounts, missing_figures
from rag.language import detect_language
from rag.mentions import person_name
from rag.prompts import load_example, load_prompt, refusal_text
from rag.questions import asks_count, expected_answer, holds_count, stated_figures, validate_question
from rag.quote_translation import QuoteTranslator
from rag.records import Answer, Citation, Evidence, Query, SentenceCheck, Source
from rag.script import single_line, untranslated
from rag.stating import stating_sentence
from rag.support import SupportJudge, Verdict, letters, normalise, states_something, strip_markers

# What the model writes when the sources lack the answer (the prompts ask for the first two;
# the rest are paraphrases the small model uses for the same).
NOT_FOUND = ("资料中没有相关信息", "reports do not contain this", "do not contain this", "does not contain this",
             "not provided in the given text", "not mentioned in the given text", "资料中未提及", "资料中没有提到",
             "not mentioned in the reports", "not specified in the", "没有相关信息", "未提供相关信息")
CLOSEST = {"en": "The reports do not say this directly; the closest passages:",
           "zh": "资料中没有直接回答这个问题；最接近的原文："}
log = logging.getLogger(__name__)
TRANSLATION_MARK = {"en": "(Machine translation)", "zh": "（机器翻译）"}
# the model stopped at answer_limit_s: a notice on what it finished, a header when it finished nothing
CUT_NOTICE = {"en": "The answer was cut at {s:g} s; the quoted passages hold the rest",
              "zh": "回答写到{s:g}秒为止，未写完的部分见引用原文"}
CUT_CLOSEST = {"en": "The model did not finish its answer within {s:g} s; the closest passages:",
               "zh": "大模型未能在{s:g}秒内写完回答；最接近的原文："}
# an answer's other side whose quote, in the other language, got no rendering
UNRENDERED_SIDE = {"en": "{title} also bears on this; its passage, in the report's language, is cited as [{n}] "
                         "(no translation).",
                   "zh": "{title}的相关原文见 [{n}]（外文原文，未能翻译）。"}

# Quoted sentences after the best must bear on the question at least this much (sentence score, 0-1).
EVIDENCE_MIN_SCORE = 0.3


# Longer "sentences" are layout run together (a cover page's names, a contents list), not prose.
MAX_EVIDENCE_CHARS = 300


def _is_cover(sentence: str, source: Source) -> bool:
    """The report's own title with little else (its cover, a running header, perhaps with the
    authors or a word inflected differently), or a sentence that opens with it (a cover run
    into the abstract's first line: "《title》 authors 摘要：…"): it matches a question about the
    report's subject and says nothing about it."""
    text = letters(sentence)
    front = [letters(a) for a in source.authors if letters(a)] + ["摘要", "提要", "abstract"]
    for title in filter(None, (source.title, source.title_en)):
        name = letters(title)
        if len(name) < 4:
            continue
        whole = len(text) <= 1.7 * len(name)
        # opening with the title only marks a cover when the authors or the abstract follow it
        if not whole and not any(f in text[:int(1.7 * len(name)) + 40] for f in front):
            continue
        head = text[:int(1.7 * len(name))]
        held = sum(block.size for block in SequenceMatcher(None, name, head, autojunk=False).get_matching_blocks())
        if held >= 0.85 * len(name):
            return True
    return False


# a figure's or table's credit line ("来源：奇安信科技集团股份有限公司 图 4 …"), no statement of the report's
_CREDIT = re.compile(r"^\s*(?:资料)?来源[：:]|^\s*Source:\s")
# a rights notice ("本白皮书版权属于…", "转载、摘编…应注明来源", "All rights reserved"): boilerplate of the
# publisher, not a statement of the report, however well it matches a question naming the publisher
_NOTICE = re.compile(r"版\s*权\s*声\s*明|本(?:报告|白皮书|书|文|刊)(?:的)?版\s*权\s*(?:属于|归)"
                     r"|版\s*权\s*所\s*有\s*(?:[©，,：:。！!]|翻印|侵权|$)|转载、摘编|违反上述声明|All rights reserved"
                     r"|\b(?:is an?|are) (?:registered )?trademarks?(?: or [\w ]+)? of", re.I)
# what marks a sentence as the article's front matter whoever it names
_FRONT = re.compile(r"作者简介|通讯作者|作者单位|关键词[：:]")


def _is_front_matter(sentence: str, source: Source) -> bool:
    """A byline, an author's biography, a credit line or a rights notice: the sentence names a person who wrote
    its own report ("作者简介：严少华，复旦大学…", "…标准化 约翰·西曼1 编者按：…"), or credits a figure's
    source. It matches a question naming the report by its authors, and says nothing on the
    subject. Organisations are left out: a report's own institute is often the subject of a
    finding it reports ("中国信息通信研究院测算…")."""
    if _CREDIT.match(sentence) or _NOTICE.search(sentence):
        return True
    front = bool(_FRONT.search(sentence))
    for name in filter(None, map(person_name, source.authors)):  # organisations give no name
        # a two-character name may be a word too (高峰, "peak"): it marks front matter only beside a marker
        if name in sentence and (len(name) >= 3 or front):
            return True
    return False


def _is_prose(sentence: str) -> bool:
    """Footnote URLs, reference lines, table rows, run-together layout and a column of short
    lines (a contents page, a cover's names) are no answer, however well they score."""
    if "http" in sentence or "www." in sentence or sentence.count("|") >= 2 or len(sentence) > MAX_EVIDENCE_CHARS:
        return False
    lines = [line.strip() for line in sentence.splitlines() if line.strip()]
    if (len(lines) >= 3 and sum(map(len, lines)) / len(lines) < 25
            and not any(line[-1] in "。！？；.!?;" for line in lines)):
        return False
    return len(re.findall(r"[\u4e00-\u9fff]", sentence)) >= 8 or len(re.findall(r"[A-Za-z]{2,}", sentence)) >= 6


def _quotable(text: str, source: Source) -> bool:
    """May stand as evidence: prose, not the report's cover, a byline, a credit or a rights notice."""
    return _is_prose(text) and not _is_cover(text, source) and not _is_front_matter(text, source)


@dataclass
class AnswerEvent:
    """What a streaming consumer sees: sources, evidence, then tokens, then the answer. An answer
    that is not `final` comes again, with more (closest passages shown at once, then again with
    each quote's rendering in the question's language as the model makes it)."""

    kind: Literal["sources", "evidence", "token", "answer"]
    sources: list[Source] | None = None
    evidence: list[Evidence] | None = None
    delta: str = ""
    answer: Answer | None = None
    final: bool = True


def format_excerpts(excerpts: Sequence[tuple[int, Excerpt]], english: bool = False) -> str:
    """Numbered by the source's place in Answer.sources, so [n] means the same everywhere.
    Footnote marks like "[2]" inside a report would read as citations of another source; for
    an English answer, amounts in 万/亿 are given in English for the model to copy."""
    def body(excerpt: Excerpt) -> str:
        text = CITATION_MARK.sub("", excerpt.text)
        return english_amounts(text) if english else text

    def header(source: Source) -> str:
        # the authors too: a question about what an author argues is answered from a passage
        # that need not name them
        return f"《{source.title}》" + (f"（{'、'.join(source.authors)}）" if source.authors else "")

    return "\n\n".join(f"[{n}] {header(e.source)}\n{body(e)}" for n, e in excerpts)


def answer_messages(language: str, sources: str, question: str, terms: str = "",
                    example: bool = True) -> list[ChatMessage]:
    """The answer prompt as chat turns: with `example`, first the same prompt over a made-up
    example's sources and the answer it should get (prompts/answer_example.json), then the real one."""
    template = load_prompt("answer", language)
    messages = []
    if example:
        shown = load_example("answer")
        sources_shown = english_amounts(shown["sources"]) if language == "en" else shown["sources"]
        messages += [ChatMessage(role=MessageRole.USER, content=template.format(
                         sources=sources_shown, question=shown[language]["question"], terms="")),
                     ChatMessage(role=MessageRole.ASSISTANT, content=shown[language]["answer"])]
    return [*messages, ChatMessage(role=MessageRole.USER, content=template.format(
        sources=sources, question=question, terms=terms))]


def focused_excerpts(excerpts: Sequence[Excerpt], sources: Sequence[Source], named: Sequence[str] = (),
                     gap: float = 0.1, most: int = 3) -> list[tuple[int, Excerpt]]:
    """The excerpts the model reads, numbered by their source's place in the answer's sources.
    A small model drifts to a weaker excerpt read beside the strong one: it gets the `most` excerpts
    within `gap` of the best only, and the best excerpt of each report the question names
    (`named`), since a comparison read from one side is answered from one side."""
    top = max(e.best for e in excerpts)
    chosen = [e for e in excerpts if e.best >= top - gap][:most]
    for report_id in named if len(named) >= 2 else ():
        if not any(e.source.report_id == report_id for e in chosen) and (
                best := max((e for e in excerpts if e.source.report_id == report_id), key=lambda e: e.best, default=None)):
            chosen.append(best)
    return [(sources.index(e.source) + 1, e) for e in sorted(chosen, key=lambda e: e.source.rank)]


@cache
def _not_found_forms() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """NOT_FOUND and the whole refusal sentences, normalised once: the stream checks every token."""
    phrases = tuple(normalise(p).lower() for p in NOT_FOUND)
    return phrases, phrases + tuple(normalise(refusal_text(lang)).lower() for lang in ("en", "zh"))


def may_become_not_found(text: str) -> bool:
    """True while the text so far could still grow into the "not found" sentence."""
    lowered = normalise(text).lower()
    return any(form.startswith(lowered) or form in lowered for form in _not_found_forms()[1])


# where an answer's sentence ends: its terminator and the markers after it ("…罚款。[1]")
_FINISHED = re.compile(rf"(?:[。！？!?；;]|{ABBREVIATION_END}(?<!\d)\.(?=\s|$))[”’」』）)]*(?:\s*\[[\d\s,，、]+\])*")


def finished_part(text: str) -> str:
    """The answer up to the end of its last finished sentence (an answer cut while the model wrote)."""
    ends = [m.end() for m in _FINISHED.finditer(text)]
    return text[: ends[-1]] if ends else ""


def says_not_found(text: str) -> bool:
    lowered = normalise(text).lower()
    return any(phrase in lowered for phrase in _not_found_forms()[0])


def rests_on_evidence(shown: Sequence[CheckedSentence], sources: Sequence[Source], evidence: Sequence[Evidence]) -> bool:
    """Whether some shown sentence cites a source of the evidence quotes, or a chunk of the same
    report overlapping one (neighbouring chunks share text)."""
    quoted = [sources[e.n - 1] for e in evidence if 1 <= e.n <= len(sources)]
    for sentence in shown:
        for n in sentence.check.citations:
            if not 1 <= n <= len(sources):
                continue
            cited = sources[n - 1]
            if any(q is cited or (q.chunk_id and q.chunk_id == cited.chunk_id) or (
                    q.report_id == cited.report_id and q.start < cited.end and cited.start < q.end) for q in quoted):
                return True
    return False


def states_count_asked(shown: Sequence[CheckedSentence], query: Query) -> bool:
    """Whether an answer to a question asking for a count or an amount states one the question
    does not: "有美国、英国和欧盟的监管机构签署了联合声明" for "多少个国家签署了…" holds the topic,
    not the count, and the sources the checker found for it need not hold one either."""
    if not query.counts:
        return True
    asked = stated_figures(query.standalone)
    return any(holds_count(s.check.text, asked) for s in shown)


def shown_sentences(checked: Sequence[CheckedSentence], language: str) -> list[CheckedSentence]:
    """The sentences fit to show as an answer: held by a source, not a "not found" aside, in an
    English answer with no Chinese left untranslated (an English reader cannot use it), and each
    said once. A small model repeats what it wrote: a loop under greedy decoding, or one view copied
    to the other side of a comparison; a copy citing no source the first did not adds nothing, so it
    is dropped with a reason (the reason is added to the checks given: call this once per answer)."""
    fit = [s for s in checked if s.check.supported and not says_not_found(s.check.text)
           and not (language == "en" and untranslated(s.check.text))]
    said: dict[str, set[int]] = {}  # a sentence's words (spacing, punctuation and case aside) -> its citations
    shown = []
    for sentence in fit:
        words = re.sub(r"(?:(?<!\d)[\W_]|[\W_](?!\d))+", "", normalise(sentence.check.text)).lower()
        if words in said and set(sentence.check.citations) <= said[words]:
            sentence.check.reasons.append("repeats an earlier sentence")
            continue
        said.setdefault(words, set()).update(sentence.check.citations)
        shown.append(sentence)
    return shown


@dataclass
class Gathered:
    """The evidence step's output, before any LLM: the question read once, its sources, every
    source sentence scored, the best of them quoted, and how on topic the sources are."""

    query: Query
    sources: list[Source]
    scored: Sequence[tuple[float, int, int]]
    evidence: list[Evidence]
    confidence: float


class Answerer:
    def __init__(self, engine: Any):
        self.engine = engine
        self.settings = engine.settings  # the UI swaps in a copy per mode; read it per call

    @cached_property
    def judge(self) -> SupportJudge:
        return SupportJudge(self.engine.checker_embedder, self._glossary, stored=self.engine.window_vectors)

    @cached_property
    def compressor(self) -> Compressor:
        return Compressor.from_settings(self.judge, self.settings, self.engine.scorer_cross_lingual,
                                        stored=self.engine.stored_sentences)

    @cached_property
    def quote_translator(self) -> QuoteTranslator:
        # the glossary read at each rendering: the retriever rebuilds it when reports are added
        return QuoteTranslator(self.engine.llm, terms=lambda text: g.english_terms(text) if (g := self._glossary) else text)

    @property
    def _glossary(self):
        return getattr(self.engine.retriever, "glossary", None)

    def query(self, question: str, history: Sequence[tuple[str, str]] | None = None) -> Query:
        """The question checked and read once: language, standalone form, key terms."""
        question = validate_question(question, self.settings.max_question_chars)
        language = detect_language(question)
        standalone = question
        if history:
            from rag.chat import condense_question, needs_context

            if needs_context(self.engine, question, language):
                standalone = condense_question(self.engine, question, history)
        expansion = self._glossary.expand(standalone) if self._glossary is not None else None
        glossary_terms = list(expansion.preferred) if expansion is not None and language != "zh" else []
        return Query(text=question, language=language, standalone=standalone, glossary_terms=glossary_terms,
                     terms=key_terms(standalone, glossary_terms, language), expects=expected_answer(standalone),
                     counts=asks_count(standalone),
                     reports=self._named_reports(standalone, expansion.all_variants if expansion is not None else ()))

    def _named_reports(self, question: str, other_forms: Sequence[str]) -> list[str]:
        """The reports a question names by authors or publisher, or by title as written or by the
        glossary's other-language forms of its terms (`other_forms`: "GDPR" -> 通用数据保护条例):
        named ones first, in order of mention."""
        mentions = getattr(self.engine.retriever, "mentions", None)
        if mentions is None:
            return []
        return list(dict.fromkeys([*mentions.find(question), *mentions.titled(question, other_forms)]))

    def confidence(self, query: Query, scored: Sequence[tuple[float, int, int]], sources: Sequence[Source]) -> float:
        """How sure retrieval is that the sources are on the question's topic, 0–1. With stored
        sentence vectors: the best cosine of the question with any source sentence, stretched
        like the sentence scores (on the held-out tune questions of both corpora answerable
        ones had a cosine of 0.44 or more, off-topic ones 0.37 at most, while key-term coverage
        let "the capital of France" through on the reports' mentions of France). Without them:
        the best sentence's score (dense + lexical) and the share of the question's key terms
        the top sources hold."""
        if not scored:
            return 0.0
        if (on_topic := getattr(scored, "on_topic", None)) is not None:
            return round(on_topic, 4)
        coverage = term_coverage(query.terms, " ".join(s.text for s in sources[:3]))
        # the best sentence before its source's retrieval rank was added: how on topic, not where
        best = scored.best if isinstance(scored, SentenceScores) else max(s for s, _, _ in scored)
        return round(0.6 * best + 0.4 * coverage, 4)

    @staticmethod
    def names_found(query: Query, sources: Sequence[Source]) -> bool:
        """A question naming a report (by authors, publisher or title) whose passages were found is
        on topic whatever its confidence: the user chose the report, and a refusal would hide what
        it says. An English question's cosine with Chinese sentences runs low, lower still with
        the authors' names in it, and answerable questions naming a report fell below the refusal
        threshold; the model then answers, or the report's closest passages are shown."""
        return any(s.report_id in query.reports for s in sources)

    def evidence(self, scored: Sequence[tuple[float, int, int]], sources: Sequence[Source],
                 named: Sequence[str] = ()) -> list[Evidence]:
        """The best-scoring source sentences, verbatim, each once (neighbouring chunks overlap);
        when the question names several reports, also the best sentence of each named report
        that has none among them (a comparison needs both sides on screen)."""
        spans = [usable_sentences(s.text) for s in sources]  # as sentence_scores indexes them
        by_place = {(i, j): score for score, i, j in scored}
        chosen, seen, used = [], set(), set()
        ranked = sorted(scored, reverse=True)

        def item(score: float, i: int, j: int) -> Evidence | None:
            text = sources[i].text

            def free(k: int) -> bool:  # not quoted yet, from this chunk or an overlapping one
                return (i, k) not in used and normalise(text[slice(*spans[i][k])]) not in seen

            if not free(j):
                return None
            k = self._neighbour(score, i, j, spans[i], by_place, free, sources[i])
            for places in ([j, k], [j]) if k is not None else ([j],):  # the pair may be too long
                span = (min(spans[i][p][0] for p in places), max(spans[i][p][1] for p in places))
                if got := self._evidence_item(score, sources[i], i, span, seen):
                    used.update((i, p) for p in places)
                    seen.update(normalise(text[slice(*spans[i][p])]) for p in places)
                    return got
            return None

        for score, i, j in ranked:
            # a question past the refusal threshold is on topic: its best sentence is evidence
            # even when its words are not the question's (an English question's key terms are
            # its names only, so its best sentences score on meaning alone)
            if (score < EVIDENCE_MIN_SCORE and chosen) or len(chosen) >= self.settings.evidence_sentences:
                break
            if got := item(score, i, j):
                chosen.append(got)
        for report_id in named if len(named) >= 2 else ():
            if any(e.report_id == report_id for e in chosen):
                continue
            for score, i, j in ranked:
                if sources[i].report_id == report_id and (got := item(score, i, j)):
                    chosen.append(got)
                    break
        return chosen

    def _neighbour(self, score: float, i: int, j: int, spans: Sequence[tuple[int, int]],
                   by_place: dict[tuple[int, int], float], free: Callable[[int], bool], source: Source) -> int | None:
        """The neighbouring sentence an evidence quote of sentence j takes in, if any: an answer
        often spans a claim and the sentence beside it (its figure, its reason). The better
        neighbour joins when it scores at least `evidence_neighbour_share` of j's score (both as
        the scorer ranks them, each with a share of its own neighbour's score and its source's
        rank, so the ratio runs closer to 1 than their own scores'), is not quoted yet, is evidence
        on its own (prose, no cover or byline) and follows j with nothing between them in the text
        (a sentence left out as an instruction to the assistant stays out)."""
        share = self.settings.evidence_neighbour_share
        neighbours = [k for k in (j - 1, j + 1) if 0 <= k < len(spans) and free(k)]
        if share <= 0 or not neighbours:
            return None
        k = max(neighbours, key=lambda k: by_place.get((i, k), 0.0))
        first, second = sorted([spans[j], spans[k]])
        if (by_place.get((i, k), 0.0) >= share * score and not source.text[first[1]:second[0]].strip()
                and _quotable(source.text[slice(*spans[k])], source)):
            return k
        return None

    @staticmethod
    def _evidence_item(score: float, source: Source, i: int, span: tuple[int, int], seen: set[str]) -> Evidence | None:
        """The sentence (or two neighbouring sentences) at `span` of `source` as evidence, unless
        it is no prose, the report's cover, a byline or credit, or already chosen (`seen`, updated)."""
        a, b = span
        text = source.text[a:b]
        if not _quotable(text, source) or (key := normalise(text)) in seen:
            return None
        seen.add(key)
        return Evidence(n=i + 1, quote=CITATION_MARK.sub("", text).strip(), score=round(score, 4),
                        chunk_id=source.chunk_id, report_id=source.report_id, title=source.title,
                        section=source.section, quote_start=a, quote_end=b)

    def retrieve(self, query: Query, report_ids: Sequence[str] | None = None) -> list[Source]:
        return self.engine.retriever.retrieve(query.standalone, k=self.settings.top_k, report_ids=report_ids,
                                              language=query.language)

    def weigh(self, query: Query, sources: list[Source]) -> Gathered:
        """Score the sources' sentences for the question, quote the best, judge the topic."""
        scored = self.compressor.sentence_scores(query.standalone, sources, query.terms, query.language,
                                                 query.expects) if sources else []
        return Gathered(query, sources, scored, self.evidence(scored, sources, query.reports),
                        self.confidence(query, scored, sources))

    def reading(self, gathered: Gathered) -> list[tuple[int, Excerpt]]:
        """The excerpts the model reads, numbered by source: the best sentences within the
        context budget, from the sources whose best sentence is close to the best one."""
        settings, query = self.settings, gathered.query
        excerpts = self.compressor.compress(query.standalone, gathered.sources, settings.context_budget_tokens,
                                            scored=gathered.scored)
        return focused_excerpts(excerpts, gathered.sources, query.reports, settings.excerpt_gap, settings.max_excerpts)

    def gather(self, question: str, report_ids: Sequence[str] | None = None) -> Gathered:
        """Query, retrieval and evidence in one call (the evals' and tests' way in; `stream`
        runs the same steps with an event between them)."""
        query = self.query(question)
        return self.weigh(query, self.retrieve(query, report_ids))

    def stream(self, question: str, report_ids: Sequence[str] | None = None,
               history: Sequence[tuple[str, str]] | None = None) -> Iterator[AnswerEvent]:
        settings = self.settings
        started = time.perf_counter()
        timings: dict[str, float] = {}

        def ms() -> float:
            return round((time.perf_counter() - started) * 1000, 1)

        query = self.query(question, history)
        if query.standalone != query.text:
            timings["condense"] = ms()
        sources = self.retrieve(query, report_ids)
        timings["retrieve"] = ms()
        yield AnswerEvent("sources", sources=sources)

        gathered = self.weigh(query, sources)
        evidence, confidence = gathered.evidence, gathered.confidence
        timings["evidence"] = ms()
        yield AnswerEvent("evidence", evidence=evidence)
        base = Answer(question=query.text, language=query.language, answer="", sources=sources, evidence=evidence,
                      mode=settings.answer_mode, models=self.engine.model_names(), confidence=confidence)
        if query.standalone != query.text:
            base.notice = f"{'检索问题' if query.language == 'zh' else 'Searched for'}: {query.standalone}"
        # below the threshold only a report the question names keeps the question from a refusal,
        # and its quotes are then no answer of their own: only the closest passages
        weak = confidence < settings.min_confidence
        if not evidence or (weak and not self.names_found(query, sources)):
            yield AnswerEvent("answer", answer=self._refusal(base, timings, ms()))
            return
        if settings.answer_mode == "extractive":
            yield AnswerEvent("answer", answer=self._quotes(base, timings, ms(), closest=weak))
            return

        numbered = self.reading(gathered)
        # the glossary's Chinese for the question's terms lets the model find them in the excerpts
        terms = f"\n(Key terms in the reports: {'、'.join(query.glossary_terms)})" if query.glossary_terms else ""
        messages = answer_messages(query.language, format_excerpts(numbered, english=query.language == "en"),
                                   query.standalone, terms, settings.answer_example)
        timings["prompt_tokens_est"] = float(sum(estimate_tokens(m.content or "") for m in messages))
        try:
            text = yield from self._generate(messages, timings, ms)
            if "cut" in timings:  # what the model finished by the limit is the answer; the quotes hold the rest
                cut = CUT_NOTICE[query.language].format(s=settings.answer_limit_s)
                base.notice = "; ".join(filter(None, [base.notice, cut]))
        except ZhikuError as exc:
            yield AnswerEvent("answer", answer=self._quotes(base, timings, ms(), exc.message(query.language), closest=weak))
            return
        except Exception as exc:  # connection errors from an OpenAI-compatible server, timeouts
            error = LLMUnavailableError(
                f"The LLM could not answer ({type(exc).__name__}: {exc}); showing quoted passages instead.",
                f"大模型无法回答（{type(exc).__name__}：{exc}），改为展示原文摘录。",
            )
            yield AnswerEvent("answer", answer=self._quotes(base, timings, ms(), error.message(query.language), closest=weak))
            return
        timings["generate"] = ms()
        if query.language == "en":
            if self._glossary is not None:
                text = self._glossary.english_terms(text)  # Chinese terms the model copied, in English
            if untranslated(text) and "cut" not in timings:  # past the limit, such sentences are dropped
                try:  # the few words no glossary knows, by the model (a mended sentence is then checked)
                    text = self.quote_translator.mend(text)
                    timings["mend"] = ms()
                except Exception as exc:
                    log.warning("untranslated words not mended: %s: %s", type(exc).__name__, exc)
        checked = self._checked(text, query, sources)
        shown = shown_sentences(checked, query.language)
        if shown and settings.answer_on_evidence and not rests_on_evidence(shown, sources, evidence):
            # the model wrote from passages the scorer did not find to bear on the question: on
            # held-out questions such answers were mostly wrong or empty, while the quotes held the answer
            log.info("the answer cites none of the evidence's sources; showing the closest passages")
            for sentence in shown:
                sentence.check.reasons.append("cites no source of the evidence")
            shown = []
        if shown and not states_count_asked(shown, query):
            log.info("the answer states no count for a question asking for one; showing the closest passages")
            for sentence in shown:
                sentence.check.reasons.append("no figure for a question asking how many")
            shown = []
        timings["total"] = ms()
        # by when renderings of quotes should end (QuoteTranslator.fits): the later ones, and even the first
        rendering_times = {"deadline": started + settings.translate_until_s, "limit": started + settings.renderings_limit_s}
        # each dropped sentence once: a small model may repeat one sentence until its token limit
        dropped: dict[str, SentenceCheck] = {}
        for sentence in checked:
            if sentence not in shown:  # a copy's reason must not replace the reason its first was dropped for
                dropped.setdefault(sentence.check.text, sentence.check)
        base.dropped = list(dropped.values())
        if not shown:
            header = CUT_CLOSEST[query.language].format(s=settings.answer_limit_s) if "cut" in timings else None
            yield from self._closest(base, timings, ms, header=header, **rendering_times)
            return
        if not any(states_something(s.check.text) for s in shown):
            shown = self._stated(shown, sources, query.language, **rendering_times)
            timings["stated"] = ms()
        answer_text, citations = assemble(shown, sources, settings.citation_quote_chars)
        checks = [s.check for s in shown]
        if other_sides := self._other_sides(query, base, {c.chunk_id for c in citations}, **rendering_times):
            lines, quoted = zip(*other_sides)
            answer_text = "\n".join([answer_text, *lines])
            checks += [check for check, _ in quoted]
            # a side is quoted only from a chunk the answer does not cite, so its source is new
            citations = sorted([*citations, *(c for _, c in quoted)], key=lambda c: c.n)
            timings["other_sides"] = ms()
        yield AnswerEvent("answer", answer=base.model_copy(update={
            "answer": answer_text, "citations": citations, "sentences": checks, "timings_ms": timings}))

    def _checked(self, text: str, query: Query, sources: Sequence[Source]) -> list[CheckedSentence]:
        """The answer's sentences checked against the sources. A reply that only says "not found" is
        never shown, so it is not judged: judging embeds every sentence of every source, ~5 s on 2
        cores for sources not yet seen (the closest passages follow at once)."""
        sentences = answer_sentences(text.strip())
        if sentences and all(says_not_found(s) for s in sentences):
            return [CheckedSentence(s, SentenceCheck(text=strip_markers(s), citations=[], support=0.0, supported=False,
                                                     reasons=["says not found"]), {}) for s in sentences]
        return check_sentences(text.strip(), sources, self.judge, query.standalone,
                               getattr(self.engine.retriever, "mentions", None), query.terms)

    def _stated(self, shown: Sequence[CheckedSentence], sources: Sequence[Source], language: str,
                deadline: float | None = None, limit: float | None = None) -> list[CheckedSentence]:
        """An answer of bare figures or names ("37 [1]") given as the sentences of its cited
        sources that state them (rag.stating): verbatim in the question's language, else as a
        rendering marked as a machine translation. A rendering replaces a checked figure only
        when it states the same figures as its sentence; else, or with none, the bare sentence
        stays (its source's sentence is the citation's quote). The same sentence is given once."""
        found: dict[tuple[int, int, int], CheckedSentence] = {}  # (source, span) -> the bare sentence
        for sentence in shown:
            verdicts = sentence.verdicts
            best = max(verdicts, key=lambda n: (verdicts[n].score, verdicts[n].closeness), default=None)
            if best is None:
                return list(shown)
            # the sentence as shown carries the report's own form of an amount the model converted
            span = stating_sentence(sources[best - 1].text, verdicts[best], strip_markers(sentence.text))
            if span is None:
                return list(shown)  # one figure no sentence states: the answer stays as the model wrote it
            found.setdefault((best, *span), sentence)
        quotes = {key: single_line(CITATION_MARK.sub("", sources[key[0] - 1].text[key[1]:key[2]])) for key in found}
        foreign = [key for key in found if detect_language(quotes[key]) != language]
        renderings = dict(zip(foreign, self.quote_translator([quotes[k] for k in foreign], language, deadline, limit)))
        stated = []
        for key, sentence in found.items():
            n, quote, rendering = key[0], quotes[key], renderings.get(key)
            if key not in renderings:
                text = quote
            elif rendering and not missing_figures(rendering, quote) and not missing_figures(sentence.check.text, rendering):
                text = f"{TRANSLATION_MARK[language]} {rendering}"
            else:  # a quote in the other language would make the answer no answer in the question's
                stated.append(sentence)
                continue
            check = SentenceCheck(text=text, citations=[n], support=1.0, supported=True)
            stated.append(CheckedSentence(with_markers(text, [n]), check, {n: Verdict(1.0, True, key[1], key[2])}))
        return stated

    def _other_sides(self, query: Query, base: Answer, cited: set[str], deadline: float | None = None,
                     limit: float | None = None) -> list[tuple[str, tuple[SentenceCheck, Citation]]]:
        """For a question naming several reports, the side the answer left out: each named report
        whose best evidence sentence the answer does not cite (`cited`: the chunk ids it cites) is
        quoted with it (and, in the other language, rendered as a marked translation). The quote
        is the report's own words, so it needs no check; a comparison the model answered from one
        side, or gave one view to both sides of, is then shown from both reports' own words."""
        if len(query.reports) < 2:
            return []
        missing = [next((e for e in base.evidence if e.report_id == rid), None) for rid in query.reports]
        missing = [e for e in missing if e is not None and e.chunk_id not in cited]
        if not missing:
            return []
        try:
            renderings = self.quote_translator([e.quote for e in missing], query.language, deadline, limit)
        except Exception as exc:  # the quote is shown without its rendering
            log.warning("other side not translated: %s: %s", type(exc).__name__, exc)
            renderings = [None] * len(missing)
        sides = []
        for item, rendering in zip(missing, renderings, strict=True):
            source = base.sources[item.n - 1]
            title = f'"{source.title_en}"' if query.language == "en" and source.title_en else f"《{source.title}》"
            lead = f"{title} says: " if query.language == "en" else f"{title}写道："
            if rendering or detect_language(item.quote) == query.language:
                line = f"{lead}“{single_line(item.quote)}” [{item.n}]"
                if rendering:
                    line += f"\n{TRANSLATION_MARK[query.language]} {rendering}"
            else:
                # a quote in the other language without its rendering (left out for time, or failed) would
                # make the answer no answer in the question's language: the side is cited, its words open under [n]
                line = UNRENDERED_SIDE[query.language].format(title=title, n=item.n)
            check = SentenceCheck(text=item.quote, citations=[item.n], support=1.0, supported=True)
            citation = citation_for(item.n, source, Verdict(1.0, True, item.quote_start, item.quote_end))
            sides.append((line, (check, citation)))
        return sides

    def _generate(self, messages: list[ChatMessage], timings: dict[str, float], ms: Callable[[], float]
                  ) -> Generator[AnswerEvent, None, str]:
        """Stream the model's answer as token events and return its text, up to `answer_limit_s`
        after the question (`timings["cut"]` then says when). Tokens that may still become the
        "not found" sentence are held back: the closest passages then never follow a
        half-written refusal."""
        text, shown = "", 0
        responses = self.engine.llm.stream_chat(messages)
        try:
            for response in responses:
                if not text:
                    timings["first_token"] = ms()
                text += response.delta or ""
                if shown < len(text) and (shown or not may_become_not_found(text)):
                    yield AnswerEvent("token", delta=text[shown:])
                    shown = len(text)
                if ms() > self.settings.llm_timeout_s * 1000:
                    raise TimeoutError(f"no complete answer within {self.settings.llm_timeout_s:.0f} s")
                if 0 < self.settings.answer_limit_s * 1000 < ms():
                    timings["cut"] = ms()
                    log.info("the answer was cut at answer_limit_s (%.0f s)", self.settings.answer_limit_s)
                    break
        finally:
            if hasattr(responses, "close"):
                responses.close()  # stops generation at once when we give up on a slow answer
        if "cut" in timings:
            text = finished_part(text)  # a half-written sentence (or refusal) is never shown
        if shown < len(text) and not says_not_found(text) and not may_become_not_found(text):
            yield AnswerEvent("token", delta=text[shown:])
        return text

    def ask(self, question: str, report_ids: Sequence[str] | None = None,
            history: Sequence[tuple[str, str]] | None = None) -> Answer:
        for event in self.stream(question, report_ids, history=history):
            if event.kind == "answer" and event.final:
                return event.answer
        raise AssertionError("answer stream ended without an answer")

    def _refusal(self, base: Answer, timings: dict[str, float], total: float) -> Answer:
        return base.model_copy(update={
            "answer": refusal_text(base.language), "refused": True, "status": "refused", "related": base.sources[:3],
            "timings_ms": {**timings, "total": total},
        })

    def _closest(self, base: Answer, timings: dict[str, float], ms: Callable[[], float],
                 deadline: float, limit: float | None = None, header: str | None = None) -> Iterator[AnswerEvent]:
        """The closest passages as soon as they are known, then (for quotes in the other language)
        the same answer again after each quote's rendering, the last one final. A rendering takes
        the 1.5B model ~3-10 s: made before the answer was shown, they were most of an English
        answer's time (evals/EXPERIMENTS.md, session 37). The first rendering is made if it would
        end by `limit`, each later one if it would end by `deadline` (perf_counter times;
        QuoteTranslator.fits), so the answer's last event comes no later than it did when it
        waited for them; a failing LLM leaves the rest out. `header`: what introduces them, when
        not that the reports do not say it directly (CLOSEST)."""
        shown_ms = ms()
        foreign = [k for k, e in enumerate(base.evidence) if detect_language(e.quote) != base.language]
        translator = self.quote_translator
        # quotes whose rendering would end past the limit stay as they stand; the first that fits is rendered first
        while foreign and not translator.fits(base.evidence[foreign[0]].quote, base.language, limit):
            foreign.pop(0)
        to_render = self.settings.translate_closest and bool(foreign)
        yield AnswerEvent("answer", answer=self._quotes(base, timings, shown_ms, closest=True, header=header),
                          final=not to_render)
        if not to_render:
            return
        evidence = list(base.evidence)
        while foreign:
            k = foreign.pop(0)
            try:
                rendering = translator.translate(evidence[k].quote, base.language)
            except Exception as exc:  # the answer stands on the quotes; a rendering is an aid
                log.warning("closest passage not translated: %s: %s", type(exc).__name__, exc)
                break
            # a new list each time: an answer already yielded keeps the renderings it was shown with
            evidence = [*evidence[:k], evidence[k].model_copy(update={"translation": rendering}), *evidence[k + 1:]]
            # the quotes that would still be rendered by the deadline (a shorter one may be, the next not)
            foreign = [j for j in foreign if translator.fits(evidence[j].quote, base.language, deadline)]
            if not foreign:
                break
            if rendering:
                yield AnswerEvent("answer", final=False, answer=self._quotes(
                    base.model_copy(update={"evidence": evidence}), timings, shown_ms, closest=True, header=header))
        timings["translate"] = ms()
        yield AnswerEvent("answer", answer=self._quotes(
            base.model_copy(update={"evidence": evidence}), timings, shown_ms, closest=True, header=header))

    def _quotes(self, base: Answer, timings: dict[str, float], total: float, notice: str | None = None,
                closest: bool = False, header: str | None = None) -> Answer:
        """The evidence sentences quoted verbatim and cited: faithful by construction. `closest`:
        the model found no answer in them, or only the report the question names keeps them on
        topic, so they are introduced as the closest passages."""
        lines, checks, spans = [], [], {}
        for item in base.evidence:
            lines.append(f"“{single_line(item.quote)}” [{item.n}]")
            if item.translation:
                lines.append(f"{TRANSLATION_MARK[base.language]} {item.translation}")
            checks.append(SentenceCheck(text=item.quote, citations=[item.n], support=1.0, supported=True))
            spans.setdefault(item.n, []).append((item.quote_start, item.quote_end))
        # a source quoted twice is cited once, its quote holding both where they lie close together
        citations = [citation_for(n, base.sources[n - 1], Verdict(1.0, True, *quote_stretch(
            spans[n], spans[n][0], self.settings.citation_quote_chars))) for n in sorted(spans)]
        text = "\n".join(lines)
        return base.model_copy(update={
            "answer": f"{header or CLOSEST[base.language]}\n{text}" if closest else text,
            "status": "closest" if closest else "answered", "citations": citations,
            "sentences": checks, "mode": "generative" if closest and base.mode == "generative" else "extractive",
            "notice": notice or base.notice, "timings_ms": {**timings, "total": total},
        })
