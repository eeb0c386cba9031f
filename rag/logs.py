"""Logs go to stderr (stdout is for answers and JSON) and to a file under the data dir."""
from __future__ import annotations

import logging
import os

from rag.settings import ZhikuSettings


def setup_logging(settings: ZhikuSettings, verbose: bool = False) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.DEBUG if verbose else logging.WARNING)
    stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logfile = logging.FileHandler(settings.log_dir / "zhiku.log", encoding="utf-8")
    logfile.setLevel(logging.INFO)
    logfile.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [stderr, logfile]
    root.setLevel(logging.INFO if not verbose else logging.DEBUG)
    for noisy in ("httpx", "chromadb", "urllib3", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
