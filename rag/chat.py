"""Follow-up questions: condense "那美国呢？" into a standalone question before retrieval.

llama-index's CondensePlusContextChatEngine does the same condensing step, but it owns
retrieval and generation; Zhiku needs its own (compression, citation checks, refusals), so
only the condense step is done here, with the same idea and one short LLM call.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from rag.language import detect_language
from rag.prompts import load_prompt
from rag.records import Answer

# Keeps the condense prompt short: the model reads ~60 tokens/s.
HISTORY_TURNS = 2
ANSWER_CHARS = 160
_MARKER = re.compile(r"\[\d+\]")


def format_history(history: Sequence[tuple[str, str]]) -> str:
    lines = []
    for question, answer in history[-HISTORY_TURNS:]:
        lines.append(f"Q: {question}\nA: {_MARKER.sub('', answer)[:ANSWER_CHARS]}")
    return "\n".join(lines)


# Words that point back into the conversation: a question holding one cannot be searched as it
# stands ("那美国呢？", "What about its fines?"); one without them is a new question and is
# searched as asked, since a rewrite by the small model can only lose its words.
_REFERS_BACK = re.compile(
    r"^(那|那么|还有|另外|此外|再|那它|它|他们|她们|它们|其|该|这|这些|那些|此)|呢[？?]?$|上述|前者|后者|这一|这个|那个|这些|那些|它们?|他们|两者|二者|对此|同样|也是"
    r"|\b(it|its|they|them|their|this|that|these|those|he|she|his|her|the same|what about|how about|and the|and what)\b",
    re.IGNORECASE)
SHORT_QUESTION = {"zh": 6, "en": 4}  # Han characters / words: shorter is a fragment of the conversation


def needs_context(engine: Any, question: str, language: str) -> bool:
    """Whether a follow-up must be rewritten with the conversation before it is searched."""
    size = len(re.findall(r"[\u4e00-\u9fff]", question)) if language == "zh" else len(re.findall(r"[A-Za-z]+", question))
    return size < SHORT_QUESTION[language] or bool(_REFERS_BACK.search(question))


def condense_question(engine: Any, question: str, history: Sequence[tuple[str, str]]) -> str:
    """The follow-up rewritten to stand alone, in the follow-up's language; the follow-up
    itself if the model returns nothing usable."""
    language = detect_language(question)
    prompt = load_prompt("condense", language).format(history=format_history(history), question=question)
    response = engine.llm.chat([ChatMessage(role=MessageRole.USER, content=prompt)], max_tokens=60, temperature=0.0)
    text = (response.message.content or "").strip().splitlines()
    standalone = text[0].strip().strip("\"“”") if text else ""
    standalone = re.sub(r"^(完整问题|Standalone question)\s*[:：]\s*", "", standalone)
    if not standalone or detect_language(standalone) != language or len(standalone) > 4 * len(question) + 200:
        return question
    return standalone


@dataclass
class Conversation:
    """A chat session: each question is answered with the turns before it as context."""

    engine: Any
    history: list[tuple[str, str]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    def stream(self, question: str, report_ids: Sequence[str] | None = None):
        for event in self.engine.answerer.stream(question, report_ids, history=self.history):
            if event.kind == "answer" and event.final:
                self.remember(event.answer)
            yield event

    def remember(self, answer: Answer) -> None:
        self.history.append((answer.question, answer.answer))
        self.answers.append(answer)
