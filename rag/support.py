"""Does a passage hold what an answer sentence says? An offline judge without an LLM.

No multilingual NLI or cross-encoder model installs offline (STACK.md), so support is
judged from signals we can compute: character-bigram coverage (Chinese against Chinese),
embedding similarity of the sentence with its best-matching stretch of the passage
(across languages), and three vetoes the small model's typical errors call for: a figure
the passage does not hold (rag.figures), an actor the passage does not name, and a
negation the passage does not share.
"""
from __future__ import annotations

import logging
import re
import sqlite3
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.figures import (CURRENCY_PREFIX, STANDARD_ID, Figure, counted_figures, covers, extract_figures, figures_in, is_year,
                          missing_figures)
from rag.glossary import Glossary
from rag.language import detect_language
from rag.script import to_simplified
from rag.window_vectors import WindowVectors

log = logging.getLogger(__name__)

# Sentences end at Chinese and English terminators; PDF line breaks fall mid-sentence.
# The judge also splits at semicolons (one claim often matches one clause of a list);
# what the model reads does not, so that "1）…；2）…；3）…；4）…" stays one whole list.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=[.])(?=\s+[A-Z\u4e00-\u9fff])")
_FULL_STOP = re.compile(r"(?<=[。！？!?])|(?<=[.])(?=\s+[A-Z\u4e00-\u9fff])")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_CITATION = re.compile(r"\[\d+(?:\s*[,，、]\s*\d+)*\]")
# Python counts Han characters as word characters, so \b cannot delimit Latin names in Chinese.
_ACRONYM = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]*[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9-]*(?![A-Za-z0-9])")
_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9-]+(?![A-Za-z0-9])")
_ACRONYM_PLURAL = re.compile(r"^([A-Z][A-Z0-9]+)s$")

# Who did it matters as much as what: the sentence must name only actors the passage names.
# English names map onto the Chinese the reports use.
ACTORS: dict[str, tuple[str, ...]] = {
    "美国": ("united states", "u.s.", "america", "american", "washington"),
    "欧盟": ("european union", "eu", "brussels"),
    "中国": ("china", "chinese", "beijing"),
    "英国": ("united kingdom", "uk", "britain", "british"),
    "日本": ("japan", "japanese"),
    "以色列": ("israel", "israeli"),
    "俄罗斯": ("russia", "russian"),
    "印度": ("india", "indian"),
    "德国": ("germany", "german"),
    "法国": ("france", "french"),
    "联合国": ("united nations", "un"),
    "谷歌": ("google",),
    "微软": ("microsoft",),
    "亚马逊": ("amazon",),
    "软银": ("softbank",),
    "特朗普": ("trump",),
    "拜登": ("biden",),
    "欧洲议会": ("european parliament",),
    "欧盟委员会": ("european commission",),
    "欧洲委员会": ("council of europe",),
}
TITLE = re.compile(r"《([^》]{2,40})》")
# A body named in English: capitalised words around an institution's head noun ("Ministry of
# Industry and Information Technology", "Department of Justice"). An English answer over Chinese
# passages writes such a name in its own rendering, which nothing here can check against the
# Chinese; a body the question does not name is the model's guess unless the passage holds it
# (as written, or by the acronym the answer gives after it: "… Center (CAISI)").
_BODY_HEAD = (r"(?:Ministry|Bureau|Department|Administration|Commission|Committee|Council|Office|Agency|Authority|"
              r"Institute|Association|Court|Parliament|Board|Centre|Center|Commissioner|Secretary)")
_BODY = re.compile(r"\b(?:[A-Z][A-Za-z-]+\s+(?:(?:of|and|for|on|the)\s+)*)*" + _BODY_HEAD
                   + r"(?:\s+(?:(?:of|and|for|on|the)\s+)*[A-Z][A-Za-z-]+)*(?:\s*\(([A-Z][A-Za-z0-9-]+)\))?")


