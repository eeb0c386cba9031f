"""Errors the user sees, each with a Chinese and an English message."""
from __future__ import annotations


class ZhikuError(Exception):
    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.en = en
        self.zh = zh

    def message(self, language: str = "en") -> str:
        return self.zh if language == "zh" else self.en

    def bilingual(self) -> str:
        return f"{self.zh}\n{self.en}"


class ModelFileError(ZhikuError):
    pass


class LLMUnavailableError(ZhikuError):
    pass


class IndexMissingError(ZhikuError):
    pass


class InputError(ZhikuError):
    pass
