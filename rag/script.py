"""Scripts: Traditional -> Simplified Chinese, so a question in either script matches text in either (OpenCC);
Chinese left in English text."""
from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Character-level t2s conversion; Simplified and Latin text pass through unchanged."""
    if not text or text.isascii():
        return text
    return _converter().convert(text)


# Chinese glued into an English word ("systemic对手"), or an English word into Chinese
MIXED_WORD = re.compile(r"[A-Za-z]+[\u3400-\u9fff]+|[\u3400-\u9fff]+[A-Za-z]+")
_QUOTED = re.compile(r"《[^》]*》|“[^”]*”|\"[^\"]*\"|（[^）]*）|\([^)]*\)")
_HAN = re.compile(r"[\u3400-\u9fff]")
_ENGLISH_WORD = re.compile(r"\b[a-z]{3,}\b")


def _quotations(text: str) -> list[re.Match]:
    """The quoted titles and bracketed glosses an English text may keep in Chinese: the report's own
    words. A quote mixing Chinese and English words ("新一代 artificial intelligence 发展规划") is a
    rendering left half done, not a quotation; an id or acronym (《ISO/IEC 42001 …》) does not count,
    nor does a bracketed gloss ("(see 《数据安全法》)")."""
    return [m for m in _QUOTED.finditer(text) if m.group(0)[0] in "（("
            or not (_HAN.search(m.group(0)) and _ENGLISH_WORD.search(m.group(0)))]


def _pieces(text: str) -> list[tuple[str, bool]]:
    """The text cut at its quotations (_quotations): (piece, is a quotation), in order."""
    pieces, cursor = [], 0
    for quoted in _quotations(text):
        pieces += [(text[cursor:quoted.start()], False), (quoted.group(0), True)]
        cursor = quoted.end()
    return [*pieces, (text[cursor:], False)]


def _outside_quotations(text: str, gap: str) -> str:
    return "".join(gap if quoted else piece for piece, quoted in _pieces(text))


def mixed_script_words(text: str) -> list[str]:
    """The mixed words of an English text ("systemic对手"): a Chinese sentence naming "GDPR" is
    normal writing, so callers count them in English text only."""
    return MIXED_WORD.findall(text)


def untranslated(sentence: str) -> bool:
    """An English sentence that still holds Chinese outside a quoted title or a bracketed gloss:
    an English reader cannot use it as it stands."""
    return bool(mixed_script_words(sentence)) or bool(_HAN.search(_outside_quotations(sentence, "")))


def untranslated_runs(sentence: str) -> list[str]:
    """The Chinese runs an English sentence holds outside quoted titles and bracketed glosses."""
    return list(dict.fromkeys(re.findall(r"[\u3400-\u9fff]+", _outside_quotations(sentence, " "))))


def glued_runs(sentence: str) -> list[str]:
    """The Chinese runs glued to an English word ("…and极低 risk"), inside plain quotes too (a glued
    word is no quoted title) but not inside a 《》 title."""
    words = mixed_script_words(re.sub(r"《[^》]*》", " ", sentence))
    return list(dict.fromkeys(run for word in words for run in re.findall(r"[\u3400-\u9fff]+", word)))


def replace_glued(text: str, chinese: str, english: str) -> str:
    """`chinese`, a whole run glued to a Latin word, put into `english` outside 《》 titles, spaced
    only on the side of the Latin word it was glued to."""
    glued = re.compile(rf"(?<![\u3400-\u9fff])(?P<left>(?<=[A-Za-z]))?{chinese}(?![\u3400-\u9fff])(?P<right>(?=[A-Za-z]))?")

    def put(match: re.Match) -> str:
        if match.group("left") is None and match.group("right") is None:
            return match.group(0)  # standing apart: replace_outside_quotes decides
        return f"{' ' if match.group('left') is not None else ''}{english}{' ' if match.group('right') is not None else ''}"

    pieces = re.split(r"(《[^》]*》)", text)
    return "".join(piece if piece.startswith("《") else glued.sub(put, piece) for piece in pieces)


def replace_outside_quotes(text: str, chinese: str, english: str) -> str:
    """`chinese` put into `english` wherever it stands outside a quoted title or bracketed gloss,
    spaced from the words beside it and not from a quote mark or the punctuation after it."""
    word = re.compile(r"[A-Za-z0-9\u3400-\u9fff]")

    def spaced(m: re.Match) -> str:
        before, after = m.string[m.start() - 1:m.start()], m.string[m.end():m.end() + 1]
        return f"{' ' if word.match(before) else ''}{english}{' ' if word.match(after) else ''}"

    def put(piece: str) -> str:
        return re.sub(re.escape(chinese), spaced, piece)

    text = re.sub(r"[ \t]{2,}", " ", "".join(piece if quoted else put(piece) for piece, quoted in _pieces(text)))
    return re.sub(r" +(?=[,.:;!?)\]])", "", text).strip()


def single_line(text: str) -> str:
    """A passage as one line: a line break beside a Chinese character and a space between two
    go (PDF layout), a space between Latin words stays."""
    cjk = "\u3000-\u9fff\uff00-\uffef"
    text = re.sub(rf"(?<=[{cjk}])[ \t]*\n\s*|\s*\n[ \t]*(?=[{cjk}])", "", text.strip())
    text = re.sub(r"\s+", " ", text)
    return re.sub(rf"(?<=[{cjk}]) (?=[{cjk}])", "", text)
