"""BM25 over the chunk catalog: a bilingual tokenizer and a persisted bm25s index kept in step
with the catalog through `Store.chunk_fingerprint()`.

Ingest never has to know about this index: whenever the set of committed chunks changes
(add, replace, prune), the fingerprint changes and the index is rebuilt from the catalog on
the next query. `Store.catalog_version()` makes the per-query check cost microseconds.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import numpy as np

from rag.figures import STANDARD_ID
from rag.script import to_simplified
from rag.glossary import GLOSSARY_PATH, default_glossary
from rag.store import Store

log = logging.getLogger(__name__)

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_WORD = re.compile(r"^[a-z][a-z'-]*$")
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)*%?$")


def standard_ids(text: str) -> list[str]:
    """Canonical ids, lowercase 'prefix number'; a dated id also yields its undated form."""
    ids = []
    for prefix, number in STANDARD_ID.findall(text):
        whole = f"{prefix.lower()} {number}"
        ids.append(whole)
        undated = re.split(r"[:]", number)[0]
        if undated != number:
            ids.append(f"{prefix.lower()} {undated}")
    return ids


class BilingualTokenizer:
    """jieba search-mode words for Chinese, stemmed lowercase words and numbers for Latin text,
    standard ids kept whole; stopwords and punctuation dropped."""

    def __init__(self, extra_words: Iterable[str] = ()):
        import jieba
        import Stemmer
        from bm25s.stopwords import STOPWORDS_CHINESE, STOPWORDS_EN_PLUS

        jieba.setLogLevel(logging.WARNING)
        # A private jieba instance: glossary words must not leak into other users of jieba.
        self._jieba = jieba.Tokenizer()
        for word in extra_words:
            if _HAN.search(word):
                self._jieba.add_word(word, freq=2000)
        self._stem = Stemmer.Stemmer("english").stemWord
        self._stop = set(STOPWORDS_CHINESE) | set(STOPWORDS_EN_PLUS)
        self._lock = threading.Lock()  # jieba.Tokenizer initialises lazily and is not thread safe

    def __call__(self, text: str) -> list[str]:
        text = to_simplified(unicodedata.normalize("NFKC", text))
        tokens = standard_ids(text)
        with self._lock:
            words = self._jieba.lcut_for_search(text)
        for word in words:
            word = word.strip().lower()
            if not word or word in self._stop:
                continue
            if _HAN.search(word) or _NUMBER.match(word):
                tokens.append(word)
            elif _WORD.match(word):
                tokens.append(self._stem(word))
        return tokens

    def term_tokens(self, term: str) -> list[str]:
        """A glossary term as one token when it is a word of its own in indexed text, so that
        "国际电工委员会" counts once rather than as 国际, 电工, 工委, 委员, 委员会 and itself:
        search-mode subwords let a long expansion term outweigh the question's own exact
        "ISO/IEC 42001:2023"."""
        tokens = self(term)
        whole = unicodedata.normalize("NFKC", term).strip().lower()
        return [whole] if whole in tokens else tokens


@cache
def default_tokenizer() -> BilingualTokenizer:
    return BilingualTokenizer(default_glossary().chinese_words())


# Bump when what BM25 reads of a chunk changes (Chunk.lexical_text), so saved indexes rebuild.
LEXICAL_TEXT_VERSION = 2


class LexicalIndex:
    """A bm25s index over chunk texts, with each row's chunk id and report id."""

    _META = "zhiku-meta.json"

    def __init__(self, bm25, chunk_ids: list[str], report_ids: list[str], fingerprint: str):
        self.bm25 = bm25
        self.chunk_ids = chunk_ids
        self.report_ids = np.array(report_ids, dtype=object)
        self.fingerprint = fingerprint

    @classmethod
    def build(
        cls, store: Store, tokenizer: BilingualTokenizer, fingerprint: str, cache: TokenCache | None = None
    ) -> LexicalIndex:
        import bm25s

        chunks = store.chunks()
        texts = [c.lexical_text for c in chunks]
        tokens = cache.tokens(texts, tokenizer) if cache else [tokenizer(t) for t in texts]
        bm25 = bm25s.BM25()
        if chunks:
            bm25.index([t or ["∅"] for t in tokens], show_progress=False)
        return cls(bm25, [c.id for c in chunks], [c.report_id for c in chunks], fingerprint)

    def save(self, directory: Path) -> None:
        # write beside, then swap: a reader never sees half an index
        partial = directory.with_name(directory.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        if self.chunk_ids:
            self.bm25.save(str(partial), show_progress=False)
        meta = {"fingerprint": self.fingerprint, "chunk_ids": self.chunk_ids, "report_ids": list(self.report_ids)}
        (partial / self._META).write_text(json.dumps(meta), encoding="utf-8")
        shutil.rmtree(directory, ignore_errors=True)
        partial.rename(directory)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex | None:
        import bm25s

        try:
            meta = json.loads((directory / cls._META).read_text(encoding="utf-8"))
            bm25 = bm25s.BM25.load(str(directory), show_progress=False) if meta["chunk_ids"] else bm25s.BM25()
        except (OSError, ValueError, KeyError) as exc:
            log.info("BM25 index at %s unreadable (%s); rebuilding", directory, exc)
            return None
        return cls(bm25, meta["chunk_ids"], meta["report_ids"], meta["fingerprint"])

    def search(
        self, weighted_tokens: Sequence[tuple[Sequence[str], float]], k: int, report_ids: Iterable[str] | None = None
    ) -> list[tuple[str, float]]:
        """Top k by the weighted sum of BM25 scores of each token group."""
        if not self.chunk_ids:
            return []
        scores = np.zeros(len(self.chunk_ids), dtype=np.float32)
        for tokens, weight in weighted_tokens:
            ids = self.bm25.get_tokens_ids(list(tokens))
            if ids and weight:
                scores += weight * self.bm25.get_scores_from_ids(ids)
        if report_ids is not None:
            scores *= np.isin(self.report_ids, list(report_ids))
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]


