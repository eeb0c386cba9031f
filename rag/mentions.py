"""Which reports a question names: "according to Yan and Yang", "邢亚杰等", "the WIC report".

Readers of a report collection ask about a work by its authors or publisher; neither arm can
use that, because an author's name rarely sits in the passage that answers. The catalog holds
authors in Chinese, so English surnames come from pypinyin, and so do the pinyin forms of an
organisation's short name ("奇安信科技集团股份有限公司" -> "Qi An Xin"); names in parentheses
("约翰·西曼 (John Seaman)", "世界互联网大会 (World Internet Conference)") give English forms and
acronyms (WIC); a publisher written in Latin letters names its report where its title names it
too ("Cisco"). Matching is by hand: no library maps bibliographic mentions to records.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rag.glossary import chinese_pattern
from rag.records import Report

if TYPE_CHECKING:
    from rag.glossary import Glossary

_PARENTHESISED = re.compile(r"[(（]([^)）]+)[)）]")
_HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff"
_HAN = re.compile(f"[{_HAN_CLASS}]")
# A Latin name's edges: not inside a longer Latin word or number, but next to Chinese ("CAICT的白皮书"),
# where \b sees no edge because Han characters are word characters too
_L, _R = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"


def _chinese_names(text: str) -> list[str]:
    """Chinese name forms worth matching: each phrase outside parentheses, and the surname of a
    transliterated name ("约翰·西曼" -> "西曼", not the given name); never a single character."""
    outside = _PARENTHESISED.sub("", text)
    names = []
    for phrase in re.split(r"[\s，,、；;]+", outside):
        phrase = phrase.strip("《》“”\"")
        names += [phrase, phrase.split("·")[-1]] if "·" in phrase else [phrase]
    return [n for n in dict.fromkeys(names) if len(n) >= 2 and _HAN.search(n)]


# a company's legal form, not how it is asked about: "Microsoft Corporation", "Foo Co., Ltd."
_COMPANY_TAIL = re.compile(r"(?:,?\s+(?:Inc|Incorporated|Corporation|Corp|Ltd|Limited|LLC|plc|GmbH|Co)\.?)+$")


def _english_names(text: str) -> list[str]:
    """English forms of a name in parentheses ("约翰·西曼 (John Seaman)" -> "Seaman", a translated
    person's surname), and the initials of such a name of three capitalised words or more ("WIC")."""
    names = []
    for inside in _PARENTHESISED.findall(text):
        if _HAN.search(inside):
            continue
        words = inside.split()
        names.append(words[-1] if len(words) == 2 else inside)  # "John Seaman" -> "Seaman"
        capitals = [w[0] for w in words if w[:1].isupper()]
        if len(capitals) >= 3:
            names.append("".join(capitals))  # "World Internet Conference" -> "WIC"
    return names


def _latin_name(field: str, report: Report) -> str | None:
    """A publisher written in Latin letters only ("Cisco", from an English rights notice), without
    its legal form, when the report's title names it too ("Cisco 2022 Data Privacy Benchmark
    Study"). A typist or placeholder in a file's metadata ("Microsoft Office User", "AI", "Data")
    is in no title, and would otherwise claim every question using the word."""
    if _HAN.search(field) or not re.search("[A-Za-z]", field):
        return None
    name = _COMPANY_TAIL.sub("", field.strip()).strip(" ,&") or field.strip()
    titles = " ".join(filter(None, (report.title, report.title_en)))
    return name if len(name) >= 3 and re.search(rf"{_L}{re.escape(name)}{_R}", titles) else None


def _core_title(title: str) -> str:
    """A title as a question names it: Simplified, casefolded, without a journal column before
    "|", without a bracketed year or chapter at its end, and without the state's name that opens
    every PRC national law's full title (《中华人民共和国个人信息保护法》 is cited as 《个人信息保护法》)."""
    from rag.script import to_simplified

    core = unicodedata.normalize("NFKC", to_simplified(title.split("|")[-1])).strip()
    core = re.sub(r"(?:\s*[(（][^()（）]*[)）])+$", "", core).strip().strip("《》")
    core = re.sub(r"^中华人民共和国(?=.{4})", "", core)
    return core.casefold()


def person_name(author: str) -> str | None:
    """The Chinese name of an author who is a person: 2-4 Han characters ("严少华"), or a
    transliterated name ("约翰·西曼 (John Seaman)" -> "约翰·西曼"); None for an organisation."""
    han = _PARENTHESISED.sub("", author).strip()
    if "·" in han:
        return han if len(han) <= 6 and all(_HAN.match(c) or c == "·" for c in han) else None
    return han if 2 <= len(han) <= 4 and all(_HAN.match(c) for c in han) else None


# Words that end an organisation's name without telling it apart: "奇安信科技集团股份有限公司" is
# asked about as "奇安信". Longer words first, so the longest generic tail is taken off.
_GENERIC_TAIL = re.compile(
    r"(?:股份有限公司|有限责任公司|有限公司|股份|公司|集团|科技|技术|商业治理研究院|研究院|研究所|研究中心"
    r"|中心|实验室|协会|学会|委员会)+$")


def _short_names(organisation: str) -> list[str]:
    """The short names an organisation is asked about by: a name in 《》 ("《财经》商业治理研究院" ->
    "财经") and the name without its generic tail ("奇安信科技集团股份有限公司" -> "奇安信"), each of
    2-4 Han characters, since a longer remainder ("中国信息通信") is a description, not a name."""
    outside = _PARENTHESISED.sub("", organisation).strip()
    names = re.findall(r"《([^》]+)》", outside) + [_GENERIC_TAIL.sub("", outside)]
    return [n for n in dict.fromkeys(names) if 2 <= len(n) <= 4 and all(_HAN.match(c) for c in n)]


def _romanised(name: str) -> str:
    """A pattern for a short Chinese name in pinyin as English texts write it: "奇安信" matches
    "Qi An Xin", "Qianxin", "Qi-An-Xin" and "Qi'anxin"; "财经" matches "Caijing"."""
    from pypinyin import lazy_pinyin

    syllables = [re.escape(s).replace("v", "(?:v|u|ü)") for s in lazy_pinyin(name)]  # 吕: lv, lu, lü
    return "(?i:" + r"[\s\-\u2010-\u2015\u2212'’]{0,2}".join(syllables) + ")"


# A short name is part of longer names and words too (财经 in 上海财经大学): it names its report only
# where it stands as a word, at the text's edge, beside a non-Han character or one of these
# particles ("CAICT与奇安信报告", "据奇安信", "《财经》的报告").
_BEFORE = "与和及、的据对在同跟"
_AFTER = "报的等与和及、发认指称提在公集研白对将也则所"


def _standing(name: str) -> str:
    return (rf"(?:(?<=[{_BEFORE}])|(?<![{_HAN_CLASS}])){re.escape(name)}"
            rf"(?=[{_AFTER}]|[^{_HAN_CLASS}]|$)")


def _surname(author: str) -> str | None:
    from pypinyin import lazy_pinyin

    han = person_name(author)
    if han is None or "·" in han:
        return None  # an organisation, or a transliterated foreign name
    return lazy_pinyin(han[0])[0].capitalize()


def _full_names(author: str, surname: str) -> list[str]:
    """Patterns for a Chinese author's whole name in pinyin (`surname`: from _surname), in either
    order ("李欣倩" -> "Li Xinqian", "Xinqian Li"): "Cui Li" is 崔丽, and its "Li" is no mention of
    an author surnamed Li."""
    given = _romanised(person_name(author)[1:])
    # as English abstracts write it: "LI Xinqian", "Xinqian Li" (not "Li, Xinqian": "Cui, Li and
    # Wang" lists three surnames)
    return [rf"{_L}(?i:{surname})\s+{given}{_R}", rf"{_L}{given}\s+(?i:{surname}){_R}"]


# a glossary term that names a body, by how Chinese bodies' names end
_BODY = re.compile(r"(?:院|会|局|部|办|所|署|中心|组织|联盟|办公室|集团|公司)$")
# where the words after a name turn to another name: "信通院与全国信安标委的白皮书", "CAICT and TC260's"
_NEXT_NAME = re.compile(r"[和与及、,，;；]|\s(?:and|or|vs\.?|versus)\s", re.I)
# How far after a name its qualifying words are read ("CAICT white paper", "信通院数据要素白皮书")
_QUALIFIER_CHARS = 30


def _bigrams(text: str) -> set[str]:
    return {a + b for part in re.findall(f"[{_HAN_CLASS}]+", text) for a, b in zip(part, part[1:])}


class ReportMentions:
    def __init__(self, reports: Iterable[Report], glossary: Glossary | None = None):
        # every name is kept as a regular expression: Chinese names as text, English ones between
        # word boundaries, an organisation's short name only where it stands as a word
        owners: dict[str, set[str]] = {}
        reports_list = list(reports)
        for report in reports_list:
            for field in [*report.authors, report.venue or ""]:
                patterns = [re.escape(name) for name in _chinese_names(field)]
                patterns += [rf"{_L}{re.escape(name)}{_R}" for name in _english_names(field)]
                if latin := _latin_name(field, report):
                    patterns.append(rf"{_L}{re.escape(latin)}{_R}")
                if field in report.authors and (surname := _surname(field)):
                    patterns += [rf"{_L}{re.escape(surname)}{_R}", *_full_names(field, surname)]
                if field in report.authors and person_name(field) is None:
                    short = _short_names(field)
                    patterns += [_standing(name) for name in short] + [rf"{_L}{_romanised(name)}{_R}" for name in short]
                    # a body the glossary knows is also named by its English forms and its other
                    # Chinese forms ("CAICT", 信通院 for 中国信息通信研究院…研究所)
                    for term in (glossary.terms if glossary is not None else ()):
                        if any(field.startswith(zh) and _BODY.search(zh) for zh in term.zh):
                            patterns += [rf"{_L}{re.escape(en)}{_R}" for en in term.en]
                            patterns += [re.escape(zh) for zh in term.zh if zh not in field]
                for pattern in patterns:
                    owners.setdefault(pattern, set()).add(report.id)
        # a name shared by two reports (two authors surnamed Li, a publisher of two) points at
        # neither unless the words after it tell which (see _spans), yet still covers the shorter
        # names inside it
        self._names = [(re.compile(pattern), frozenset(ids)) for pattern, ids in owners.items()]
        self._glossary = glossary
        self._title_text = {r.id: _core_title(r.title) for r in reports_list}
        cores: dict[str, set[str]] = {}
        for report in reports_list:
            for title in filter(None, (report.title, report.title_en)):
                if len(core := _core_title(title)) >= 4:
                    cores.setdefault(core, set()).add(report.id)
        self._titles = [(re.compile(chinese_pattern(core)), ids.pop()) for core, ids in cores.items() if len(ids) == 1]

    def _spans(self, question: str, qualify: bool = True) -> list[tuple[int, int, str | None]]:
        """(start, end, report id) of every name of a report in the question; the id is None for a
        name two reports share, which names neither unless (`qualify`) the words after it tell
        which (_qualified). A name inside a longer name found there is part of it, not a mention
        of its own ("Li" in "Cui Li")."""
        # one span two reports' names match ("Zhang Li": 张丽, and 李章 read the other way) names neither
        owners: dict[tuple[int, int], set[str]] = {}
        for pattern, report_ids in self._names:
            for m in pattern.finditer(question):
                if m.end() > m.start():
                    owners.setdefault((m.start(), m.end()), set()).update(report_ids)
        spans = sorted((start, end, ids) for (start, end), ids in owners.items()
                       if not any(a <= start and end <= b and (a, b) != (start, end) for a, b in owners))
        return [(start, end, next(iter(ids)) if len(ids) == 1 else self._qualified(
                    question[end:min([s for s, _, _ in spans if s >= end] + [end + _QUALIFIER_CHARS])], ids)
                 if qualify else None)
                for start, end, ids in spans]

    def _qualified(self, after: str, ids: set[str]) -> str | None:
        """Which of the reports sharing a name the words right after it name: a publisher of
        several reports is told apart by the kind or subject of the one meant ("the CAICT white
        paper" is the one titled 白皮书, "信通院数据要素白皮书" the one on 数据要素), English
        words read in Chinese through the glossary. None when no one title holds the most."""
        after = _NEXT_NAME.split(after, maxsplit=1)[0]  # "信通院和TC260的白皮书": 白皮书 is the other's
        words = after
        if self._glossary is not None and re.search("[A-Za-z]", after):
            words += " ".join(self._glossary.expand(after).all_variants)
        asked = _bigrams(words)
        held = sorted(((len(asked & _bigrams(self._title_text.get(rid, ""))), rid) for rid in ids), reverse=True)
        if not held or held[0][0] == 0 or (len(held) > 1 and held[1][0] == held[0][0]):
            return None
        return held[0][1]

    def match(self, question: str) -> tuple[list[str], str]:
        """The report ids named in the question (in order of first mention), and the question
        with those names taken out: inside a named report its authors' names only match its
        cover and abstract, never the passage that answers."""
        spans = [span for span in self._spans(question) if span[2] is not None]
        kept, at = [], 0
        for start, end, _ in spans:
            if start >= at:
                kept.append(question[at:start])
                at = end
        unnamed = re.sub(r"\s+", " ", "".join(kept) + question[at:]).strip()
        return list(dict.fromkeys(report_id for _, _, report_id in spans)), unnamed

    def attributions(self, text: str) -> list[tuple[str, str]]:
        """Each report the text names, with what the text says from its name up to the next
        report's name: "姜伟建议A，张猛、崔丽建议B" gives (jiang, "姜伟建议A，") and (zhang, "张猛、崔丽建议B")."""
        # a name two reports share ends no part: it is often a co-author's ("Xing and Li say…"), and
        # an answer's own words after it must not choose the report it is checked against
        spans = [span for span in self._spans(text, qualify=False) if span[2] is not None]
        parts: dict[str, str] = {}
        for k, (start, _, report_id) in enumerate(spans):
            stop = next((s for s, _, other in spans[k + 1:] if other != report_id), len(text))
            parts.setdefault(report_id, text[start:stop])
        return list(parts.items())

    def titled(self, text: str, other_forms: Sequence[str] = ()) -> list[str]:
        """The report ids whose title `text` holds (in Simplified, a column name before "|" and a
        bracketed year or chapter left out: "《网络数据安全管理条例》", "香港《个人资料(私隐)条例》"),
        or one of `other_forms` (the glossary's other-language forms of its terms: "GDPR" ->
        通用数据保护条例). Not a retrieval arm, where a law named by title drew every hit to itself
        (see evals/EXPERIMENTS.md, session 14): it chooses a comparison's sides."""
        from rag.script import to_simplified

        text = unicodedata.normalize("NFKC", to_simplified(" ".join([text, *other_forms]))).casefold()
        return [rid for title, rid in self._titles if title.search(text)]

    def find(self, question: str) -> list[str]:
        """The report ids named in the question (see match)."""
        return self.match(question)[0]

    def without_names(self, question: str) -> str:
        """The question with the names of the reports it names taken out (see match)."""
        return self.match(question)[1]
