"""What runs the bundled GGUF: llama.cpp's server built for this CPU (`make llm-runtime`, which
`make test` runs) or, as the fallback, the prebuilt xllamacpp wheel. Both are real and answer the
same OpenAI-style requests."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from rag.components.llama_server import LlamaServerProcess
from rag.components.llama_server_build import X86_EXTENSIONS, build_note, cmake_switches, cpu_flags, main, this_machine
from rag.components.llm import build_llm, llama_server_binary, llm_name
from rag.components.model_file import ensure_bundled_model
from rag.errors import LLMUnavailableError
from rag.settings import load_settings

SCHEMA = {"type": "object", "properties": {"count": {"type": "integer"}}, "required": ["count"]}
QUESTION = [{"role": "user", "content": "资料：SC 42目前已发布37项相关标准。\n问题：SC 42发布了多少项标准？只回答数字。"}]


def test_build_names_each_vector_extension_the_cpu_has_and_never_amx():
    flags = cpu_flags("processor : 0\nflags : fpu avx avx2 fma f16c bmi2 avx512f avx512_vnni amx_tile amx_int8\n")
    switches = cmake_switches(flags)
    assert "-DGGML_NATIVE=OFF" in switches
    assert {"-DGGML_AVX512=ON", "-DGGML_AVX512_VNNI=ON", "-DGGML_AVX2=ON"} <= set(switches)
    assert "-DGGML_AVX512_BF16=OFF" in switches and not any("AMX" in s for s in switches)
    assert len(switches) == 1 + len(X86_EXTENSIONS)
    # not x86 with AVX2 (an ARM laptop): llama.cpp's own detection
    assert cmake_switches(cpu_flags("Features : fp asimd")) == ["-DGGML_NATIVE=ON"]


def test_a_build_is_due_when_missing_or_built_for_another_source_or_cpu(tmp_path):
    out = tmp_path / "llama-server"
    assert main(["--check", "--out", str(out)]) == 1
    out.write_bytes(b"binary")
    assert main(["--check", "--out", str(out)]) == 1  # no note of what it was built from
    out.with_name("llama-server.build").write_text(build_note(this_machine()))
    assert main(["--check", "--out", str(out)]) == 0
    out.with_name("llama-server.build").write_text(build_note(["-DGGML_NATIVE=ON"]))
    assert main(["--check", "--out", str(out)]) == 1
    out.with_name("llama-server.failed").write_text("CalledProcessError: cmake\n")
    assert main(["--check", "--out", str(out)]) == 0  # failed before: not retried on every make


def test_a_failed_rebuild_leaves_no_binary_built_for_another_machine(tmp_path, monkeypatch):
    import rag.components.llama_server_build as building

    out = tmp_path / "llama-server"
    out.write_bytes(b"built elsewhere")
    out.with_name("llama-server.build").write_text(build_note(["-DGGML_NATIVE=ON"]))
    monkeypatch.setattr(building, "build", lambda *a, **k: (_ for _ in ()).throw(OSError("no cmake")))
    assert main(["--out", str(out)]) == 0  # never fails the install
    assert not out.exists() and "no cmake" in out.with_name("llama-server.failed").read_text()


def test_runtime_is_chosen_by_settings(tmp_path):
    built = load_settings(data_dir=tmp_path)
    assert built.llama_server_path.is_file(), (
        "`make llm-runtime` did not build llama-server: "
        + (built.llama_server_path.with_name("llama-server.failed").read_text()
           if built.llama_server_path.with_name("llama-server.failed").exists() else "no note left"))
    assert llama_server_binary(built) == built.llama_server_path
    assert llm_name(built).endswith("(llama-server)")
    wheel = load_settings(data_dir=tmp_path, llm_runtime="xllamacpp")
    assert llama_server_binary(wheel) is None and llm_name(wheel).endswith("(xllamacpp)")
    missing = tmp_path / "no-llama-server"
    assert llama_server_binary(load_settings(data_dir=tmp_path, llama_server_path=missing)) is None
    asked = load_settings(data_dir=tmp_path, llama_server_path=missing, llm_runtime="llama_server")
    with pytest.raises(LLMUnavailableError) as raised:
        llama_server_binary(asked)
    assert "make llm-runtime" in raised.value.en and "make llm-runtime" in raised.value.zh
    assert llm_name(asked).endswith("(llama-server)")  # naming never fails, even before the model loads


@pytest.fixture(scope="module")
def model_path() -> str:
    return str(ensure_bundled_model(load_settings().models_dir))


def test_the_built_server_answers_streams_stops_and_keeps_to_a_schema(model_path):
    # started on a thread that then ends, as a UI worker thread does: the server must outlive it
    started: list[LlamaServerProcess] = []
    worker = threading.Thread(target=lambda: started.append(
        LlamaServerProcess(load_settings().llama_server_path, model_path, n_ctx=1024, threads=2)))
    worker.start()
    worker.join()
    server = started[0]
    time.sleep(0.5)
    try:
        reply = server.handle_chat_completions({"messages": QUESTION, "max_tokens": 20, "temperature": 0,
                                                "json_schema": SCHEMA})
        assert json.loads(reply["choices"][0]["message"]["content"])["count"] == 37
        chunks: list[dict] = []
        server.handle_chat_completions(
            {"messages": [{"role": "user", "content": "Count from 1 to 200, one number a line."}],
             "max_tokens": 300, "temperature": 0, "stream": True},
            lambda chunk: chunks.append(chunk) or len(chunks) >= 5)
        assert len(chunks) == 5  # stopped when asked, not after 300 tokens
        # the server is still there for the next question after a stopped stream
        again = server.handle_chat_completions({"messages": QUESTION, "max_tokens": 10, "temperature": 0})
        assert "37" in again["choices"][0]["message"]["content"]
    finally:
        server.close()
    assert server._process.poll() is not None
    with pytest.raises(LLMUnavailableError) as raised:
        server.handle_chat_completions({"messages": QUESTION, "max_tokens": 5})
    assert "llama-server" in raised.value.en and "llama-server" in raised.value.zh


PARENT = """
import signal, sys, threading, time
from pathlib import Path
from rag.components.llama_server import LlamaServerProcess
def start():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # as a web server's worker thread has it
    server = LlamaServerProcess(Path(sys.argv[1]), sys.argv[2], n_ctx=512, threads=1)
    print(server._process.pid, flush=True)
