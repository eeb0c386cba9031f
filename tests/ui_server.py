"""Start the web UI in-process for a test module, on its own copy of the session's corpus index,
so uploads and feedback never change the index other tests read."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.engine import Engine
from rag.settings import load_settings
from ui.app import serve
from ui.browser import free_port


@contextmanager
def running_ui(corpus_data_dir: Path, workdir: Path) -> Iterator[tuple[str, Engine]]:
    data_dir = workdir / "data"
    shutil.copytree(corpus_data_dir, data_dir)
    engine = Engine(load_settings(data_dir=data_dir))
    port = free_port()
    demo = serve(engine, port=port, block=False)
    try:
        yield f"http://127.0.0.1:{port}/", engine
    finally:
        demo.close()