class TokenCache:
    """Tokens of every chunk text seen, keyed by a hash of the text, so that a rebuild after an
    ingest tokenizes only new text: jieba over 100k chunks takes minutes, bm25s's own indexing
    of ready tokens seconds. Keyed also on the glossary, whose words change the segmentation."""

    def __init__(self, path: Path):
        import sqlite3

        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        with self._db:
            self._db.execute("CREATE TABLE IF NOT EXISTS tokens (digest TEXT PRIMARY KEY, tokens TEXT NOT NULL)")

    def tokens(self, texts: Sequence[str], tokenizer: BilingualTokenizer) -> list[list[str]]:
        digests = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        known: dict[str, list[str]] = {}
        for start in range(0, len(digests), 500):
            batch = digests[start : start + 500]
            rows = self._db.execute(
                f"SELECT digest, tokens FROM tokens WHERE digest IN ({','.join('?' * len(batch))})", batch
            )
            known.update((d, json.loads(t)) for d, t in rows)
        fresh = {d: tokenizer(t) for d, t in zip(digests, texts, strict=True) if d not in known}
        with self._db:
            self._db.execute("DELETE FROM tokens")  # keep only the current corpus
            self._db.executemany(
                "INSERT OR REPLACE INTO tokens VALUES (?, ?)",
                [(d, json.dumps(t, ensure_ascii=False)) for d, t in (known | fresh).items()],
            )
        every = known | fresh
        return [every[d] for d in digests]


class LexicalArm:
    """The BM25 index for one store, loaded or rebuilt when the catalog's chunks change."""

    def __init__(self, store: Store, tokenizer: BilingualTokenizer | None = None):
        self.store = store
        self.tokenizer = tokenizer or default_tokenizer()
        self.directory = store.index_dir / "bm25"
        glossary_key = hashlib.sha1(GLOSSARY_PATH.read_bytes()).hexdigest()[:12]
        self.cache_path = store.index_dir / f"bm25-tokens-{glossary_key}.sqlite"
        for stale in store.index_dir.glob("bm25-tokens-*.sqlite"):
            if stale != self.cache_path:  # tokens made with another glossary
                stale.unlink(missing_ok=True)
        self._index: LexicalIndex | None = None
        self._seen_version: tuple[int, int, int] | None = None
        self._lock = threading.Lock()

    def index(self) -> LexicalIndex:
        version = self.store.catalog_version()
        if self._index is not None and version == self._seen_version:
            return self._index
        with self._lock:
            fingerprint = self.fingerprint()
            if self._index is None or self._index.fingerprint != fingerprint:
                self._index = self._load_or_build(fingerprint)
            self._seen_version = version
            return self._index

    def fingerprint(self) -> str:
        return f"{LEXICAL_TEXT_VERSION}:{self.store.chunk_fingerprint()}"

    def _load_or_build(self, fingerprint: str) -> LexicalIndex:
        on_disk = LexicalIndex.load(self.directory)
        if on_disk is not None and on_disk.fingerprint == fingerprint:
            return on_disk
        index = LexicalIndex.build(self.store, self.tokenizer, fingerprint, TokenCache(self.cache_path))
        index.save(self.directory)
        log.info("BM25 index rebuilt over %d chunks", len(index.chunk_ids))
        return index

    def search(
        self,
        weighted_texts: str | Sequence[tuple[str | Sequence[str], float]],
        k: int,
        report_ids: Iterable[str] | None = None,
    ) -> list[tuple[str, float]]:
        """A text is tokenized as running text; a sequence of strings is a list of glossary terms."""
        if isinstance(weighted_texts, str):
            weighted_texts = [(weighted_texts, 1.0)]
        groups = [
            (self.tokenizer(texts) if isinstance(texts, str) else [t for term in texts for t in self.tokenizer.term_tokens(term)], weight)
            for texts, weight in weighted_texts
        ]
        return self.index().search(groups, k, report_ids)
