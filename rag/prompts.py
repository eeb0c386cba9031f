"""Prompt templates live as text files in prompts/, one per purpose and language."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@cache
def load_prompt(purpose: str, language: str) -> str:
    return (PROMPTS_DIR / f"{purpose}_{language}.txt").read_text(encoding="utf-8").strip()


def refusal_text(language: str) -> str:
    return load_prompt("refuse", language)


@cache
def load_example(purpose: str) -> dict[str, Any]:
    """A worked example for a prompt (prompts/<purpose>_example.json): its sources, and per
    language a question and the answer the model should give."""
    return json.loads((PROMPTS_DIR / f"{purpose}_example.json").read_text(encoding="utf-8"))
