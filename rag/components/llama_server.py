"""llama.cpp's `llama-server` (built for this CPU by llama_server_build) as a child process.

xllamacpp wraps this very server in-process, so this class offers the one method the LLM
component calls, `handle_chat_completions(request, callback)`, with the same OpenAI-style
request and chunk dicts, spoken over loopback HTTP instead. Streaming stops when the callback
returns True: closing the connection makes llama-server stop generating.
"""
from __future__ import annotations

import atexit
import json
import logging
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from rag.errors import LLMUnavailableError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 120.0
START_TRIES = 3  # a port picked free can be taken before the child binds it

# The server ends with the Python process that started it, even a killed one: util-linux's setpriv
# sets the parent-death signal (KILL: it cannot be blocked) and execs the server, so no Python runs
# in the forked child. Linux sends that signal when the *thread* that forked the child ends, and
# the LLM is often loaded on a worker thread that ends when idle (gradio's, anyio's): every server
# is started from this one thread, which lives as long as the process. A child inherits its
# thread's signal mask, and a web server's threads block SIGTERM (a server started under `zhiku
# serve` ignored terminate()), so this thread clears its mask first.
def _unblock_signals() -> None:
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama-server-spawner", initializer=_unblock_signals)
_DIE_WITH_PARENT = (["setpriv", "--pdeathsig", "KILL"]
                    if sys.platform.startswith("linux") and shutil.which("setpriv") else [])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LlamaServerProcess:
    def __init__(self, binary: Path, model_path: str, n_ctx: int, threads: int, timeout_s: float = 120.0):
        self._client: httpx.Client | None = None
        self._process: subprocess.Popen | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="zhiku-llama-server-", suffix=".log", delete=False)
        atexit.register(self.close)
        for attempt in range(1, START_TRIES + 1):
            self.port = _free_port()
            self.listening_address = f"http://127.0.0.1:{self.port}"
            command = [*_DIE_WITH_PARENT, str(binary), "-m", model_path, "-c", str(n_ctx), "-t", str(threads),
                       "-tb", str(threads), "-np", "1", "--host", "127.0.0.1", "--port", str(self.port), "--no-webui"]
            log.info("Starting %s (log %s)", " ".join(command), self._log.name)
            try:
                self._process = _SPAWNER.submit(subprocess.Popen, command, stdout=self._log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL).result()
            except OSError as exc:
                self.close()
                raise LLMUnavailableError(f"Cannot start llama-server {binary}: {exc}",
                                          f"无法启动 llama-server {binary}：{exc}") from exc
            # loopback only: a proxy from the environment must not carry these requests
            self._client = httpx.Client(base_url=self.listening_address, trust_env=False,
                                        timeout=httpx.Timeout(timeout_s, connect=5.0))
            if self._ready():
                return
            tail = self.log_tail()
            port_taken = "bind" in tail.lower() or "address already in use" in tail.lower()
            self._stop()
            if not (port_taken and attempt < START_TRIES):
                self.close()
                raise LLMUnavailableError(f"llama-server did not start: {tail}", f"llama-server 未能启动：{tail}")

    def _ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                if self._client.get("/health", timeout=2.0).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        return False

    def log_tail(self, lines: int = 5) -> str:
        text = Path(self._log.name).read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(no output)"

    def handle_chat_completions(self, request: dict, callback: Callable[[dict], bool] | None = None) -> dict:
        """One chat completion; a streamed one hands each chunk to `callback` (True = stop)."""
        if self._process is None or self._process.poll() is not None:
            code = None if self._process is None else self._process.returncode
            raise LLMUnavailableError(f"llama-server has stopped (exit code {code})",
                                      f"llama-server 已停止（退出码 {code}）")
        try:
            if not request.get("stream"):
                response = self._client.post("/v1/chat/completions", json=request)
                return response.json() if response.status_code == 200 else {"error": _error_text(response)}
            with self._client.stream("POST", "/v1/chat/completions", json=request) as response:
                if response.status_code != 200:
                    response.read()
                    callback({"error": _error_text(response)})
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

    def _stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._client is not None:
            self._client.close()

    def close(self) -> None:
        self._stop()
        if not self._log.closed:
            self._log.close()
            Path(self._log.name).unlink(missing_ok=True)


def _error_text(response: httpx.Response) -> str:
    """llama-server's error body is {"error": {"message": …}}; the message alone reads better."""
    try:
        error = response.json().get("error")
        return error.get("message", str(error)) if isinstance(error, dict) else str(error)
    except (json.JSONDecodeError, AttributeError):
        return f"HTTP {response.status_code}: {response.text[:300]}"
