"""LLM component: the bundled GGUF run by llama.cpp (in-process by xllamacpp, or by the llama-server
built for this CPU), or any OpenAI-compatible server."""
from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms import LLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.custom import CustomLLM
from pydantic import PrivateAttr

from rag.errors import LLMUnavailableError
from rag.settings import ZhikuSettings

log = logging.getLogger(__name__)

_DONE = object()


class XLlamaCppLLM(CustomLLM):
    """llama-index has no xllamacpp integration, and LlamaCPP needs llama-cpp-python, which has no
    wheel here; xllamacpp's server applies the model's own chat template, so we pass messages as-is.
    With `server_binary` the same requests go to that llama-server child process instead."""

    model_path: str
    server_binary: str | None = None
    fallback_to_wheel: bool = False  # a server that cannot start gives way to xllamacpp
    timeout_s: float = 120.0
    context_window: int = 4096
    num_output: int = 320
    threads: int = 2
    temperature: float = 0.1
    _server: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def model_post_init(self, __context: Any) -> None:
        if self.server_binary:
            from rag.components.llama_server import LlamaServerProcess

            try:
                self._server = LlamaServerProcess(Path(self.server_binary), self.model_path, self.context_window,
                                                  self.threads, self.timeout_s)
                return
            except LLMUnavailableError as exc:
                if not self.fallback_to_wheel:
                    raise
                log.warning("%s; running the model with xllamacpp instead", exc.en)
                self.server_binary = None
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = self.model_path
        params.n_ctx = self.context_window
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.verbosity = -1
        self._server = xllamacpp.Server(params)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.num_output,
            is_chat_model=True,
            model_name=Path(self.model_path).name,
        )

    @property
    def runtime(self) -> str:
        return "llama-server" if self.server_binary else "xllamacpp"

    @property
    def http_base_url(self) -> str:
        """xllamacpp also serves the OpenAI HTTP API on loopback; tests use it as a real server."""
        return f"{self._server.listening_address}/v1"

    def _request(self, messages: Sequence[ChatMessage], stream: bool, **kwargs: Any) -> dict:
        return {
            "messages": [{"role": m.role.value, "content": m.content or ""} for m in messages],
            "max_tokens": kwargs.get("max_tokens", self.num_output),
            "temperature": kwargs.get("temperature", self.temperature),
            "stream": stream,
            # Each prompt read from its first token: a prefix reused from llama.cpp's prompt cache
            # shifts the logits a little, and greedy decoding then gives the same question a
            # different answer after another question (a "not found" and an answer were 0.08 nats
            # apart for one held-out question). The answer prompts share only their instructions,
            # so little is lost (the optional worked example, answer_example, is read each time).
            # An OpenAI-compatible server keeps its own caching.
            "cache_prompt": False,
            # llama.cpp's constrained output: a caller that parses the reply can hold it to a JSON schema
            **({"json_schema": kwargs["json_schema"]} if "json_schema" in kwargs else {}),
        }

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        with self._lock:  # one llama.cpp slot: requests take turns
            result = self._server.handle_chat_completions(self._request(messages, False, **kwargs))
        if "error" in result:
            raise LLMUnavailableError(f"LLM error: {result['error']}", f"大模型出错：{result['error']}")
        text = result["choices"][0]["message"]["content"] or ""
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), raw=result)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        chunks: queue.Queue = queue.Queue()
        cancelled = threading.Event()

        def on_chunk(chunk: Any) -> bool:
            chunks.put(chunk)
            return cancelled.is_set()  # returning True asks the server to stop generating

        def run() -> None:
            try:
                with self._lock:
                    self._server.handle_chat_completions(self._request(messages, True, **kwargs), on_chunk)
            except Exception as exc:  # surfaced to the consumer below
                chunks.put(exc)
            finally:
                chunks.put(_DONE)

        threading.Thread(target=run, daemon=True).start()

        def gen() -> Iterator[ChatResponse]:
            text = ""
            try:
                while (item := chunks.get()) is not _DONE:
                    if isinstance(item, Exception):
                        raise LLMUnavailableError(f"LLM error: {item}", f"大模型出错：{item}")
                    if isinstance(item, dict) and "error" in item:
                        raise LLMUnavailableError(f"LLM error: {item['error']}", f"大模型出错：{item['error']}")
                    delta = (item.get("choices") or [{}])[0].get("delta", {}).get("content") or ""
                    if delta:
                        text += delta
                        yield ChatResponse(
                            message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=delta, raw=item
                        )
            finally:
                cancelled.set()

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        response = self.chat([ChatMessage(role=MessageRole.USER, content=prompt)], **kwargs)
        return CompletionResponse(text=response.message.content or "", raw=response.raw)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        for response in self.stream_chat([ChatMessage(role=MessageRole.USER, content=prompt)], **kwargs):
            yield CompletionResponse(text=response.message.content or "", delta=response.delta)


def build_llm(settings: ZhikuSettings) -> LLM:
    if settings.llm_backend == "openai_like":
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=settings.llm_model,
            api_base=settings.llm_base_url,
            api_key=settings.llm_api_key.get_secret_value(),
            is_chat_model=True,
            context_window=settings.llm_context_tokens,
            max_tokens=settings.max_answer_tokens,
            temperature=settings.temperature,
            timeout=settings.llm_timeout_s,
            max_retries=0,
        )
    from rag.components.model_file import check_model_file, ensure_bundled_model

    if settings.llm_model_path:
        model_path = Path(settings.llm_model_path)
        check_model_file(model_path, size=0)
    else:
        model_path = ensure_bundled_model(settings.models_dir)
    return XLlamaCppLLM(
        model_path=str(model_path),
        server_binary=str(binary) if (binary := llama_server_binary(settings)) else None,
        fallback_to_wheel=settings.llm_runtime == "auto",
        timeout_s=settings.llm_timeout_s,
        context_window=settings.llm_context_tokens,
        num_output=settings.max_answer_tokens,
        threads=settings.llm_threads,
        temperature=settings.temperature,
    )


def llama_server_binary(settings: ZhikuSettings) -> Path | None:
    """The llama-server built for this CPU when the runtime asks for it, or on 'auto' when it was built."""
    path = settings.llama_server_path
    if settings.llm_runtime == "llama_server":
        if not path.is_file():
            raise LLMUnavailableError(
                f"No llama-server at {path}: build it with `make llm-runtime`, or set ZHIKU_LLM_RUNTIME=xllamacpp",
                f"{path} 处没有 llama-server：请运行 `make llm-runtime` 构建，或设置 ZHIKU_LLM_RUNTIME=xllamacpp")
        return path
    if settings.llm_runtime == "auto" and _built(path):
        return path
    return None


def _built(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def llm_name(settings: ZhikuSettings, llm: LLM | None = None) -> str:
    """The model and what runs it: the loaded LLM's runtime when given, else the one settings choose."""
    if settings.llm_backend == "openai_like":
        return f"openai_like:{settings.llm_model}@{settings.llm_base_url}"
    model = Path(settings.llm_model_path).name if settings.llm_model_path else "bundled:qwen2.5-1.5b-q4_k_m"
    if isinstance(llm, XLlamaCppLLM):
        runtime = llm.runtime
    elif settings.llm_runtime == "auto":
        runtime = "llama-server" if _built(settings.llama_server_path) else "xllamacpp"
    else:
        runtime = settings.llm_runtime.replace("_", "-")
    return f"{model} ({runtime})"