def _dated_otherwise(figure: Figure, window: str, claim: str) -> bool:
    """A date the question states may be missing from a passage that speaks of it relatively
    ("今年7月" for July 2024), not from one that gives its figures another date: "2021年，…广告收入
    5,435亿元" does not hold "2022年全年…5,435亿元", though the question asked about 2022."""
    return figure.kind == "date" and any(f.kind == "date" and missing_figures(f.raw, claim)
                                         for f in extract_figures(window))


# A figure given as a rate ("每隔5个工作日", "every 5 days") answers "how often"; the same figure as a
# deadline or a threshold ("5个工作日内", "1000万人以上") is another quantity, so a rate must be a rate
# in the source too
_RATE = re.compile(r"(?:每隔|每|(?<![A-Za-z])(?:every|each)\s+)\s*(\d+(?:\.\d+)?|[一二两三四五六七八九十百千]+"
                   r"|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?![\d.])", re.I)


def rates_apart(claim: str, window: str) -> list[str]:
    """The rates the claim states ("每隔5个工作日") that the window does not state as rates."""
    held = {m.group(1).lower() for m in _RATE.finditer(window)}
    # "每一" is "every single" (每一个部门), no rate
    return [m.group(0).strip() for m in _RATE.finditer(claim) if m.group(1) != "一" and m.group(1).lower() not in held]


def dated_apart(claim: str, sentences: Sequence[str]) -> list[Figure]:
    """The claim's dates that contradict the date of the sentences holding its other figures: a
    figure carries the date of its own sentence ("2021年，…广告收入5,435亿元" is a 2021 figure,
    whatever year a neighbouring sentence names). A sentence without a date of its own (a
    relative "今年", or a date set in an earlier sentence) contradicts nothing."""
    figures = extract_figures(claim)
    # an English year stands alone ("by 2030"), where Chinese writes 2030年
    dates = [f for f in figures if f.kind == "date" or is_year(f)]
    others = [f for f in figures if f not in dates]
    if not dates or not others:
        return []
    holding = [text for text in sentences if any(not missing_figures(f.raw, text) for f in others)]
    dated = [text for text in holding if any(g.kind == "date" for g in extract_figures(text))]
    if not holding or len(dated) < len(holding):
        return []
    return [d for d in dates if all(missing_figures(d.raw, text) for text in dated)]


# What a date in a policy text dates: a law is approved, published, signed and brought into force
# on different days, and a small model gives one for another. Each event's words in both languages.
EVENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "entry into force": (("生效", "施行", "起实施"), ("into force", "take effect", "took effect", "takes effect",
                                                  "taken effect", "became effective", "effective from",
                                                  "effective on", "in effect")),
    "approval": (("批准", "核准", "表决通过", "投票通过", "审议通过"), ("approv", "ratif", "adopt", "voted", "passed")),
    "publication": (("发布", "公布", "印发", "颁布", "出台"), ("published", "released", "issued", "promulgat",
                                                   "announced", "unveiled")),
    "signature": (("签署", "签订", "签字"), ("signed", "signing", "signature")),
}


# a part of a law or plan: its rules, provisions, obligations, "most" or "some" of them
_PART_ZH = re.compile(r"部分|某些|一些|多数|其余|规则|条款|义务|禁令")
# a law's own name is no part of it: 《…规则》, 本规则
_LAW_NAME = re.compile(r"《[^》]*》|本(?:规则|条款)")
_PART_EN = re.compile(r"\b(?:most|some|certain|part|parts|rules?|provisions?|obligations?|bans?|prohibitions?|"
                      r"requirements?|chapters?|articles?|remaining|rest)\b", re.I)


def events(text: str) -> set[str]:
    lowered = text.lower()
    return {name for name, (zh, en) in EVENTS.items() if any(w in text for w in zh) or any(w in lowered for w in en)}


