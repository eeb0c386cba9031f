"""Check an answer's [n] citations against the sources, without an LLM.

Each sentence is judged against every source (rag.support): citations that support it stay,
the source that holds it most closely is cited too (a sentence citing the wrong source moves to
it), markers pointing to nothing go, and a sentence no source supports keeps no citation and
is flagged.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rag.figures import counted_figures, is_year, with_source_figures
from rag.language import detect_language
from rag.mentions import ReportMentions
from rag.questions import only_a_provision
from rag.records import Citation, SentenceCheck, Source
from rag.script import to_simplified
from rag.settings import ZhikuSettings
from rag.support import (TITLE, SupportJudge, Verdict, around, chinese_forms, incomplete, latin_names, letters, normalise,
                         restates_question, sentence_spans, states_something, strip_markers)

CITATION_MARK = re.compile(r"\[(\d+(?:\s*[,，、]\s*\d+)*)\]")
# A sentence runs to its terminator and takes the markers that follow it ("…罚款。[1]");
# a full stop only ends an English sentence before a space, so 1.5% stays whole, and not
# after an abbreviation ("Feng et al. argue" is one sentence, "Feng et al." would state nothing).
ABBREVIATION_END = r"(?<!\bet al)(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bU\.S)(?<!\bNo)"
# A semicolon ends a claim too: a list answer ("一是……；二是……；三是……[2]") is judged item by
# item, and one loosely paraphrased item no longer sinks the ones the source holds.
_ANSWER_SENTENCE = re.compile(
    rf"[^。！？!?；;\n]+?(?:[。！？!?；;]+|{ABBREVIATION_END}\.(?=\s|$)|$)(?:\s*\[[\d\s,，、]+\])*")
# The reports' own footnote marks (①, [②]) that the model copies are no citations.
_FOOTNOTE_MARK = re.compile(r"\[?[\u2460-\u2473\u2776-\u277f]\]?")
# Where a comparison turns to its other side: "，而" / "，但" / "，相比之下" after a comma (not 而且,
# 而是, 而非, 而后, 从而), ", while" / ", whereas" / ", but" (not "but also") in English.
_CONTRAST = re.compile(r"[，,]\s*(?=(?:而(?![且是非后])|但(?!也)|然而|相比之下|与之相比))"
                       r"|,\s+(?=(?:while|whereas|but(?!\s+also))\s)")
_CONNECTIVE = re.compile(r"^(?:而|但是|但|然而|while|whereas|but)\s*")
# A figure is the answer only where the passage gives it for what the question asks about. A
# sentence stating a figure under this many of the question's own words that the passage does not
# hold beside its support has put the passage's figure under the question's subject
# ("通用人工智能模型提供者的罚款上限是3500万欧元" from a sentence on fines for prohibited practices).
# One or two such words are the frame any answer repeats (上限 for 最高); evals/EXPERIMENTS.md,
# session 41, has the counts.
FRAMED_WORDS = 3
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# numbers that count nothing: an article's (第101、102条) and a list item's ("1、")
_NOT_COUNTS = re.compile(r"第\s*\d+(?:\s*[、,，至到-]\s*\d+)*|(?<!\d)\d{1,2}\s*[、．]")
# A sentence rejected whole is not rescued by its sides.
_WHOLE_SENTENCE_VETOES = ("restates the question", "only names a report", "only names a provision", "repeats itself")
# the items of a list sentence, for telling a model looping on one item from a list the passage gives
_LIST_ITEM = re.compile(r"[、，；;：:]|,(?!\d{3}(?!\d))")  # not the comma of 100,000
# A "sentence" without a word or a digit is a stray mark the model copied ("——"); a short label
# alone ("资料来源：[4]", "Answer:") states nothing either, whether it heads a list or stands for an answer,
# and nor does a list item's number the model left empty ("2. [2] 4. [2]").
EMPTY_LIST_ITEM = re.compile(r"\s*[(（]?\d{1,2}\s*[.、)）]\s*")  # "2.", "4）", "（3）" with nothing after
_WORDLESS = re.compile(rf"^[^0-9A-Za-z\u4e00-\u9fff]*$|^[^。！？!?；;]{{0,12}}[：:]$|^{EMPTY_LIST_ITEM.pattern}$")


def marker_numbers(text: str) -> list[int]:
    numbers = []
    for group in CITATION_MARK.findall(text):
        numbers += [int(n) for n in re.split(r"\s*[,，、]\s*", group)]
    return numbers


def answer_sentences(text: str) -> list[str]:
    text = _FOOTNOTE_MARK.sub("", text)
    return [m.group(0).strip() for m in _ANSWER_SENTENCE.finditer(text)
            if not _WORDLESS.match(strip_markers(m.group(0)).strip())]


def with_markers(sentence: str, numbers: Sequence[int]) -> str:
    body = strip_markers(CITATION_MARK.sub("", sentence)).rstrip()
    marks = "".join(f"[{n}]" for n in numbers)
    # markers go after the full stop, where the model was asked to put them; no space after Chinese
    # text or full-width punctuation (。，；）)
    return f"{body} {marks}".rstrip() if marks and not re.search(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]$", body) \
        else body + marks


@dataclass
class CheckedSentence:
    """One answer sentence as shown (markers corrected, the report's figures restored), its
    check, and the verdicts of the sources it keeps citing (their quotes)."""

    text: str
    check: SentenceCheck
    verdicts: dict[int, Verdict]


def check_sentences(answer: str, sources: Sequence[Source], judge: SupportJudge, question: str = "",
                    mentions: ReportMentions | None = None, terms: Sequence[str] = ()) -> list[CheckedSentence]:
    """Each sentence of the answer judged against every source. Given the question, a sentence
    that only restates it is supported by nothing. `mentions`: the reports' names (rag.mentions);
    what a sentence says of a report it names is held only by that report's passages, or by a
    passage that names it too. `terms`: the question's key terms (Query.terms); a figure stated
    under `FRAMED_WORDS` of them that a passage does not hold beside it is not that passage's."""
    # the reports each passage belongs to (its own, and those it names), read once per answer
    owners = [{s.report_id, *mentions.find(s.text)} for s in sources] if mentions is not None else []
    checked = []
    for sentence in answer_sentences(answer):
        claim = strip_markers(sentence)
        cited = [n for n in dict.fromkeys(marker_numbers(sentence)) if 1 <= n <= len(sources)]
        # A bare "80 [1]" answers "with how many countries…?": judged with the question it
        # answers, its figure must stand where the passage speaks of those countries.
        bare = bool(question) and not states_something(claim)
        judged = f"{question.rstrip('？?')}: {claim}" if bare else claim
        # the names and bodies of a bare figure's claim are the question's, by construction: the
        # passage must hold the figure where it speaks of the subject, not repeat every name
        # the asker used ("ISO/IEC JTC 1/SC 42" asked, "SC 42" written), nor the question's words
        framing = () if bare else framing_terms(claim, terms)
        verdicts = {n: _verdict(judge, judged, s, question, also=question if bare else "", framing=framing)
                    for n, s in enumerate(sources, 1)}
        if bare and (asked := latin_names(question)):
            # a bare figure answers only where the passage speaks of what the question names: at
            # least one of its names (an acronym, a body, a standard), as written or by the
            # glossary's Chinese; a figure from a passage on another subject counts something else
            silent = {n: v for n, v in verdicts.items() if not _speaks_of(sources[n - 1], asked, judge)}
            verdicts |= _rejected(silent, "names none of the question's names")
        parts = mentions.attributions(claim) if mentions is not None else []
        attributed = _attributed(parts, sources, owners, verdicts, judge, question, mentions, terms) if parts else None
        if attributed is not None:
            # "姜伟建议…，张猛、崔丽建议…" or "both A and B say…": a view is the report's that states it
            verdicts = _rejected(verdicts, "names another report") | attributed
        if question and restates_question(claim, question):
            verdicts = _rejected(verdicts, "restates the question")
        elif loops(claim, sources):
            # the small model may write one list item over and over until its token limit
            verdicts = _rejected(verdicts, "repeats itself")
        elif incomplete(claim):
            verdicts = _rejected(verdicts, "incomplete sentence")
        elif _only_a_title(claim, sources):
            # a report's title alone is held by its passage, yet it answers nothing
            verdicts = _rejected(verdicts, "only names a report")
        elif only_a_provision(claim, question):
            # an article's number alone is held by its passage, yet says nothing of what it rules
            verdicts = _rejected(verdicts, "only names a provision")
        kept = [n for n in cited if verdicts[n].supported]
        # The source that holds the sentence most closely is cited too, when it is not among the
        # model's supported choices: a reader who opens [n] should find the sentence the answer
        # rests on, and the small model often cites the first passage on the topic instead.
        strength = {n: (v.score, v.closeness) for n, v in verdicts.items() if v.supported}
        best = max(strength, key=strength.__getitem__, default=None)
        if best is not None and best not in kept and all(strength[n] < strength[best] for n in kept):
            kept = sorted([*kept, best])
        vetoed = any(r in v.reasons for v in verdicts.values() for r in _WHOLE_SENTENCE_VETOES)
        if attributed and len(parts) > 1 and not vetoed:
            kept = sorted(attributed)  # a passage of each report the sentence names
        rejected = attributed is not None or vetoed
        if not kept and not bare and not rejected and (parts := _held_by_parts(claim, sources, judge, question, terms)):
            # a comparison sentence draws each side from its own passage
            verdicts |= parts
            kept = sorted(parts)
        shown = kept or cited
        top = max((verdicts[n] for n in shown), key=lambda v: v.score, default=Verdict(0.0, False))
        check = SentenceCheck(text=claim, citations=kept, support=top.score, supported=bool(kept),
                              reasons=[] if kept else top.reasons)
        if kept and detect_language(claim) == "en":
            # the model read amounts converted to English (answer.format_excerpts): give back the report's own form
            sentence = with_source_figures(sentence, [sources[n - 1].text for n in kept])
        checked.append(CheckedSentence(with_markers(sentence, kept), check, {n: verdicts[n] for n in kept}))
    return checked


def loops(claim: str, sources: Sequence[Source]) -> bool:
    """The claim (without its markers) gives some list item (4 characters or more) three times or
    more, more often than the sources do together: the model looping, not a passage's own
    repetition copied (an article that says "确需向境外提供个人信息" in three of its clauses)."""
    counts: dict[str, int] = {}
    for item in (_key(i).strip(" 。.！!？?") for i in _LIST_ITEM.split(claim)):
        if len(item) >= 4:
            counts[item] = counts.get(item, 0) + 1
    repeated = {item: count for item, count in counts.items() if count >= 3}
    if not repeated:
        return False
    held = [_key(s.text) for s in sources]
    return any(sum(text.count(item) for text in held) < count for item, count in repeated.items())


def contrast_clauses(claim: str) -> list[str]:
    """The sides of a sentence that sets two things against each other ("GDPR要求年满16周岁，而《条例》
    要求年满14周岁", "Gui sees …, while Feng et al. expect …"); one clause for any other sentence."""
    parts = [_CONNECTIVE.sub("", part.strip(" ，,")) for part in _CONTRAST.split(claim)]
    return [part for part in parts if states_something(part)]


def _held_by_parts(claim: str, sources: Sequence[Source], judge: SupportJudge, question: str,
                   terms: Sequence[str] = ()) -> dict[int, Verdict]:
    """When each side of a contrast is held by some source, the best verdict of each side, by
    source (the sentence is then held by their union); empty when a side is held by none. No
    single passage holds both sides of a comparison of two reports, so judging the sentence
    whole against each passage drops exactly the answers a comparison asks for."""
    clauses = contrast_clauses(claim)
    if len(clauses) < 2 or (question and any(restates_question(c, question) for c in clauses)):
        return {}
    held: dict[int, Verdict] = {}
    for clause in clauses:
        framing = framing_terms(clause, terms)
        verdicts = {n: _verdict(judge, clause, s, question, framing=framing)
                    for n, s in enumerate(sources, 1)}
        best = max(verdicts, key=lambda n: (verdicts[n].supported, verdicts[n].score, verdicts[n].closeness))
        if not verdicts[best].supported:
            return {}
        if best not in held or verdicts[best].score > held[best].score:
            held[best] = verdicts[best]
    # sides one passage holds would have been held whole by it: a side held apart from its
    # subject ("the progress was limited") must not ride on the other side's source
    return held if len(held) >= 2 else {}


def quote_stretch(spans: Sequence[tuple[int, int]], best: tuple[int, int], limit: int) -> tuple[int, int]:
    """One quote for several stretches of a source: from the first to the last when that is at
    most `limit` characters long (a reader who opens the citation finds all the answer takes from
    it), else `best`."""
    start, end = min(a for a, _ in spans), max(b for _, b in spans)
    return (start, end) if end - start <= limit else best


def assemble(sentences: Sequence[CheckedSentence], sources: Sequence[Source],
             quote_chars: int = ZhikuSettings.model_fields["citation_quote_chars"].default) -> tuple[str, list[Citation]]:
    """The answer text of these sentences and one citation per cited source, quoting the stretch
    that holds every sentence citing it when it is at most `quote_chars` long, not only the one
    the answer copies most literally; else (or with 0) the stretch supporting one sentence best."""
    windows: dict[int, list[Verdict]] = {}
    for sentence in sentences:
        for n, verdict in sentence.verdicts.items():
            windows.setdefault(n, []).append(verdict)
    citations = []
    for n in sorted(windows):
        best = max(windows[n], key=lambda v: (v.score, v.closeness))
        start, end = quote_stretch([(v.start, v.end) for v in windows[n]], (best.start, best.end), quote_chars)
        citations.append(citation_for(n, sources[n - 1], replace(best, start=start, end=end)))
    texts = [s.text for s in sentences]
    joiner = "" if any("\u4e00" <= ch <= "\u9fff" for ch in "".join(texts)[:40]) else " "
    return joiner.join(texts), citations


def check_answer(answer: str, sources: Sequence[Source], judge: SupportJudge, question: str = "",
                 mentions: ReportMentions | None = None) -> tuple[str, list[Citation], list[SentenceCheck]]:
    """The answer with corrected markers, one citation per supporting source, and per-sentence checks."""
    checked = check_sentences(answer, sources, judge, question, mentions)
    text, citations = assemble(checked, sources)
    return text, citations, [s.check for s in checked]


def _attributed(parts: Sequence[tuple[str, str]], sources: Sequence[Source], owners: Sequence[set[str]],
                verdicts: dict[int, Verdict], judge: SupportJudge, question: str, mentions: ReportMentions,
                terms: Sequence[str] = ()) -> dict[int, Verdict]:
    """For a claim naming reports by their authors or publisher (`parts`: each report with what
    the claim says of it, ReportMentions.attributions): the verdicts of its report's own passages
    when it names one; when it names several, the passages that hold it, one per report, each
    holding its report's part (or the whole claim when that part says nothing: "A and B both hold
    X"), and none when a named report has no passage holding its part. A passage belongs to the
    reports in `owners` (its own, and those it names)."""
    if len(parts) == 1:  # its passages are judged as any source, the others cannot hold it
        return {n: v for n, v in verdicts.items() if parts[0][0] in owners[n - 1]}
    held: dict[int, Verdict] = {}
    for report_id, part in parts:
        own = [n for n in verdicts if report_id in owners[n - 1]]
        if not states_something(mentions.without_names(part)):
            found = {n: verdicts[n] for n in own}
        else:
            framing = framing_terms(part, terms)
            found = {n: _verdict(judge, part, sources[n - 1], question, framing=framing)
                     for n in own}
        best = max(found, key=lambda n: (found[n].supported, found[n].score, found[n].closeness), default=None)
        if best is None or not found[best].supported:
            return {}
        if best not in held or found[best].score > held[best].score:
            held[best] = found[best]
    return held


def _rejected(verdicts: dict[int, Verdict], reason: str) -> dict[int, Verdict]:
    return {n: Verdict(v.score, False, v.start, v.end, [*v.reasons, reason]) for n, v in verdicts.items()}


def _speaks_of(source: Source, names: set[str], judge: SupportJudge) -> bool:
    """The source or its report's names hold one of `names`, as written or by its glossary Chinese."""
    held = normalise(f"{source.text} {_report_names(source)}").lower()
    return any(judge.names(name, held) for name in names)


def _only_a_title(claim: str, sources: Sequence[Source]) -> bool:
    """The claim is a report's title, perhaps with words left out ("欧盟寻求规则型领导地位：认知与路径")."""
    def within(short: str, long: str) -> bool:
        rest = iter(long)
        return all(ch in rest for ch in short)  # a subsequence: each character found after the last

    claim_letters = letters(claim)
    return any(within(claim_letters, letters(title)) for s in sources for title in (s.title, s.title_en) if title)


def _verdict(judge: SupportJudge, claim: str, source: Source, question: str, also: str = "",
             framing: Sequence[str] = ()) -> Verdict:
    """The judge's verdict on `claim` against one source, read with what the source is from: its
    report's names (and `also`, more the passage need not repeat) and the report's home actor;
    `framing`: the question's words the claim puts its figure under (`framing_terms`), which the
    passage must hold beside the claim's support."""
    about = f"{_report_names(source)} {also}" if also else _report_names(source)
    verdict = judge.judge(claim, source.text, about=about, question=question, home=source.actor)
    if framing and verdict.supported and (
            unheld := unheld_framing(claim, framing, source.text, verdict, f"{source.section} {about}")):
        verdict = replace(verdict, supported=False,
                          reasons=[*verdict.reasons, "question's words not in source: " + "、".join(unheld)])
    return verdict


def _key(text: str) -> str:
    return to_simplified(normalise(text)).lower()


def framing_terms(claim: str, terms: Sequence[str]) -> list[str]:
    """The question's Chinese key `terms` a claim repeats when it states a figure in digits that
    counts something (an amount, a count, a share; not a year, a name's number, an article's or a
    list item's), and repeats `FRAMED_WORDS` or more; else none. A term inside a longer one the
    claim repeats (条例 in 管理条例) counts once, with it."""
    said = _key(claim)
    repeated = [t for t in dict.fromkeys(terms) if _HAN.search(t) and _key(t) in said]
    repeated = [t for t in repeated if not any(_key(t) != _key(u) and _key(t) in _key(u) for u in repeated)]
    if len(repeated) < FRAMED_WORDS:
        return []
    figures = counted_figures(_NOT_COUNTS.sub(" ", claim))
    return repeated if any(f.kind != "date" and not is_year(f) and re.search(r"\d", f.raw) for f in figures) else []


def unheld_framing(claim: str, framing: Sequence[str], passage: str, verdict: Verdict, about: str = "") -> list[str]:
    """The `framing` words (`framing_terms`) that `passage` does not hold beside the verdict's
    stretch (with a whole sentence either side; `about`: its section and report's names), in either script,
    when there are `FRAMED_WORDS` or more; else none. The words of a title the claim names
    (《…》) are held where the passage names that title anywhere, as a passage names a law once
    and then writes 该办法 beside its figures."""
    spans = sentence_spans(passage, clauses=False) or [(0, len(passage))]
    held = _key(f"{passage[slice(*around(spans, verdict.start, verdict.end))]} {about}")
    titles = TITLE.findall(claim)
    whole = _key(f"{passage} {about}") if titles else ""  # the whole passage read only for a title
    titled = " ".join(t for t in map(_key, titles) if t in whole)
    missing = [t for t in framing
               if not any(_key(form) in held for form in chinese_forms(t)) and _key(t) not in titled]
    return missing if len(missing) >= FRAMED_WORDS else []


def _report_names(source: Source) -> str:
    """What names the report itself: "according to the WIC report" or "Xing and Li" need not
    be repeated in the passage (report ids carry the authors' or publisher's names)."""
    return " ".join(filter(None, [source.title, source.title_en, *source.authors, source.report_id.replace("-", " ")]))


def citation_for(n: int, source: Source, verdict: Verdict) -> Citation:
    return Citation(
        n=n, report_id=source.report_id, title=source.title, title_en=source.title_en, source=source.source,
        section=source.section, text=source.text, chunk_id=source.chunk_id, chunk_ids=source.chunk_ids,
        quote=source.text[verdict.start:verdict.end], quote_start=verdict.start, quote_end=verdict.end,
    )
