"""llama.cpp's `llama-server` (built for this CPU by llama_server_build) as a child process.

xllamacpp wraps this very server in-process, so this class offers the one method the LLM
component calls, `handle_chat_completions(request, callback)`, with the same OpenAI-style
request and chunk dicts, spoken over loopback HTTP instead. Streaming stops when the callback
returns True: closing the connection makes llama-server stop generating.
"""
from __future__ import annotations

import atexit
import ctypes
import json
import logging
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from rag.errors import LLMUnavailableError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_prctl = ctypes.CDLL(None).prctl  # resolved here: the forked child only calls it
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """The server ends with the Python process that started it, even when that one is killed."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


# Linux sends the parent-death signal when the *thread* that forked the child ends, and the LLM is
# often loaded on a worker thread that ends when idle (gradio's, anyio's): every server is started
# from this one thread, which lives as long as the process.
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama-server-spawner")


class LlamaServerProcess:
    def __init__(self, binary: Path, model_path: str, n_ctx: int, threads: int, timeout_s: float = 120.0):
        self.port = _free_port()
        self.listening_address = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.NamedTemporaryFile(prefix="zhiku-llama-server-", suffix=".log", delete=False)
        command = [str(binary), "-m", model_path, "-c", str(n_ctx), "-t", str(threads), "-tb", str(threads),
                   "-np", "1", "--host", "127.0.0.1", "--port", str(self.port), "--no-webui"]
        log.info("Starting %s (log %s)", " ".join(command), self._log.name)
        try:
            self._process = _SPAWNER.submit(subprocess.Popen, command, stdout=self._log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent).result()
        except OSError as exc:
            raise LLMUnavailableError(f"Cannot start llama-server {binary}: {exc}",
                                      f"无法启动 llama-server {binary}：{exc}") from exc
        atexit.register(self.close)
        self._client = httpx.Client(base_url=self.listening_address, timeout=httpx.Timeout(timeout_s, connect=5.0))
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                if self._client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        tail = self.log_tail()
        self.close()
        raise LLMUnavailableError(f"llama-server did not start: {tail}", f"llama-server 未能启动：{tail}")

    def log_tail(self, lines: int = 5) -> str:
        text = Path(self._log.name).read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(no output)"

    def handle_chat_completions(self, request: dict, callback: Callable[[dict], bool] | None = None) -> dict:
        """One chat completion; a streamed one hands each chunk to `callback` (True = stop)."""
        if self._process.poll() is not None:
            raise LLMUnavailableError(f"llama-server has stopped (exit code {self._process.returncode})",
                                      f"llama-server 已停止（退出码 {self._process.returncode}）")
        try:
            if not request.get("stream"):
                response = self._client.post("/v1/chat/completions", json=request)
                result = response.json()
                return result if response.status_code == 200 or "error" in result else {"error": response.text}
            with self._client.stream("POST", "/v1/chat/completions", json=request) as response:
                if response.status_code != 200:
                    response.read()
                    callback({"error": response.text})
                    return {}
                for line in response.iter_lines():
                    if not line.startswith("data: ") or line == "data: [DONE]":
                        continue
                    if callback(json.loads(line[len("data: "):])):
                        break  # leaving the block closes the connection: the server stops writing
            return {}
        except (httpx.HTTPError, json.JSONDecodeError) as exc:
            alive = self._process.poll() is None
            raise LLMUnavailableError(
                f"llama-server {'did not answer' if alive else 'has stopped'}: {exc}",
                f"llama-server {'未响应' if alive else '已停止'}：{exc}") from exc

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._client.close()
        Path(self._log.name).unlink(missing_ok=True)
