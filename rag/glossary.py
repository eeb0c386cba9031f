"""The bilingual glossary (rag/glossary.tsv) and query expansion through it.

English questions about Chinese reports share no tokens with them, so BM25 alone cannot
match them; a glossary of the corpus's domain terms lets a question carry the other
language's words into both retrieval arms. No library ships an English-Chinese glossary of
AI-governance terms, so the matching below is hand written (a few regexes).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

GLOSSARY_PATH = Path(__file__).with_name("glossary.tsv")


@dataclass(frozen=True)
class Term:
    en: tuple[str, ...]
    zh: tuple[str, ...]


@dataclass(frozen=True)
class Expansion:
    terms: tuple[Term, ...]
    # Words of the other language, to be added to the question: all variants for BM25 (more
    # surface forms to hit), the preferred one for dense (a focused sentence embeds better).
    all_variants: tuple[str, ...]
    preferred: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)


# The last word of a law's name: "Data Security Law", "AI Act", "Personal Data (Privacy) Ordinance".
_INSTRUMENT = re.compile(r"\b(?:Law|Act|Regulations?|Ordinance|Measures|Directive)$")
_FUNCTION_WORDS = {"of", "on", "for", "the", "and", "in"}


def _is_law_name(variant: str) -> bool:
    """A law's name in title case: it names that law only as written ("Data Security Law" is
    China's; "data security laws" are anyone's)."""
    words = variant.split()
    return len(words) >= 2 and bool(_INSTRUMENT.search(variant)) and all(
        w.lstrip("(")[:1].isupper() or w in _FUNCTION_WORDS for w in words)


def _english_pattern(variant: str) -> re.Pattern[str]:
    # Acronyms (US, EU, ISO, TC260) only match in capitals: "us" is a pronoun; a law's name only
    # as written. Plurals allowed ("company" matches "companies"). A hyphen ends no match: "trade"
    # is not in "trade-off".
    as_written = variant.upper() == variant or _is_law_name(variant)
    body = re.escape(variant).replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]?")
    if not as_written and variant.endswith("y"):
        body = body[:-1] + "(?:y|ie)"
    # Chinese writes a Latin term against Han characters ("GDPR与《条例》"): only a Latin letter,
    # a digit or a hyphen beside it makes it part of a longer word
    return re.compile(rf"(?<![A-Za-z0-9_-]){body}(?:s|es)?(?![A-Za-z0-9_-])", 0 if as_written else re.IGNORECASE)


def chinese_pattern(term: str) -> str:
    """A Chinese term as a regex: a law's name ending in 法 is no name where 法 opens another word
    (网络安全法律法规 is "cybersecurity laws and regulations", not 网络安全法; so 法规, 法治)."""
    return re.escape(term) + ("(?![律规治])" if term.endswith("法") else "")


_OPENING, _CLOSING, _STRAIGHT = "“‘《「（(", "”’》」）)", "\"'"


def _spaced(match: re.Match[str], english: str) -> str:
    """A Chinese term's English in place of `match` (the term and the spaces around it), spaced
    from the words beside it but not from the quote or bracket it stands in: “Belt and Road”,
    "Belt and Road", 《Data Security Law》. A straight quote opens after a space or at the start
    and closes before one, punctuation or the end."""
    text, start, end = match.string, match.start(), match.end()
    before, after = text[start - 1:start], text[end:end + 1]
    opens = before in _OPENING if before not in _STRAIGHT else (start < 2 or not text[start - 2].isalnum())
    closes = after in _CLOSING if after not in _STRAIGHT else (end + 1 >= len(text) or not text[end + 1].isalnum())
    return f"{'' if not before or opens else ' '}{english}{'' if not after or closes else ' '}"


class Glossary:
    def __init__(self, terms: list[Term]):
        self.terms = terms
        self._english = [(term, [_english_pattern(v) for v in term.en]) for term in terms]
        self._chinese = {v: re.compile(chinese_pattern(v)) for term in terms for v in term.zh}

    @classmethod
    def load(cls, path: Path = GLOSSARY_PATH) -> Glossary:
        terms = []
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            try:
                en, zh = line.split("\t")
            except ValueError:
                raise ValueError(f"{path}:{line_no}: expected 'english<TAB>chinese', got {line!r}") from None
            terms.append(Term(tuple(v.strip() for v in en.split("|")), tuple(v.strip() for v in zh.split("|"))))
        return cls(terms)

    def chinese_words(self) -> set[str]:
        """Every Chinese term, so the tokenizer keeps e.g. 机制复合体 as one word."""
        return {v for term in self.terms for v in term.zh}

    def english_terms(self, text: str) -> str:
        """An English answer or rendering with the Chinese terms the model left untranslated put
        into English ("four tiers: 不可接受风险、高风险" -> "four tiers: unacceptable risk, high-risk"),
        inside quotes and brackets too (“一带一路” -> “Belt and Road”); the small model copies such
        terms from the sources instead of translating them."""
        if not re.search(r"[\u4e00-\u9fff]", text):
            return text
        for pattern, en in self._chinese_to_english:
            text = pattern.sub(lambda m, en=en: _spaced(m, en), text)
        # list punctuation between translated terms reads as English too
        text = re.sub(r"\s*、\s*", ", ", re.sub(r"(?<=[A-Za-z])\s*和\s*(?=[A-Za-z])", " and ", text))
        return re.sub(r"[ \t]{2,}", " ", re.sub(r"\s+([,.:;])", r"\1", text)).strip()

    def chinese_for(self, name: str) -> tuple[str, ...]:
        """The Chinese forms of the term whose English is `name` as a whole ("AI Office" →
        人工智能办公室), not of terms that are only words of it."""
        return tuple(zh for term in self._by_english.get(name.lower(), ()) for zh in term.zh)

    @cached_property
    def _by_english(self) -> dict[str, list[Term]]:
        found: dict[str, list[Term]] = {}
        for term in self.terms:
            for variant in term.en:
                found.setdefault(variant.lower(), []).append(term)
        return found

    @cached_property
    def _chinese_to_english(self) -> list[tuple[re.Pattern[str], str]]:
        """Every Chinese variant (as a pattern taking in the spaces around it, compiled once: an
        English answer is run through all of them) with its term's preferred English, longest
        first so that 高风险 is translated before 风险."""
        pairs = sorted(((zh, term.en[0]) for term in self.terms for zh in term.zh), key=lambda v: -len(v[0]))
        return [(re.compile(rf"\s*{self._chinese[zh].pattern}\s*"), en) for zh, en in pairs]

    def expand(self, question: str) -> Expansion:
        """Terms named in the question (in either language) and their other-language forms."""
        found: list[Term] = []
        words: list[str] = []
        preferred: list[str] = []
        for term, patterns in self._english:
            if any(p.search(question) for p in patterns):
                found.append(term)
                words.extend(term.zh)
                preferred.append(term.zh[0])
            elif any(self._chinese[v].search(question) for v in term.zh):
                found.append(term)
                words.extend(term.en)
                preferred.append(term.en[0])
        return Expansion(tuple(found), tuple(dict.fromkeys(words)), tuple(dict.fromkeys(preferred)))


@cache
def default_glossary() -> Glossary:
    return Glossary.load()


NAMES_PATH = Path(__file__).with_name("names.tsv")


@cache
def names_glossary() -> Glossary:
    """English names of Chinese bodies and kinds of documents (rag/names.tsv): for naming
    reports, not for query expansion."""
    return Glossary.load(NAMES_PATH)
