"""Report metadata that the text alone does not give: data/corpus/manifest.json (optional for user folders)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"


def load_manifest(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Map file name -> list of report metadata dicts, in file order."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {entry["file"]: entry["reports"] for entry in data.get("files", [])}