def event_mismatch(claim: str, window: str) -> set[str]:
    """The events a dated claim names that the passage's dated stretch names none of, when that
    stretch names another ("entered into force on 21 May 2024" against "2024年5月21日，欧盟理事会
    正式批准了《法案》"). A stretch naming no event says nothing either way."""
    if not any(f.kind == "date" for f in extract_figures(claim)):
        return set()
    said, held = events(claim), events(window)
    if said and held and not said & held:
        return said
    # "大部分规则将于2026年8月2日开始生效" dates when most rules apply, not the law's entry into
    # force: the clause holding the date speaks of a part, and the claim of the whole
    dates = [f for f in extract_figures(claim) if f.kind == "date"]
    for clause in re.split(r"[，,；;。]", window):
        if (said & events(clause) and _PART_ZH.search(_LAW_NAME.sub("", clause)) and not _PART_EN.search(claim)
                and not _PART_ZH.search(claim) and not missing_figures(" ".join(f.raw for f in dates), clause)):
            return {f"{name} (of a part)" for name in said & events(clause)}
    return set()


def unnamed_bodies(claim: str, held: str, question: str, glossary: Glossary | None = None) -> list[str]:
    """Bodies an English claim names that neither the question nor `held` (the normalised,
    lower-cased passage and its report's names) does, as written or by the glossary's Chinese
    for the whole name. A lone head noun ("the Commission") refers back; it names nothing new."""
    missing = []
    for match in _BODY.finditer(claim):
        name = re.sub(r"^(?:the|The)\s+", "", match.group(0).split("(")[0].strip())
        acronym = (match.group(1) or "").lower()
        if len(re.findall(r"\b[A-Z]", name)) < 2 or name.lower() in question.lower() \
                or normalise(name).lower() in held or (acronym and acronym in held):
            continue
        if glossary is not None and any(normalise(zh).lower() in held for zh in glossary.chinese_for(name)):
            continue
        missing.append(name)
    return missing


_CLAUSE = re.compile(r"[,;，；。：:]|\band\b|\bwhile\b|\bwhich\b")
_NEGATION_ZH = re.compile(r"不|没有|未|无需|无须|并非|非|无法|难以|否")
# Words that begin with a negation character and negate nothing ("未来" the future, "不同"
# different, "非常" very, "是否" whether): masked before negations are looked for. A closed list of
# common words, since no tokenizer here tags negation.
_NOT_NEGATING = re.compile(r"未来|不同|不断|不仅|不但|不少|不论|无论|非常|是否|否则|与否|不过|不久|不亚于|莫不")
_NEGATION_EN = re.compile(r"\b(?:not|no|never|without|cannot|neither|nor|none)\b|n't", re.I)


def normalise(text: str) -> str:
    """NFKC without whitespace: PDF text breaks lines and spaces digits apart."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def letters(text: str) -> str:
    """Only the letters, digits and Han characters of a text, case folded: two wordings compared
    apart from spacing and punctuation."""
    return re.sub(r"[\W_]+", "", text).casefold()


def strip_markers(text: str) -> str:
    return _CITATION.sub("", text).strip()


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def sentence_spans(text: str, clauses: bool = True) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text` (whitespace trimmed), in order; with
    clauses, the parts between semicolons count as sentences too."""
    spans, start = [], 0
    for piece in (_SENTENCE_END if clauses else _FULL_STOP).split(text):
        end = start + len(piece)
        stripped = piece.strip()
        if stripped:
            left = start + piece.index(stripped)
            spans.append((left, left + len(stripped)))
        start = end
    return spans


def _bigrams(text: str) -> set[str]:
    han = "".join(_HAN.findall(text))
    return {han[i:i + 2] for i in range(len(han) - 1)}


def lexical_coverage(claim: str, passage: str) -> float:
    """Share of the claim's Chinese character bigrams and Latin terms found in the passage."""
    claim, passage = normalise(claim), normalise(passage)
    wanted = _bigrams(claim)
    latin = {t.lower() for t in re.findall(r"[A-Za-z][A-Za-z0-9-]{1,}", claim)}
    if not wanted and not latin:
        return 0.0
    held = len(wanted & _bigrams(passage)) + sum(t in passage.lower() for t in latin)
    return held / (len(wanted) + len(latin))


# Chinese texts name China by its full name (《中华人民共和国数据安全法》) or, written by Chinese
# authors, as 我国 ("our country"); neither holds the characters 中国.
_CHINESE_FORMS = {"中国": ("中华人民共和国", "我国")}


