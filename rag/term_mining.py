"""Bilingual terms mined from the user's own reports: a Chinese term followed by its English in
brackets ("人工智能办公室（AI Office）", "《通用数据保护条例》（General Data Protection Regulation）")
is how these texts introduce a name, so every indexed corpus carries its own glossary. No
library mines such pairs from Chinese text; the pattern and the cut below are hand written.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import jieba

from rag.glossary import Glossary, Term
from rag.script import to_simplified

# A run of Han characters (or a 《title》) right before a bracketed Latin phrase of at most six words.
_PAIR = re.compile(r"(《[^》]{2,30}》|[\u4e00-\u9fff]{2,16})\s*[（(]\s*([A-Za-z][A-Za-z0-9 .&'/-]{1,60}?)\s*[)）]")
# Words that end the phrase before a term: the term is what follows the last of them
# ("以及欧洲电信标准化协会" → 欧洲电信标准化协会, "月的世界电信标准化全会" → 世界电信标准化全会).
_BEFORE_TERM = set("以及 和 与 及 同 在 由 对 将 为 把 被 向 从 即 其 是 并 或 的 了 等 个 月 年 条 按照 根据 依据 通过 包括 "
                   "提出 建立 发布 推动 继续 可 辅以 以 下辖 成立 主要 集中 应当 该 此类 要求 称 称为 简称 又称 如 例如 "
                   "指 指的是 所谓 设立 设有 成为 参与 加入 签署 作为 属于 位于 担任 来自 旗下 下设 一个 这一".split())
MIN_TERM_CHARS = 2
MAX_ENGLISH_WORDS = 6
# a list item's number in brackets ("第（ii）段") is no name
_NUMBERING = re.compile(r"^(?:[ivxlc]+|[a-z]|\d+)$", re.IGNORECASE)


def chinese_term(run: str) -> str:
    """The term at the end of a run of Chinese text: the words after its last function word."""
    if run.startswith("《"):
        return run.strip("《》")
    words = jieba.lcut(run)
    cut = max((i for i, w in enumerate(words) if w in _BEFORE_TERM), default=-1)
    return "".join(words[cut + 1:])


def mine_pairs(texts: Iterable[str]) -> Counter[tuple[str, str]]:
    """(Chinese term, English) pairs and how often each occurs."""
    pairs: Counter[tuple[str, str]] = Counter()
    for text in texts:
        for m in _PAIR.finditer(text):
            zh, en = to_simplified(chinese_term(m.group(1))), re.sub(r"\s+", " ", m.group(2)).strip(" .-/")
            if (len(zh) >= MIN_TERM_CHARS and len(en) >= 2 and len(en.split()) <= MAX_ENGLISH_WORDS
                    and not _NUMBERING.match(en) and zh not in _BEFORE_TERM):
                pairs[(zh, en)] += 1
    return pairs


def mined_terms(texts: Iterable[str], known: Glossary | None = None) -> list[Term]:
    """One term per English name, its Chinese forms most frequent first (then shortest: a longer
    run more likely carries words of the sentence before the term). English the glossary
    already holds is left to it: the glossary stays the data a person checked."""
    by_english: dict[str, Counter[str]] = {}
    for (zh, en), n in mine_pairs(texts).items():
        by_english.setdefault(en, Counter())[zh] += n
    held = {v.lower() for term in known.terms for v in term.en} if known else set()
    terms = []
    for en, forms in sorted(by_english.items()):
        if en.lower() in held:
            continue
        chinese = sorted(forms, key=lambda zh: (-forms[zh], len(zh)))
        terms.append(Term((en,), tuple(chinese)))
    return terms
