"""Users' 👍/👎 and comments on answers, kept in SQLite under the data dir so they can become eval questions."""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, Literal, TextIO

from rag.records import Answer
from rag.settings import ZhikuSettings

Rating = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    key TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
    rating TEXT CHECK (rating IN ('up', 'down')), comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL, language TEXT NOT NULL, answer TEXT NOT NULL, mode TEXT NOT NULL,
    refused INTEGER NOT NULL, citations TEXT NOT NULL, settings TEXT NOT NULL
);
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class FeedbackStore:
    def __init__(self, settings: ZhikuSettings):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = settings.data_dir / "feedback.sqlite"
        self._local = threading.local()
        with self._db:
            self._db.executescript(_SCHEMA)

    @property
    def _db(self) -> sqlite3.Connection:
        # the UI records feedback from gradio worker threads; sqlite connections are per-thread
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30)
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def save(self, key: str, answer: Answer, settings: dict[str, Any], rating: Rating | None = None,
             comment: str | None = None) -> None:
        """One row per answer (key); a later rating or comment on the same answer updates it, with
        the answer as then shown (its closest passages' renderings come after it)."""
        now = _now()
        citations = json.dumps([c.model_dump() for c in answer.citations], ensure_ascii=False)
        with self._db:
            self._db.execute(
                "INSERT INTO feedback(key, created, updated, rating, comment, question, language, answer, mode, "
                "refused, citations, settings) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET updated=excluded.updated, answer=excluded.answer, "
                "citations=excluded.citations, "
                "rating=COALESCE(excluded.rating, feedback.rating), "
                "comment=CASE WHEN ? IS NULL THEN feedback.comment ELSE excluded.comment END",
                (key, now, now, rating, comment or "", answer.question, answer.language, answer.answer, answer.mode,
                 int(answer.refused), citations, json.dumps(settings, ensure_ascii=False, default=str), comment),
            )

    def records(self) -> Iterator[dict[str, Any]]:
        for row in self._db.execute("SELECT * FROM feedback ORDER BY created, key"):
            record = dict(row)
            record["refused"] = bool(record["refused"])
            record["citations"] = json.loads(record["citations"])
            record["settings"] = json.loads(record["settings"])
            yield record

    def export_jsonl(self, out: TextIO) -> int:
        count = 0
        for record in self.records():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
        return count