def chinese_forms(name: str) -> tuple[str, ...]:
    """`name` and the other forms the reports write it in ("中国": 我国, 中华人民共和国)."""
    return (name, *_CHINESE_FORMS.get(name, ()))
# the actors a whole report can be about (a country, a bloc, the UN), not a company or a person
_HOMES = frozenset({"美国", "欧盟", "中国", "英国", "日本", "以色列", "俄罗斯", "印度", "德国", "法国", "联合国"})


_CURRENCY_NAMES = re.compile(r"\bU\.?S\.?\s*dollars?\b|\bUS\$|美元|港元|港币|欧元", re.I)


def actors(text: str) -> set[str]:
    # a currency names no actor: "6.38 billion US dollars" is 63.8亿美元, said of any country
    text = _CURRENCY_NAMES.sub(" ", to_simplified(text))  # 中國, 歐盟, 美國
    lowered = " " + text.lower() + " "
    found = {zh for zh, names in ACTORS.items()
             if zh in text or any(re.search(rf"(?<![a-z]){re.escape(n)}(?![a-z])", lowered) for n in names)}
    found |= {zh for zh, forms in _CHINESE_FORMS.items() if any(form in text for form in forms)}
    if re.search(r"(?<![A-Za-z])U\.?S\.?(?![A-Za-z])", text):  # "US" only in capitals: "us" is a pronoun
        found.add("美国")
    # the narrower body implies the union: 欧盟委员会 names 欧盟 too
    return {a for a in found if not any(a != b and a in b and b in found for b in found)}


def home_actor(opening: str) -> str:
    """The one country, bloc or body a report's opening (its title and first passage) names,
    or "": a Chinese regulation's articles speak of China without naming it, as an EU report's
    passages speak of the EU. A report whose opening names several is about none of them alone."""
    named = actors(opening)
    return next(iter(named)) if len(named) == 1 and named <= _HOMES else ""


def latin_names(text: str) -> set[str]:
    """Names that carry over between languages: every Latin word in Chinese text (CEN,
    Anthropic, SG17), capitalised acronyms in English text (ISO, TC260, OpenAI)."""
    # an English sentence quoting Chinese terms ("four tiers: 高风险, 有限风险") can count as
    # Chinese by characters; its ordinary English words are no names
    chinese_prose = detect_language(text) == "zh" and len(_LATIN_WORD.findall(text)) < 3
    pattern = _LATIN_WORD if chinese_prose else _ACRONYM
    actor_names = {n for names in ACTORS.values() for n in names} | {"ai"}
    # an acronym's plural ("IDs", "APIs") names what its singular does; "HTTPS", "IDS" are names of their own
    names = {_ACRONYM_PLURAL.sub(r"\1", a).lower() for a in pattern.findall(text)}
    return names - actor_names - {"us"}


def subject_names(text: str) -> set[str]:
    """latin_names, with a numbered body or standard as one name: "JTC 1" and "JTC 21" are two
    committees, not both "jtc"."""
    text = CURRENCY_PREFIX.sub(" ", text)
    numbered, parents = {}, set()
    for m in STANDARD_ID.finditer(text):
        # as written, to the number's first part: "ISO/IEC 42001" is named by "ISO/IEC 42001:2023"
        written = normalise(text[m.start():m.start(2)]).lower() + re.split(r"[.:-]", m.group(2))[0]
        numbered[written] = m.group(1).lower().split("/")[-1]
        if re.match(r"\s*/\s*[A-Z]", text[m.end():]):
            parents.add(written)  # "JTC 1/SC 42": a parent body before the slash qualifies the name after it
    return (latin_names(text) - set(numbered.values())) | (set(numbered) - parents)


def _masked(text: str) -> str:
    return _NOT_NEGATING.sub(lambda m: "\u25a1" * len(m.group(0)), text)


