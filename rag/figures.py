"""Numbers, percentages and dates read out of Chinese or English text on one scale.

Written by hand because no library reads both "3500万欧元" and "35 million euros" (nor
"2024年8月1日" and "1 August 2024") onto the same value; cn2an turns Chinese numerals
(三, 十二, 1.13亿) into numbers. The small model garbles units ("3500万" → "3500 million",
a thousandfold error), so every figure an answer states must be found, at the same
magnitude, in the source it cites.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import cn2an

FigureKind = Literal["number", "percent", "date"]


@dataclass(frozen=True)
class Figure:
    kind: FigureKind
    # numbers and percents: the value; dates: (year, month or 0, day or 0)
    value: float | tuple[int, int, int]
    raw: str
    currency: str = ""  # "eur", "usd", "cny" when the amount names one
    # "year" for a span of years (十多年, 7 years): it counts time, not things, so "十多年来"
    # does not hold "10 standards"; "age" for a person's age (16周岁, 16 years old), which is
    # neither a span of years nor a count
    unit: str = ""


_MONTHS = {name: i for i, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
     ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
     ("november", "nov"), ("december", "dec")], 1) for name in names}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"

_SCALE = {"thousand": 1e3, "million": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12,
          "万": 1e4, "亿": 1e8, "万亿": 1e12}
# "one" is left out: "one of the" is no figure.
_EN_WORDS = {w: i for i, w in enumerate(
    "zero _ two three four five six seven eight nine ten eleven twelve".split()) if w != "_"}
_EN_WORDS.update({"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "twice": 2, "double": 2,
                  "dozen": 12, "half": 0.5})

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_ZH_NUMERAL = "零一二两三四五六七八九十百千"

_ZH_DATE = re.compile(r"(?P<year>\d{4})\s*年(?:\s*(?P<month>\d{1,2})\s*月(?:\s*(?P<day>\d{1,2})\s*日)?)?")
_EN_DAY_MONTH = re.compile(rf"\b(?P<day>\d{{1,2}})\s+{_MONTH}(?![a-z])", re.I)
_EN_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b", re.I)
_ZH_MONTH_DAY = re.compile(r"(?<![\d年])(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日")
_EN_DATE_DMY = re.compile(rf"\b(?P<day>\d{{1,2}})\s+{_MONTH}\s*,?\s+(?P<year>\d{{4}})\b", re.I)
_EN_DATE_MDY = re.compile(rf"\b{_MONTH}\s+(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+)?(?P<year>\d{{4}})\b", re.I)
_PERCENT = re.compile(rf"(?P<num>{_NUM})\s*(?:%|％|percent\b|per cent\b)|百分之(?P<zh>[\d.{_ZH_NUMERAL}]+)", re.I)
# a currency code before an amount ("EUR 20 million", "HKD3,000") is neither a name nor part of the number
_CURRENCY_CODE = r"(?:EUR|USD|RMB|CNY|GBP|JPY|HKD)"
CURRENCY_PREFIX = re.compile(rf"(?<![A-Za-z]){_CURRENCY_CODE}(?=\s?\d)|\b(?:HK|US)\$")
_AMOUNT = re.compile(rf"(?:(?<![A-Za-z])(?P<code>{_CURRENCY_CODE}|HK\$|US\$)\s?)?"
                     rf"(?P<num>{_NUM})\s*(?P<scale>万亿|万|亿|(?:thousand|million|billion|trillion|mn|bn)\b)?"
                     r"\s*(?P<currency>欧元|美元|人民币|港元|港币|元|euros?\b|(?:US\s*)?dollars?\b|yuan\b|RMB\b)?", re.I)
_CURRENCY = {"欧元": "eur", "eu": "eur", "美元": "usd", "us": "usd", "do": "usd", "人民": "cny", "元": "cny", "yu": "cny",
             "rm": "cny", "cn": "cny", "港元": "hkd", "港币": "hkd", "hk": "hkd", "gb": "gbp", "jp": "jpy"}
# Chinese numerals only count before a measure word: 一 alone sits inside 统一, 一带一路.
_ZH_NUMERAL_COUNT = re.compile(rf"(?<![{_ZH_NUMERAL}第])(?P<num>[{_ZH_NUMERAL}]+)(?P<scale>万亿|万|亿)?"
                               r"(?=[多余]?(?:[个种类项大条家国年月倍次层方面位名轮届款成份岁天日]|周岁|小时|分钟))")
# An amount in Chinese numerals, as national laws write their fines ("处一百万元以上一千万元以下罚款",
# "五千万元以下", "三亿五千万元"): in a currency, or scaled by 亿. 数百亿 and 几十万 state no value,
# and a digit before (5千万元) is the _AMOUNT pattern's.
_ZH_NUMERAL_AMOUNT = re.compile(rf"(?<![\d.{_ZH_NUMERAL}数几第万亿])(?P<num>[{_ZH_NUMERAL}]+(?:[万亿]+[{_ZH_NUMERAL}]+)*)"
                                r"(?P<scale>万亿|万|亿)?(?P<currency>欧元|美元|人民币|港元|港币|元)?")
_EN_WORD_NUMBER = re.compile(r"\b(" + "|".join(_EN_WORDS) + r")\b", re.I)
# Standard and committee ids ("ISO/IEC 42001:2023", "SC 42", "JTC1", "TC260", "GB/T 45654-2025",
# "M/593") are names, not figures: two capitals, or one followed by "/", then the number.
STANDARD_ID = re.compile(
    rf"(?<![A-Za-z])(?!{_CURRENCY_CODE}\s?\d)([A-Z]{{2,}}(?:/[A-Z]+)*|[A-Z](?=/))\s?/?\s?(\d+(?:[.:-]\d+)*)(?![\d])"
)
_CITATION = re.compile(r"\[\d+(?:\s*[,，、]\s*\d+)*\]")
_YEARS_AFTER = re.compile(r"\s*[多余+]?\s*(?:年(?!代)|-?years?\b)", re.I)
_AGE_AFTER = re.compile(r"\s*(?:周岁|岁|-?years?[\s-]+olds?\b|-?years?\s+of\s+age\b)", re.I)
_AGE_BEFORE = re.compile(r"\b(?:aged|ages?\s+of|at\s+age)\s*$", re.I)
# list numbering "1）", "2)" and footnote marks are no figures
_LIST_NUMBER = re.compile(r"(?<![\d.,])\d{1,2}\s*[）)]")
# a PDF's footnote mark run into the text: one or two digits right after a Chinese character and
# before a clause ends ("成为…的重要因素5。", "约翰·西曼1"), where a stated number would have a unit
# or a word that states it (为, 是, 达, 共, 第…)
_FOOTNOTE = re.compile(r"(?<=[\u4e00-\u9fff])(?<![为是达约共有第至到和或及、了])\d{1,2}(?=[。，；：]|\n|$)")
# a figure's or table's label ("如图 5", "图 5 数据要素流通的三种形式", "图表 3", "Table 3") numbers the
# figure and counts nothing: it held up "5 data brokers" for a question the report does not answer.
# 表 or 图 after another Han character ends a word (发表3篇, 代表, 试图), as 表 does after a Han character
# and a space or line break (a PDF's "发\n表3篇"), except in 见图/如图/见表/如表 (not 意见表). English
# labels only capitalised: "exhibit 3 failure modes" is a count.
_LABEL_AFTER_WORD = r"(?<!意[见如])(?<=[见如])"
_LABEL = re.compile(rf"(?:(?<![\u4e00-\u9fff])|{_LABEL_AFTER_WORD})(?:图表|续表|图)\s*\d+(?:[.．\-－]\d+)*"
                    rf"|(?:(?<![\u4e00-\u9fff])(?<![\u4e00-\u9fff]\s)|{_LABEL_AFTER_WORD})表\s*\d+(?:[.．\-－]\d+)*"
                    r"|\b(?:Figure|Fig\.|Table|Chart|Exhibit)\s*\d+(?:\.\d+)*")


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _blank(text: str, span: tuple[int, int]) -> str:
    """Blank out a matched figure so later patterns do not read its parts again."""
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1]:]


def extract_figures(text: str) -> list[Figure]:
    """Every number, percentage and date in `text`, with Chinese and English units applied."""
    text = _FOOTNOTE.sub(" ", _LIST_NUMBER.sub(" ", _CITATION.sub(" ", text)))
    found: list[Figure] = []

    def take(pattern: re.Pattern, make) -> None:
        nonlocal text
        for match in list(pattern.finditer(text)):
            figure = make(match)
            if figure is not None:
                found.append(figure)
                text = _blank(text, match.span())

    def date(m: re.Match) -> Figure:
        month = m.group("month")
        month_number = (_MONTHS[month.lower().rstrip(".")] if month and not month.isdigit()
                        else int(month or 0))
        year = int(m.group("year")) if "year" in m.re.groupindex and m.group("year") else 0
        return Figure("date", (year, month_number, int(m.group("day") or 0)), m.group(0))

    take(_ZH_DATE, date)
    take(_EN_DATE_DMY, date)
    take(_EN_DATE_MDY, date)
    take(_ZH_MONTH_DAY, date)
    take(_EN_DAY_MONTH, date)
    take(_EN_MONTH_DAY, date)

    def percent(m: re.Match) -> Figure | None:
        value = _number(m.group("num")) if m.group("num") else _chinese_numeral(m.group("zh"))
        return None if value is None else Figure("percent", value, m.group(0))

    take(_PERCENT, percent)

    def amount(m: re.Match) -> Figure:
        scale = (m.group("scale") or "").lower()
        currency = _CURRENCY.get((m.group("code") or m.group("currency") or "")[:2].lower(), "")
        return Figure("number", _number(m.group("num")) * _SCALE.get(scale, 1), m.group(0), currency,
                      _duration(m) if not scale and not currency else "")

    def zh_amount(m: re.Match) -> Figure | None:
        value = _zh_amount_value(m)
        if value is None:
            return None
        return Figure("number", value, m.group(0), _CURRENCY.get((m.group("currency") or "")[:2], ""), _duration(m))

    # before the digits' pattern, whose match would blank the 5 of 5千万元 and leave 千万元 alone
    take(_ZH_NUMERAL_AMOUNT, zh_amount)
    take(_AMOUNT, amount)

    def zh_count(m: re.Match) -> Figure | None:
        value = _chinese_numeral(m.group("num"))
        if value is None or m.group("num") == "一":  # 一项, 一种: an article, not a count
            return None
        return Figure("number", value * _SCALE.get(m.group("scale") or "", 1), m.group(0), unit=_duration(m))

    take(_ZH_NUMERAL_COUNT, zh_count)
    take(_EN_WORD_NUMBER, lambda m: Figure("number", float(_EN_WORDS[m.group(1).lower()]), m.group(0),
                                           unit=_duration(m)))
    return found


def _zh_amount_value(m: re.Match) -> float | None:
    """The value of a _ZH_NUMERAL_AMOUNT match, or None where it is no amount: without a currency
    unless in 亿 (十万火急, 千万不要, 九万里), a digit before 元 with no place (一元化, 二元, 元数据 in
    统一元数据), two digits side by side (三五万元 is a range, 30,000 to 50,000)."""
    num, scale, currency = m.group("num"), m.group("scale") or "", m.group("currency")
    if not currency and "亿" not in num + scale:
        return None
    if currency and not scale and not any(place in num for place in "十百千万亿"):
        return None
    if re.search("[一二两三四五六七八九]{2}", num):
        return None
    whole = num + scale
    return _chinese_numeral("一" + whole if whole[0] in "百千" else whole)  # 百亿 is 一百亿


def _duration(m: re.Match) -> str:
    if _AGE_AFTER.match(m.string, m.end()) or _AGE_BEFORE.search(m.string, max(0, m.start() - 12), m.start()):
        return "age"
    return "year" if _YEARS_AFTER.match(m.string, m.end()) else ""


def _chinese_numeral(text: str) -> float | None:
    try:
        return float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError):
        return None


def _covers(evidence: Figure, claim: Figure) -> bool:
    if claim.kind == "date" or evidence.kind == "date":
        claimed, held = _as_date(claim), _as_date(evidence)
        # every part the claim states (a year, a month, a day) must be the same in the evidence
        return claimed is not None and held is not None and all(c in (0, h) for c, h in zip(claimed, held))
    same_currency = not (claim.currency and evidence.currency) or claim.currency == evidence.currency
    # an age in the source holds the same number written without its unit ("under 16" for 未满16周岁)
    same_unit = claim.unit == evidence.unit or (evidence.unit == "age" and not claim.unit)
    return (claim.kind == evidence.kind and same_currency and same_unit
            and math.isclose(float(claim.value), float(evidence.value), rel_tol=1e-6))


def is_year(figure: Figure) -> bool:
    """A year written alone, as English writes one ("by 2030", "in 2023"), where Chinese writes 2030年."""
    return (figure.kind == "number" and not figure.currency and not figure.unit and figure.raw.strip().isdigit()
            and 1900 <= figure.value <= 2100)


def _as_date(figure: Figure) -> tuple[int, int, int] | None:
    if figure.kind == "date":
        return figure.value  # type: ignore[return-value]
    value = float(figure.value)
    # "in 2024" is a number in English and a date (2024年) in Chinese
    return (int(value), 0, 0) if figure.kind == "number" and value.is_integer() and 1900 <= value <= 2100 else None


def missing_amounts(claim: str, evidence: str | Iterable[str]) -> list[Figure]:
    """The missing figures that are amounts of money or percentages. A rendering of a quote is
    held to these only: other numbers may stand for an article, a year or a count written in
    Chinese numerals (第五十九条 "Article 59", 二〇二五年 "2025"), which figures do not match across
    languages, while a misread amount ("20 000 000欧元" as 200 million euros) misstates the report."""
    return [f for f in missing_figures(claim, evidence) if f.kind == "percent" or f.currency]


def figures_in(text: str) -> list[Figure]:
    """The figures `text` states: every figure but the numbers of figure and table labels."""
    return extract_figures(_LABEL.sub(" ", text))


def missing_figures(claim: str, evidence: str | Iterable[str]) -> list[Figure]:
    """Figures stated in `claim` that `evidence` does not hold at the same magnitude."""
    texts = [evidence] if isinstance(evidence, str) else list(evidence)
    available = [f for t in texts for f in figures_in(t)]
    # "four risk tiers" counts items a source may list without naming their number: a small
    # count in words is checked only against a source that states counts of its own ("四种").
    # Written in digits ("10 experts") it was copied, or made up, and is always checked.
    source_counts = any(_is_small_count(g) for g in available)
    return [f for f in figures_in(claim)
            if (source_counts or not _is_small_count(f) or re.search(r"\d", f.raw))
            and not any(_covers(g, f) for g in available)]


# a currency code before an amount ("EUR 1 billion", "US 50") is no name; a number after a word for
# a numbered body or part ("Study Group 17", "Article 5") is named by its number, not counted
_NAMED = re.compile(rf"(?!(?:US|EU|UK)\b){STANDARD_ID.pattern}"
                    r"|\b(?:Group|Committee|Article|Chapter|Section|Clause|Annex|Part|Title|Phase|Level|Tier)\s+\d+\b")


def counted_figures(text: str) -> list[Figure]:
    """The figures of `text` that count or date something: not the numbers of names ("SC 42", "SG15")."""
    return extract_figures(_NAMED.sub(" ", text))


def covers(held: Iterable[Figure], figure: Figure) -> bool:
    """One of the figures `held` states `figure` (same magnitude, unit, currency, date parts)."""
    return any(_covers(g, figure) for g in held)


def _is_small_count(figure: Figure) -> bool:
    return figure.kind == "number" and not figure.currency and isinstance(figure.value, float) \
        and figure.value < 13 and figure.value == int(figure.value)


_ZH_SCALED_AMOUNT = re.compile(rf"(?P<num>{_NUM})\s*(?P<scale>万亿|万|亿)\s*(?P<currency>欧元|美元|人民币|港元|港币|元)?")
_CURRENCY_WORDS = {"eur": "euros", "usd": "US dollars", "cny": "yuan", "hkd": "Hong Kong dollars"}


def english_amount(value: float, currency: str = "") -> str:
    """35000000.0, "eur" -> "35 million euros"."""
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if value >= scale:
            number = f"{value / scale:,.2f}".rstrip("0").rstrip(".") + f" {word}"
            break
    else:
        number = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{number} {_CURRENCY_WORDS[currency]}" if currency else number


def english_amounts(text: str) -> str:
    """Each amount in 万/亿 rewritten in English: "40万欧元" -> "400,000 euros".

    The 1.5B model converts these units wrongly when it answers in English (40万 → "40 million",
    2.5亿 → "2.5 billion"), even with the conversion written beside the figure; given only
    the English value, it copies it. The answer gets the source's own form back afterwards
    (with_source_figures)."""
    def convert(m: re.Match) -> str:
        value = _number(m.group("num")) * _SCALE[m.group("scale")]
        return f" {english_amount(value, _CURRENCY.get((m.group('currency') or '')[:2], ''))} "

    def convert_numerals(m: re.Match) -> str:
        value = _zh_amount_value(m)
        if value is None:
            return m.group(0)
        return f" {english_amount(value, _CURRENCY.get((m.group('currency') or '')[:2], ''))} "

    return _ZH_NUMERAL_AMOUNT.sub(convert_numerals, _ZH_SCALED_AMOUNT.sub(convert, text))


def _in_wan_or_yi(raw: str) -> bool:
    """An amount english_amounts rewrites: in 万/亿, or in Chinese numerals with a place or a
    currency (五千万元), not a bare count (四 of 四类)."""
    return bool(_ZH_SCALED_AMOUNT.fullmatch(raw)) or (
        (m := _ZH_NUMERAL_AMOUNT.fullmatch(raw)) is not None and _zh_amount_value(m) is not None)


def with_source_figures(sentence: str, sources: Iterable[str]) -> str:
    """An English sentence with the source's Chinese form after each amount it converted:
    "400,000 euros" -> "400,000 euros (40万欧元)", so a reader can find the figure in the report."""
    held = [f for text in sources for f in extract_figures(text) if f.kind == "number" and _in_wan_or_yi(f.raw.strip())]
    for figure in extract_figures(sentence):
        original = next((re.sub(r"\s+", "", g.raw) for g in held if _covers(g, figure)), None)
        if original and original not in sentence and figure.kind == "number":
            raw = figure.raw.rstrip()
            sentence = sentence.replace(raw, f"{raw} ({original})", 1)
    return sentence
