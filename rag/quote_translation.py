"""Renderings of quoted passages in the reader's language, marked as translations.

When the model finds no direct answer, the question is answered with the closest passages;
an English reader cannot use a Chinese quote as it stands (nor a Chinese reader an English
report's). The LLM renders each quote in another language than the question's (for English,
amounts in 万/亿 converted by code first, so the figures are the report's); a rendering still
in the wrong language, or empty, is left out rather than shown half done.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from rag.figures import english_amounts, missing_amounts
from rag.language import detect_language
from rag.prompts import load_prompt
from rag.script import glued_runs, replace_glued, replace_outside_quotes, single_line, untranslated, untranslated_runs

log = logging.getLogger(__name__)

_SPACED_DIGITS = re.compile(r"(?<![\d.])(?<!\d )\d{1,3}(?: \d{3})+(?=\s?(?:欧元|美元|英镑|港元|元|万|亿|%|euros?|dollars?))")
# a reply about the model itself renders nothing ("As an AI language model, I cannot provide a
# translation of the passage…", given once for a passage on international politics)
_DECLINED = re.compile(r"^\W*(?:as an ai(?: language)? model\b|i (?:cannot|can't|am unable to|'m unable to) "
                       r"(?:provide|translate)\b|i(?: am|'m) sorry\b|作为(?:一个)?(?:ai|人工智能)(?:语言)?模型|"
                       r"(?:抱歉|对不起)[，,]?我(?:无法|不能))", re.I)


# seconds per character of the quote a rendering takes before any was timed, by the language rendered
# into: English renderings of the closest passages took 0.053-0.077 s a character of the Chinese quote
# on 2 cores (evals/EXPERIMENTS.md, session 40). None into Chinese was timed; an English quote's
# characters are a fraction of a token each, so its prior is set at half.
PRIOR_PACE = {"en": 0.06, "zh": 0.03}


class QuoteTranslator:
    def __init__(self, llm: LLM, cache_size: int = 512, terms: Callable[[str], str] | None = None):
        """`terms`: puts the Chinese terms a glossary knows into English (Glossary.english_terms)."""
        self.llm = llm
        self.cache_size = cache_size
        self.terms = terms
        self._cache: dict[tuple[str, str, bool], str | None] = {}  # the same closest passages come back for follow-ups
        # seconds per character of a quote rendered, by the language rendered into (a Chinese
        # character takes about a token to render, an English word's characters far less each),
        # averaged over recent renderings
        self._pace: dict[str, float] = {}

    def __call__(self, quotes: Sequence[str], language: str, deadline: float | None = None,
                 limit: float | None = None) -> list[str | None]:
        """Each quote in `language`, best first; None where it already is in it, where no clean
        rendering came, or where it would not end in time (perf_counter times; see `fits`): the
        first attempt by `limit`, the later ones by `deadline`. A rendering takes the 1.5B model
        several seconds, a long quote's up to 20 s. A failing call costs only its own quote."""
        renderings: list[str | None] = []
        attempted = False
        for quote in quotes:
            if detect_language(quote) == language or not self.fits(quote, language, deadline if attempted else limit):
                renderings.append(None)
                continue
            attempted = True
            try:
                renderings.append(self.translate(quote, language))
            except Exception as exc:  # the quote itself is still shown
                log.warning("quote not translated: %s: %s", type(exc).__name__, exc)
                renderings.append(None)
        return renderings

    def fits(self, quote: str, language: str, deadline: float | None) -> bool:
        """Whether rendering `quote` would end by `deadline` (a perf_counter time) at the pace of
        the renderings into `language` made so far (seconds per character of the quote; the time
        includes waiting for another session's call to the model): a deadline that only
        stopped new renderings from starting let the last one run past it by its whole length
        (~5-10 s). A cached rendering costs nothing; before any rendering, the pace is taken from
        PRIOR_PACE."""
        if deadline is None or (quote, language, True) in self._cache:
            return True
        pace = self._pace.get(language, PRIOR_PACE.get(language, max(PRIOR_PACE.values())))
        return time.perf_counter() + pace * len(single_line(quote)) <= deadline

    def mend(self, text: str, max_terms: int = 2) -> str:
        """An English answer with the few Chinese words the model left in it put into English
        ("widen the global digital鸿沟" -> "… digital divide"), each rendered once and cached, outside
        quoted titles and bracketed glosses (those may stay Chinese); a text with more is left for
        the checker to drop (it is no English answer), which also bounds the calls to two."""
        glued = glued_runs(text)
        runs = list(dict.fromkeys([*untranslated_runs(text), *glued]))
        if not runs or len(runs) > max_terms:
            return text
        for run in sorted(runs, key=len, reverse=True):
            english = (self.translate(run, "en", mend=False) or "").rstrip(".").strip()
            # a term's rendering is a phrase: a reply of more words than the run has characters (at
            # least three) is the model talking ("权" -> "The report discusses the rights of
            # individuals"), and the run is left for the checker to drop
            if english and len(english.split()) <= max(3, len(run)):
                text = replace_outside_quotes(text, run, english)
                if run in glued:
                    text = replace_glued(text, run, english)
        return text

    def translate(self, quote: str, language: str, mend: bool = True) -> str | None:
        """`mend`: an English rendering with a word or two left in Chinese gets them put into
        English (`mend`), as an answer does; the words themselves are rendered without it."""
        key = (quote, language, mend)
        if key not in self._cache:
            if len(self._cache) >= self.cache_size:
                self._cache.pop(next(iter(self._cache)))
            started = time.perf_counter()
            self._cache[key] = self._translate(quote, language, mend)
            if mend:  # a quote's rendering, not a term's (a term's time is mostly the prompt's)
                pace = (time.perf_counter() - started) / max(1, len(single_line(quote)))
                self._pace[language] = (self._pace[language] + pace) / 2 if language in self._pace else pace
        return self._cache[key]

    def _translate(self, quote: str, language: str, mend: bool = True) -> str | None:
        # digits grouped by spaces ("20 000 000欧元", as a translated law writes them) joined: the
        # model read that one as 200 million, and figures are matched on the joined number
        text = _SPACED_DIGITS.sub(lambda m: m.group(0).replace(" ", ""), single_line(quote))
        text = english_amounts(text) if language == "en" else text
        prompt = load_prompt("translate_quote", language).format(passage=text)
        # a rendering takes about as many tokens as the source has characters (Chinese), or fewer
        response = self.llm.chat([ChatMessage(role=MessageRole.USER, content=prompt)],
                                 max_tokens=min(320, 16 + len(text)))
        rendering = single_line((response.message.content or "").strip().strip('"“”'))
        raw = response.raw if isinstance(response.raw, dict) else {}
        cut_off = (raw.get("choices") or [{}])[0].get("finish_reason") == "length"
        if language == "en" and self.terms is not None:
            # a term the model kept in Chinese, often one the report put in quotes (“一带一路”), which
            # the check below lets stand as a quoted title: the glossary's English, as in an answer
            rendering = self.terms(rendering)
        if mend and language == "en" and not cut_off and untranslated(rendering):
            # a long passage's rendering often keeps one term in Chinese ("the market准入"); dropping
            # it wasted the seconds it took, and two short renderings of the terms cost about one
            try:
                rendering = self.mend(rendering)
            except Exception as exc:  # the rendering is then dropped below, as before
                log.warning("rendering not mended: %s: %s", type(exc).__name__, exc)
        if cut_off or not rendering or detect_language(rendering) != language or _DECLINED.search(rendering) or (
                language == "en" and untranslated(rendering)):
            return None
        if misread := missing_amounts(rendering, text):  # the quote is then shown alone
            log.info("rendering dropped: it states %s, which the quote does not", ", ".join(f.raw for f in misread))
            return None
        return rendering