def negation_flipped(claim: str, passage: str, context: str = "") -> bool:
    """A claim that negates what the passage asserts, or asserts what it negates.

    Chinese against Chinese: a negation cue with the character after it ("不要") must occur in
    the passage (or in its `context`, the whole text it is a stretch of), and a negated phrase
    of the passage ("无需履行") must not turn up un-negated in the claim. English against Chinese
    can only be checked one way (a negated claim against a passage with no negation): "violate"
    translates 不遵守.
    """
    claim, passage = _masked(normalise(claim)), _masked(normalise(passage))
    whole = _masked(normalise(context)) if context else passage
    if detect_language(claim) != "zh":
        return bool(_NEGATION_EN.search(claim)) and not _NEGATION_ZH.search(passage)
    for m in _NEGATION_ZH.finditer(claim):
        # an adverb the claim left out may stand between ("无法捕捉" for "无法精确捕捉"); a claim
        # drawing on two items of a list finds each negated phrase anywhere in its passage
        if not re.search(re.escape(m.group(0)) + ".{0,2}" + re.escape(claim[m.end():m.end() + 1]), whole):
            return True
    for m in _NEGATION_ZH.finditer(passage):
        negated = passage[m.end():m.end() + 2]
        # only a phrase the passage never states un-negated: "监管" in "不监管" is no negation of
        # "监管要求" when the passage also says "监管要求"
        if (len(negated) == 2 and negated in claim and passage[m.start():m.end() + 2] not in claim
                and not _unnegated(negated, passage)):
            return True
    return False


def _unnegated(phrase: str, passage: str) -> bool:
    return any(not _NEGATION_ZH.search(passage[max(0, m.start() - 2):m.start()])
               for m in re.finditer(re.escape(phrase), passage))


