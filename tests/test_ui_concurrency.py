"""Five people use the UI at once (through gradio's own client): all get answers, none sees another's chat."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client

from rag.settings import PROJECT_ROOT
from ui_server import running_ui  # tests/ is on sys.path (pytest prepend mode)

QUESTIONS = [
    json.loads(line) for line in (PROJECT_ROOT / "evals" / "datasets" / "dev.jsonl").read_text("utf-8").splitlines()
    if line.strip()
]
# first two answerable fact questions of each language, and one more zh: five sessions
SESSIONS = ([q["question"] for q in QUESTIONS if q["type"] == "fact" and q["lang"] == "zh"][:3]
            + [q["question"] for q in QUESTIONS if q["type"] == "fact" and q["lang"] == "en"][:2])


@pytest.fixture(scope="module")
def ui_url(corpus_data_dir, tmp_path_factory):
    with running_ui(corpus_data_dir, tmp_path_factory.mktemp("ui-concurrency")) as (url, _engine):
        yield url


def text_of(message: dict) -> str:
    content = message["content"]  # gradio 6 sends a message's content as a list of parts
    return content if isinstance(content, str) else "".join(part.get("text", "") for part in content)


def converse(url: str, first: str, second: str) -> list[dict]:
    client = Client(url, verbose=False)
    for question in (first, second):
        chat, sources, *_question_box = client.predict(question, "zh", "extractive", [], api_name="/ask")
        assert "zk-source" in sources, chat  # on failure the chat holds the error message
    return chat


def test_five_simultaneous_sessions_get_their_own_answers(ui_url):
    assert len(SESSIONS) == 5
    follow_ups = SESSIONS[1:] + SESSIONS[:1]
    with ThreadPoolExecutor(5) as pool:
        chats = list(pool.map(lambda pair: converse(ui_url, *pair), zip(SESSIONS, follow_ups)))
    for chat, first, second in zip(chats, SESSIONS, follow_ups):
        roles = [m["role"] for m in chat]
        assert roles == ["user", "assistant", "user", "assistant"], chat
        asked = [text_of(m) for m in chat if m["role"] == "user"]
        # the UI escapes what users type; these questions hold no HTML-special characters except quotes
        assert [a.replace("&quot;", '"').replace("&#x27;", "'") for a in asked] == [first, second]
        for reply in (text_of(m) for m in chat if m["role"] == "assistant"):
            assert "zk-chip" in reply, reply