threading.Thread(target=start).start()
time.sleep(600)
"""


def test_the_server_stops_when_asked_and_dies_with_a_killed_parent(model_path):
    """Started from a thread that blocks SIGTERM (as under `zhiku serve`), in a Python process that
    is then killed: the server must not outlive it."""
    import os
    import signal
    import subprocess
    import sys

    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(load_settings().llama_server_path), model_path],
                              stdout=subprocess.PIPE, text=True)
    try:
        pid = int(parent.stdout.readline())
        blocked = int(next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                           if line.startswith("SigBlk")).split()[1], 16)
        assert not blocked & (1 << (signal.SIGTERM - 1)), "the server would ignore terminate()"
    finally:
        parent.kill()
        parent.wait()
    for _ in range(50):
        if not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        raise AssertionError("llama-server outlived the process that started it")


def test_a_server_that_cannot_start_says_why(model_path, tmp_path):
    with pytest.raises(LLMUnavailableError) as raised:
        LlamaServerProcess(load_settings().llama_server_path, str(tmp_path / "missing.gguf"), n_ctx=512, threads=1)
    assert "did not start" in raised.value.en and "未能启动" in raised.value.zh


def test_auto_falls_back_to_the_prebuilt_wheel_which_still_answers(model_path, tmp_path):
    """A built server that cannot start (here: a program that exits at once) gives way to xllamacpp."""
    from llama_index.core.base.llms.types import ChatMessage

    settings = load_settings(data_dir=tmp_path, llama_server_path=Path("/bin/false"), llm_context_tokens=1024,
                             max_answer_tokens=10)
    llm = build_llm(settings)
    assert llm.runtime == "xllamacpp" and llm_name(settings, llm).endswith("(xllamacpp)")
    reply = llm.chat([ChatMessage(role="user", content=QUESTION[0]["content"])])
    assert "37" in reply.message.content
    with pytest.raises(LLMUnavailableError):  # asked for by name, it is not replaced
        build_llm(settings.model_copy(update={"llm_runtime": "llama_server"}))
