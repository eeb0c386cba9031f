"""The index on disk: a SQLite catalog of files, reports and chunk texts, and a chromadb
collection of chunk vectors (through llama-index's ChromaVectorStore).

The catalog is the source of truth for texts and metadata; chroma holds only vectors and the
few fields filters need, one collection per vector arm (the main embedder and, unless turned off,
the cross-lingual one and its sentence arm), keyed by chunk id ("<chunk id>#<n>" per sentence)
in the same index dir. A file is committed to the
catalog only after its vectors are in every arm's collection, so a crash mid-ingest leaves a
file marked `pending`, which the next run cleans up.
"""
from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from rag.records import Chunk, Report
from rag.settings import ZhikuSettings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    source TEXT PRIMARY KEY, path TEXT, sha256 TEXT, status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reports (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, ordinal INTEGER, record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, report_id TEXT NOT NULL, source TEXT NOT NULL, ordinal INTEGER,
    text TEXT NOT NULL, record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_report ON chunks(report_id, ordinal);
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks(source);
"""


def collection_name(embedder_id: str) -> str:
    # chroma names allow 3-512 of [a-zA-Z0-9._-]
    return "chunks-" + re.sub(r"[^a-zA-Z0-9._-]", "-", embedder_id)[:400]


class Store:
    SENTENCE_HITS_PER_CHUNK = 8
    MAX_ADD = 4096

    def __init__(self, settings: ZhikuSettings):
        self.settings = settings
        self.index_dir = settings.index_dir
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._db_path = self.index_dir / "catalog.sqlite"
        self._local = threading.local()
        with self._db:
            self._db.executescript(_SCHEMA)
        self._vector_stores: dict[str, object] = {}
        self._vector_store_lock = threading.Lock()

    # -- catalog -----------------------------------------------------------------------------
    @property
    def _db(self) -> sqlite3.Connection:
        # gradio serves each request on a worker thread; sqlite connections are per-thread.
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._db_path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    @property
    def vector_arms(self) -> list[str]:
        """Ids of the vector spaces every committed chunk must have a vector in; the first is
        the main embedder's, which also scores sources."""
        optional = [self.settings.cross_lingual_id, self.settings.sentence_arm_id]
        return [self.settings.embedder_id] + [arm for arm in optional if arm]

    def is_sentence_arm(self, arm: str | None) -> bool:
        """The sentence arm holds several vectors per chunk, under "<chunk id>#<n>"."""
        return arm is not None and arm == self.settings.sentence_arm_id

    def arm_store(self, arm: str | None = None):
        """The ChromaVectorStore of one vector arm (default: the main embedder's)."""
        arm = arm or self.settings.embedder_id
        # concurrent first requests (gradio sessions) must not open chroma twice at once
        with self._vector_store_lock:
            if arm not in self._vector_stores:
                import chromadb
                from chromadb.config import Settings as ChromaSettings
                from llama_index.vector_stores.chroma import ChromaVectorStore

                client = chromadb.PersistentClient(
                    path=str(self.index_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
                )
                collection = client.get_or_create_collection(
                    collection_name(arm), embedding_function=None, metadata={"hnsw:space": "cosine"}
                )
                self._vector_stores[arm] = ChromaVectorStore(chroma_collection=collection)
        return self._vector_stores[arm]

    def file_hashes(self) -> dict[str, tuple[str, str]]:
        rows = self._db.execute("SELECT source, sha256, status FROM files")
        return {source: (sha, status) for source, sha, status in rows}

    def file_paths(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT source, path FROM files"))

    def reports(self) -> list[Report]:
        rows = self._db.execute(
            "SELECT r.record, (SELECT COUNT(*) FROM chunks c WHERE c.report_id = r.id) "
            "FROM reports r JOIN files f ON f.source = r.source AND f.status = 'done' "
            "ORDER BY r.source, r.ordinal"
        )
        return [Report.model_validate_json(record).model_copy(update={"chunk_count": n}) for record, n in rows]

    def report_map(self) -> dict[str, Report]:
        return {r.id: r for r in self.reports()}

    def chunks(self, ids: Sequence[str] | None = None) -> list[Chunk]:
        if ids is None:
            rows = self._db.execute("SELECT record FROM chunks ORDER BY source, report_id, ordinal")
            return [Chunk.model_validate_json(r) for (r,) in rows]
        found = {}
        for start in range(0, len(ids), 500):
            batch = list(ids[start : start + 500])
            marks = ",".join("?" * len(batch))
            for cid, record in self._db.execute(f"SELECT id, record FROM chunks WHERE id IN ({marks})", batch):
                found[cid] = Chunk.model_validate_json(record)
        return [found[i] for i in ids if i in found]

    def openings(self) -> dict[str, str]:
        """Each report's first chunk (its title and opening passage), by report id."""
        rows = self._db.execute(
            "SELECT c.report_id, c.text FROM chunks c JOIN "
            "(SELECT report_id, MIN(ordinal) AS first FROM chunks GROUP BY report_id) f "
            "ON c.report_id = f.report_id AND c.ordinal = f.first")
        return dict(rows)

    def chunk_fingerprint(self) -> str:
        """Changes whenever the set of committed chunks changes; derived indexes (BM25) key on it."""
        import hashlib

        digest = hashlib.sha1()
        for (cid,) in self._db.execute("SELECT id FROM chunks ORDER BY id"):
            digest.update(cid.encode())
        return digest.hexdigest()

    def chunk_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    def catalog_version(self) -> tuple[int, int, int]:
        """Moves on every commit to the catalog: a microsecond 'did anything change?' check
        that saves derived indexes from hashing every chunk id on each query."""
        # data_version moves on commits by other connections, total_changes on this one's. Both
        # count per connection and connections are per thread, so the connection is part of the
        # value: versions read on two threads never compare equal by accident.
        conn = self._db
        return id(conn), conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes

    def chunk_vectors(self, ids: Sequence[str], arm: str | None = None) -> dict[str, list[float]]:
        if not ids:
            return {}
        got = self.arm_store(arm)._collection.get(ids=list(ids), include=["embeddings"])
        return {cid: list(vec) for cid, vec in zip(got["ids"], got["embeddings"], strict=True)}

    # -- writing -----------------------------------------------------------------------------
    def begin_file(self, source: str, path: str) -> None:
        """Mark a file pending. Its old chunks stay searchable until commit_file swaps in the
        new ones; vectors are keyed by chunk content hash, so a rerun after a crash reuses
        every vector already written and sweep_orphan_vectors drops the rest."""
        with self._db:
            self._db.execute(
                "INSERT INTO files(source, path, sha256, status) VALUES(?, ?, '', 'pending') "
                "ON CONFLICT(source) DO UPDATE SET status='pending', path=excluded.path",
                (source, path),
            )

    def add_vectors(
        self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]], arm: str | None = None
    ) -> None:
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

        nodes = []
        per_sentence = self.is_sentence_arm(arm)
        for chunk, embedding in zip(chunks, embeddings, strict=True):
            vectors = embedding if per_sentence else [embedding]
            for n, vector in enumerate(vectors):
                node = TextNode(
                    id_=f"{chunk.id}#{n}" if per_sentence else chunk.id,
                    # the catalog holds the texts; a sentence vector need not repeat its chunk's
                    text="" if per_sentence else chunk.text,
                    embedding=list(vector),
                    metadata={"report_id": chunk.report_id, "source": chunk.source, "ordinal": chunk.ordinal},
                )
                node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=chunk.source)
                nodes.append(node)
        # chroma refuses more than ~5,400 records per call; sentence vectors pass that at ~700 chunks
        for start in range(0, len(nodes), self.MAX_ADD):
            self.arm_store(arm).add(nodes[start : start + self.MAX_ADD])

    def commit_file(self, source: str, sha256: str, reports: Sequence[Report], chunks: Iterable[Chunk]) -> None:
        """Swap a file's reports and chunks in one transaction, after its vectors are stored."""
        with self._db:
            self._db.execute("DELETE FROM chunks WHERE source=?", (source,))
            self._db.execute("DELETE FROM reports WHERE source=?", (source,))
            self._db.executemany(
                "INSERT OR REPLACE INTO reports(id, source, ordinal, record) VALUES(?, ?, ?, ?)",
                [(r.id, source, i, r.model_dump_json()) for i, r in enumerate(reports)],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO chunks(id, report_id, source, ordinal, text, record) VALUES(?, ?, ?, ?, ?, ?)",
                [(c.id, c.report_id, c.source, c.ordinal, c.text, c.model_dump_json()) for c in chunks],
            )
            self._db.execute("UPDATE files SET sha256=?, status='done' WHERE source=?", (sha256, source))

    def remove_file(self, source: str) -> None:
        with self._db:
            for table in ("chunks", "reports", "files"):
                self._db.execute(f"DELETE FROM {table} WHERE source=?", (source,))
        self.sweep_orphan_vectors()

    def _stored_ids(self, arm: str | None = None) -> list[str]:
        return self.arm_store(arm)._collection.get(include=[])["ids"]

    def vector_ids(self, arm: str | None = None) -> set[str]:
        """Ids of the chunks that have vectors in the arm."""
        return {vid.partition("#")[0] for vid in self._stored_ids(arm)}

    def sweep_orphan_vectors(self) -> int:
        """Delete vectors no committed chunk refers to (left by a crash or a changed file), in every arm."""
        catalog = self.chunk_ids()
        swept = 0
        for arm in self.vector_arms:
            orphans = sorted(vid for vid in self._stored_ids(arm) if vid.partition("#")[0] not in catalog)
            for start in range(0, len(orphans), 500):
                self.arm_store(arm)._collection.delete(ids=orphans[start : start + 500])
            swept += len(orphans)
        return swept

    def chunk_ids(self) -> set[str]:
        return {cid for (cid,) in self._db.execute("SELECT id FROM chunks")}

    def vector_count(self, arm: str | None = None) -> int:
        """Chunks with vectors in the arm."""
        return len(self.vector_ids(arm)) if self.is_sentence_arm(arm) else self.arm_store(arm)._collection.count()

    # -- reading vectors ---------------------------------------------------------------------
    def dense_search(
        self, query_embedding: Sequence[float], k: int, report_ids: Sequence[str] | None = None, arm: str | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, similarity) of the k nearest vectors. Asks chroma for ids and distances
        only: ChromaVectorStore.query always loads texts and metadata and rebuilds nodes,
        which took a third of a retrieve here, and the catalog already holds the texts."""
        per_sentence = self.is_sentence_arm(arm)
        # chroma caps n_results at the collection's size itself, empty collections included
        result = self.arm_store(arm)._collection.query(
            query_embeddings=[list(query_embedding)],
            # a chunk has about 7 sentences: enough sentence hits to fill k chunks
            n_results=k * self.SENTENCE_HITS_PER_CHUNK if per_sentence else k,
            where={"report_id": {"$in": list(report_ids)}} if report_ids else None,
            include=["distances"],
        )
        # the similarity ChromaVectorStore reports, so scores mean what they meant before
        hits = [(vid, math.exp(-d)) for vid, d in zip(result["ids"][0], result["distances"][0], strict=True)]
        if not per_sentence:
            return hits
        best: dict[str, float] = {}
        for vid, similarity in hits:  # nearest first: a chunk's first sentence hit is its best
            best.setdefault(vid.partition("#")[0], similarity)
        return list(best.items())[:k]

    def is_empty(self) -> bool:
        return self._db.execute("SELECT COUNT(*) FROM files WHERE status='done'").fetchone()[0] == 0


def dump_reports_json(reports: Sequence[Report]) -> str:
    return json.dumps([r.model_dump() for r in reports], ensure_ascii=False, indent=2)
