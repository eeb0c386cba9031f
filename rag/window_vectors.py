"""The support checker's vectors of passage windows, kept on disk beside the index.

The checker (rag.support) compares an answer sentence with every window of every source (each
sentence and each pair of adjacent sentences). Embedding those windows at answer time cost
~6 s an answer on 2 cores for passages not seen before, more than the model's writing; a
passage's windows never change, so ingest embeds them once (`ingest.pipeline`) and answers read
them here. Keyed by a hash of the window's text, so a window any passage shares (chunks overlap,
neighbours join) is stored once; a window first met at answer time (across a join) is kept until
the next ingest prunes the store to the indexed chunks' windows. One file per checker embedder
and version: vectors of two models never mix. Only a cache: a store that fails (locked, full,
corrupt) is read as empty, and the checker embeds what it needs (rag.support).
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np


def digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class WindowVectors:
    def __init__(self, path: Path, timeout: float = 30.0):
        """`timeout`: how long a call waits for another process's write (an ingest) to end."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()  # gradio answers on several threads; one connection
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=timeout)
        with self._lock, self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS windows (digest TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    @classmethod
    def beside(cls, index_dir: Path, model_name: str, timeout: float = 30.0) -> WindowVectors:
        return cls(index_dir / f"checker-windows-{model_name}.sqlite", timeout)

    def get(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those `texts` that have one, by text."""
        by_digest = {digest(t): t for t in texts}
        return {by_digest[d]: np.frombuffer(v, dtype=np.float32)
                for d, v in self._select("digest, vector", list(by_digest))}

    def known(self, digests: Iterable[str]) -> set[str]:
        return {d for (d,) in self._select("digest", list(digests))}

    def _select(self, columns: str, keys: list[str]) -> list[tuple]:
        """The rows of those `keys` stored, in batches under SQLite's limit on bound parameters."""
        rows: list[tuple] = []
        with self._lock:
            for start in range(0, len(keys), 500):
                batch = keys[start : start + 500]
                rows += self._db.execute(
                    f"SELECT {columns} FROM windows WHERE digest IN ({','.join('?' * len(batch))})", batch).fetchall()
        return rows

    def put(self, texts: Sequence[str], vectors: Sequence[Sequence[float]]) -> None:
        rows = [(digest(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in zip(texts, vectors, strict=True)]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO windows VALUES (?, ?)", rows)

    def keep_only(self, digests: Iterable[str]) -> int:
        """Forget the windows of passages no longer indexed; returns how many were dropped."""
        keep = set(digests)
        with self._lock:
            stale = [(d,) for (d,) in self._db.execute("SELECT digest FROM windows") if d not in keep]
            with self._db:
                self._db.executemany("DELETE FROM windows WHERE digest = ?", stale)
        return len(stale)

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM windows").fetchone()[0]
