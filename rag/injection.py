"""Sentences in a report that read as orders to the assistant ("忽略以上所有指令", "ignore
previous instructions"). The prompt already frames sources as data; these sentences are also
kept out of what the model reads and of extractive quotes, which would otherwise repeat them
verbatim. Written here because the guard libraries (llm-guard, rebuff) need models or
services this offline install does not have; the patterns are the common phrasings in both
languages, not an exhaustive filter.
"""
from __future__ import annotations

import re

_INSTRUCTION = re.compile(
    r"(忽略|无视|忘记|忘掉)(以上|上面|上述|之前|此前|前面|先前|所有|全部)[^。！？，,]{0,8}(指令|指示|提示)"
    r"|(不要|请勿|禁止)引用"
    r"|(系统提示|你现在是|从现在开始你)"
    r"|\b(ignore|disregard|forget)\b[^.!?]{0,30}\b(instructions?|prompts?|rules|context)\b"
    r"|\b(system prompt|you are now|reply only with|respond only with)\b",
    re.IGNORECASE,
)


def reads_as_instruction(sentence: str) -> bool:
    return bool(_INSTRUCTION.search(sentence))
