"""Read a report file into text plus metadata found in the file itself."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SUPPORTED_SUFFIXES = {".txt", ".md"}


class UnreadableFile(Exception):
    """A file we skip, with a one-line reason for the user."""


def read_document(path: Path) -> tuple[str, dict[str, Any]]:
    raw = path.read_bytes()
    if not raw.strip():
        raise UnreadableFile("empty file / 空文件")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    meta: dict[str, Any] = {}
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end > 0:
            meta = yaml.safe_load(text[4:end]) or {}
            text = text[end + 4 :]
    return text, meta