def around(sentences: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """The window from the sentence before `start` to the sentence after `end`."""
    first = max([i for i, (a, _) in enumerate(sentences) if a <= start] or [0])
    last = min([i for i, (_, b) in enumerate(sentences) if b >= end] or [len(sentences) - 1])
    return sentences[max(first - 1, 0)][0], sentences[min(last + 1, len(sentences) - 1)][1]


def states_something(claim: str) -> bool:
    """"80 [1]" answers nothing by itself: a bare figure matches any passage that holds it."""
    return len(_LATIN_WORD.findall(claim)) >= 2 or len(_HAN.findall(claim)) >= 3


# a yes/no question, or a yes/no clause joined by "and"/"or" ("When must X…, and is Y covered?"): a
# sentence answering one may repeat it ("二者表述一致。", "Y is not covered."); an aside after a
# comma ("What, according to Yan, are…?") is no such clause
_YES_NO = re.compile(r"是否|吗[？?]?$|有没有|是不是|(?:^\s*|[,;，；]\s*(?:and|or)\s+)"
                     r"(?:do|does|did|is|are|was|were|can|could|has|have|had|will|would|should)\b", re.IGNORECASE)
# English words that carry no content of their own, for telling a restatement from an answer.
_FUNCTION_WORDS = set("""a an the of in on at to for from by with and or but as is are was were be been being has have
had do does did its it this that these those their they them he she his her which who what when where why how
according there than then into over about also both each other such not""".split())


def _stem(word: str) -> str:
    """A word without its inflection, so "cited" and "cite", "rules" and "rule" are one."""
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _content_words(text: str) -> set[str]:
    words = (w.lower() for w in _LATIN_WORD.findall(text))
    return {_stem(w) for w in words if len(w) > 2 and w not in _FUNCTION_WORDS}


# an English sentence that stops on a word needing one after it ("…is the case of .") left its answer out
_DANGLING = re.compile(r"\b(?:of|the|a|an|is|are|was|were|by|to|as|in|on|for|and|or|with|from)\s*[.。]?\s*$", re.I)


def incomplete(claim: str) -> bool:
    return bool(_DANGLING.search(strip_markers(claim).strip()))


def restates_question(claim: str, question: str) -> bool:
    """A sentence that only gives the question back ("欧盟采取了更为温和的方式" for "欧盟采取了怎样的
    '更为温和的方式'？") or repeats one phrase of it matches the sources as well as the question
    does, so the judge would pass it; it answers nothing. New figures and a negation the
    question lacks count as an answer, and so does any sentence answering a yes/no question
    ("是否一致？" → "二者表述一致。")."""
    claim = strip_markers(claim)
    if {f.raw.strip() for f in extract_figures(claim)} - {f.raw.strip() for f in extract_figures(question)}:
        return False
    for negation in (_NEGATION_ZH, _NEGATION_EN):
        if negation.search(claim) and not negation.search(question):
            return False
    chinese = detect_language(claim) == "zh"
    if chinese:
        said, asked = _bigrams(normalise(claim)), _bigrams(normalise(question))
    else:
        said, asked = _content_words(claim), _content_words(question)
    new = said - asked
    if _YES_NO.search(question):
        # a verdict may use only the question's words ("两者一致。", "… is not covered."), but a
        # clause of the question copied back whole is none (a question may ask "what…, and is…?")
        # ("欧盟禁止社会评分。" for "欧盟禁止社会评分吗？" is the yes, not a restatement)
        copied = letters(claim)
        clauses = [c for c in re.split(r"[。？?！!；;]", question) if not _YES_NO.search(c.strip())]
        return not new and len(copied) >= (8 if chinese else 24) and any(
            copied in letters(c) for c in clauses)
    return len(new) < max(2, 0.15 * len(said))


@dataclass
class Verdict:
    score: float
    supported: bool
    start: int = 0  # the best-supporting stretch of the passage
    end: int = 0
    reasons: list[str] = field(default_factory=list)
    # how literally the passage's closest window holds the claim (cosine plus shared wording,
    # unclipped): ranks passages whose scores both saturate at 1
    closeness: float = 0.0


def window_spans(passage: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """A passage's sentences, and the windows the checker compares a claim with: single
    sentences and adjacent pairs (a claim often fuses two source sentences)."""
    sentences = sentence_spans(passage) or [(0, len(passage))]
    return sentences, [*sentences, *((a[0], b[1]) for a, b in zip(sentences, sentences[1:]))]


def window_texts(passage: str) -> list[str]:
    """The windows' texts, as the checker embeds them (ingest embeds them ahead: rag.window_vectors)."""
    return [passage[a:b] for a, b in window_spans(passage)[1]]


def normalised(vector: Sequence[float]) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float32)
    return array / (np.linalg.norm(array) or 1.0)


class SupportJudge:
    # Tuned on evals/datasets/judge.jsonl (see tests/test_support.py for the accuracy it must keep).
    threshold = 0.5
    # e5 cosines crowd into a narrow band that sits lower across languages (judge.jsonl:
    # en→zh translations 0.82–0.92, unrelated ≤ 0.80; zh paraphrases ≥ 0.94, unrelated
    # ≤ 0.89); stretch each band onto 0–1 so that 0.5 falls between them.
    cosine_band = {True: (0.86, 0.94), False: (0.78, 0.84)}  # keyed by "same language"

    def __init__(self, embedder, glossary: Glossary | None = None, cache_size: int = 4096,
                 stored: WindowVectors | None = None):
        """`stored`: the windows' vectors ingest embedded (rag.window_vectors); a window not
        there is embedded here and kept there."""
        self.embedder = embedder
        self.glossary = glossary
        self.stored = stored
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    # -- embeddings, cached: the same source sentences are scored against every answer sentence
    def _embed(self, texts: Sequence[str], kind: str) -> list[np.ndarray]:
        missing = [t for t in dict.fromkeys(texts) if (kind, t) not in self._vectors]
        if missing and kind == "passage" and self.stored is not None:
            for text, vector in self._stored_call(self.stored.get, missing, default={}).items():
                self._vectors[(kind, text)] = vector  # stored normalised
            missing = [t for t in missing if (kind, t) not in self._vectors]
        if missing:
            if kind == "query":
                vectors = [self.embedder.get_query_embedding(t) for t in missing]
            else:
                vectors = self.embedder.get_text_embedding_batch(list(missing))
            if kind == "passage" and self.stored is not None:
                self._stored_call(self.stored.put, missing, [normalised(v) for v in vectors])
            for text, vector in zip(missing, vectors):
                self._vectors[(kind, text)] = normalised(vector)
        for text in texts:
            self._vectors.move_to_end((kind, text))
        while len(self._vectors) > self._cache_size:
            self._vectors.popitem(last=False)
        return [self._vectors[(kind, t)] for t in texts]

    def _stored_call(self, call, *args, default=None):
        """A call on the stored windows that may fail without failing the answer: the store is a
        cache. Busy or full (OperationalError), this once; corrupt or closed, no more."""
        try:
            return call(*args)
        except sqlite3.OperationalError as exc:
            log.warning("checker window vectors unavailable this time (%s); embedding them", exc)
        except (sqlite3.Error, ValueError) as exc:
            log.warning("checker window vectors unreadable (%s: %s); embedding them from now on",
                        type(exc).__name__, exc)
            self.stored = None
        return default

    def similarities(self, claim: str, passages: Sequence[str]) -> np.ndarray:
        claim_vector = self._embed([claim], "query")[0]
        return np.array([float(v @ claim_vector) for v in self._embed(passages, "passage")]) if passages else np.zeros(0)

    def semantic(self, cosine: float, same_language: bool) -> float:
        floor, ceiling = self.cosine_band[same_language]
        return float(np.clip((cosine - floor) / (ceiling - floor), 0.0, 1.0))

    def judge(self, sentence: str, passage: str, about: str = "", question: str = "", home: str = "") -> Verdict:
        """`about` names what the passage is from (its report's title and authors): a claim may
        name the report's authors or subject without the passage repeating them. Figures the
        `question` itself states ("in July 2024") are the asker's, not the model's: a passage
        saying "今年7月" need not repeat them. `home`: the one country or bloc the passage's
        report is about (rag.support.home_actor); a passage naming no other actor speaks of it
        unnamed, as a Chinese regulation's article speaks of China."""
        claim = strip_markers(sentence)
        sentences, spans = window_spans(passage)
        texts = [passage[a:b] for a, b in spans]
        cosines = self.similarities(claim, texts)
        is_chinese = detect_language(claim) == "zh"
        same_language = is_chinese == (detect_language(passage) == "zh")
        stated = bool(figures_in(claim))  # a figure label alone ("Table 3") states no figure
        scores = []
        for (a, b), text, cosine in zip(spans, texts, cosines):
            semantic = self.semantic(cosine, same_language)
            lexical = lexical_coverage(claim, text) if is_chinese else 0.0
            # The figures must be where the support is (a sentence either side allowed), not
            # anywhere in the passage: "signed by 20 states" is not held by a passage that
            # matches the topic in one sentence and mentions the G20 (二十国集团) in another.
            near = around(sentences, a, b)
            window = passage[slice(*near)]
            missing = missing_figures(claim, window) if stated else []
            if question and missing:
                missing = [f for f in missing if missing_figures(f.raw, question) or _dated_otherwise(f, window, claim)]
            if stated and not missing:
                missing = dated_apart(claim, [passage[x:y] for x, y in sentences if near[0] <= x and y <= near[1]])
            # shorter windows win ties: the quote should be as tight as the evidence
            scores.append((max(lexical, semantic) * (0.4 if missing else 1.0), -(b - a), a, b, missing,
                           float(cosine) + lexical_coverage(claim, text)))
        # among windows that support alike, the one holding the claim most closely is quoted (a score
        # saturates at 1 for several sentences of a passage), then the shorter
        best, _, start, end, missing, _ = max(scores, key=lambda item: (item[0], round(item[5], 2), *item[1:4]))
        closeness = max(item[5] for item in scores)
        reasons = []
        if missing:
            reasons.append("figure not in source: " + ", ".join(f.raw.strip() for f in missing))
        in_passage = actors(passage)
        if home and in_passage & _HOMES <= {home}:  # 欧盟委员会 in an EU report is no other actor
            in_passage = in_passage | {home}
        if missing_actors := actors(claim) - in_passage - actors(about):
            reasons.append("actor not in source: " + ", ".join(sorted(missing_actors)))
        held = normalise(f"{passage} {about}").lower()
        if missing_names := {a for a in subject_names(claim) if not self.names(a, held)}:
            reasons.append("name not in source: " + ", ".join(sorted(missing_names)))
        if not is_chinese and (bodies := unnamed_bodies(claim, held, question, self.glossary)):
            reasons.append("body not in source or question: " + ", ".join(bodies))
        titles = TITLE.findall(claim)
        held_titles = to_simplified(held) if titles else ""  # once per judgement, only when a title is named
        if missing_titles := [t for t in titles if to_simplified(normalise(t).lower()) not in held_titles]:
            # a law or report named in 《》 is a name like any other: the passage must hold it
            reasons.append("title not in source: " + ", ".join(f"《{t}》" for t in missing_titles))
        if not states_something(claim):
            reasons.append("no statement besides figures")
        beside = passage[slice(*around(sentences, start, end))]  # the quote and a sentence either side
        if stated and (wrong_events := event_mismatch(claim, beside)):
            reasons.append("event not in source: " + ", ".join(sorted(wrong_events)))
        if stated and (foreign := self.figures_of_others(claim, beside, held)):
            reasons.append("figure of another subject: " + ", ".join(foreign))
        if stated and (rates := rates_apart(claim, beside)):
            reasons.append("rate not in source: " + ", ".join(rates))
        if negation_flipped(claim, passage[start:end], passage):
            reasons.append("negation differs from source")
        # a missing figure already scaled its window's score down; any other reason does it here
        score = best * (0.4 if len(reasons) > bool(missing) else 1.0)
        return Verdict(round(score, 4), score >= self.threshold and not reasons, start, end, reasons,
                       round(closeness, 4))

    def figures_of_others(self, claim: str, window: str, held: str) -> list[str]:
        """Figures the claim gives to a body it names ("SC 42 has published 10 standards") that
        the passage states only in sentences naming other bodies and none of the claim's ("ITU-T
        通过10个研究组…"): a figure belongs to the subject of its own sentence. Only names the
        passage holds somewhere count as the claim's subject; a figure in a sentence that names
        no Latin name at all is left to the other checks."""
        found = []
        figures = [f for f in counted_figures(claim) if f.kind != "date"]  # a date belongs to an event: `event_mismatch`
        if not figures:
            return found
        # each window sentence's figures, read once: all of them, and those outside its names
        sentences = [(s, counted_figures(s), extract_figures(s)) for s in split_sentences(window)]
        for figure in figures:
            # the subject is named in the figure's own clause: a sentence fusing two source
            # sentences ("…2 of 22 members, and UNCTAD data shows…") gives each its own subject
            holding = [s for s, counted, _ in sentences if covers(counted, figure)]
            if not holding:  # the passage has the number only in a name ("15" of "SG15")
                if any(covers(every, figure) for _, _, every in sentences):
                    found.append(f"{figure.raw.strip()} (a name's number)")
                continue
            clause = next((c for c in _CLAUSE.split(claim) if figure.raw.strip() in c), "")
            own = {name for name in subject_names(clause) if self.names(name, held)}
            if not own:
                continue
            others = [subject_names(s) - own for s in holding]
            if all(other and not any(self.names(n, normalise(s).lower()) for n in own)
                   for s, other in zip(holding, others)):
                found.append(f"{figure.raw.strip()} ({', '.join(sorted(others[0]))})")
        return found

    def names(self, name: str, held: str) -> bool:
        """`held` (the normalised passage and its report's names) names `name`, as written or
        by its glossary Chinese ("SME" → 中小企业)."""
        if any(c.isdigit() for c in name):  # "JTC 1" is not any 联合技术委员会: a numbered name is held as
            # written (`held` is normalised, so "JTC 1" and "JTC1" alike), not inside a longer number ("JTC 12")
            return re.search(re.escape(name) + r"(?!\d)", held) is not None
        if name in held:
            return True
        variants = self.glossary.expand(name.upper()).all_variants if self.glossary else ()
        return any(normalise(v).lower() in held for v in variants)

    def score(self, sentence: str, passage: str) -> float:
        return self.judge(sentence, passage).score

    def supports(self, sentence: str, passage: str) -> bool:
        return self.judge(sentence, passage).supported
