"""Prompt templates live as text files in prompts/, one per purpose and language."""
from __future__ import annotations

from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@cache
def load_prompt(purpose: str, language: str) -> str:
    return (PROMPTS_DIR / f"{purpose}_{language}.txt").read_text(encoding="utf-8").strip()


def refusal_text(language: str) -> str:
    return load_prompt("refuse", language)
