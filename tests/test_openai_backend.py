"""The OpenAI-compatible backend against a real server: xllamacpp serves the bundled model's
OpenAI HTTP API on loopback while loaded. An unreachable server falls back to quotes."""
from __future__ import annotations

import socket

from rag.engine import Engine


def engine_for(engine, **overrides) -> Engine:
    settings = engine.settings.model_copy(update={"llm_backend": "openai_like", "llm_model": "qwen-bundled",
                                                  **overrides})
    return Engine(settings)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends


def test_answers_through_a_real_openai_compatible_server(engine):
    base_url = engine.llm.http_base_url
    assert base_url.startswith("http://127.0.0.1")
    # no 20 s answer limit: this is about the backend answering, and on a slow hour the model's
    # full answer can take longer (the limit has its own tests)
    remote = engine_for(engine, llm_base_url=base_url, llm_timeout_s=600.0, answer_limit_s=0)
    answer = remote.answerer.ask("欧盟《人工智能法案》把人工智能系统分为哪几个风险等级？")
    assert answer.models["llm"].startswith("openai_like:")
    assert answer.notice is None and answer.mode == "generative", answer.notice
    assert answer.refused or any(s.supported for s in answer.sentences)


def test_unreachable_server_gives_a_clear_message_and_the_sources(engine):
    remote = engine_for(engine, llm_base_url=f"http://127.0.0.1:{closed_port()}/v1", llm_timeout_s=5.0)
    answer = remote.answerer.ask("What is the maximum fine in the EU AI Act for violating its prohibitions?")
    assert answer.mode == "extractive" and not answer.refused
    assert "LLM could not answer" in answer.notice and "showing quoted passages" in answer.notice
    assert answer.sources and answer.citations
    zh = remote.answerer.ask("欧盟《人工智能法案》规定的最高罚款是多少？")
    assert "大模型无法回答" in zh.notice
