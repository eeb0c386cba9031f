"""Build llama.cpp's own server for this CPU, once (`make llm-runtime`):

    .venv/bin/python -m rag.components.llama_server_build [--out .zhiku/bin/llama-server]

The prebuilt xllamacpp wheel runs llama.cpp's kernels for AVX2 only; built here with the CPU's
own vector extensions (AVX-512, VNNI, BF16 where it has them) the same server read a prompt
1.4-1.7x as fast on a 2-core VM, writing at about the same pace (evals/EXPERIMENTS.md, session 43;
`python -m evals.bench_llm`), and reading the prompt is most of an answer's wait. No wheel ships such a build, so the source comes
from the llama-cpp-python sdist on PyPI (it carries llama.cpp under vendor/llama.cpp); only the
`llama-server` target is compiled (~5 min on 2 cores). The flags are named one by one from
/proc/cpuinfo rather than `-march=native`, which also turns on AMX: VMs of this kind list AMX
but fault on its tile instructions (SIGILL, seen here).

The binary appears under its name only by a rename, after it answered `--version`; a `.build`
note beside it names the source and the switches, and a binary whose note differs from this
machine's (a new source pin, another CPU) is built again. When the build cannot run (no
compiler, no network), a `.failed` note is left with the reason, so `make` does not retry on
every run (`--force` does), and Zhiku runs the model with xllamacpp as before.

    --check   exit 0 when nothing is to be built (up to date, or failed before), 1 otherwise
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SOURCE = "llama-cpp-python==0.3.36"  # its llama.cpp: build 0c1e570
SOURCE_SHA256 = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
VENDORED = "vendor/llama.cpp"
# /proc/cpuinfo flag -> ggml's CMake switch for that extension (AMX deliberately absent)
X86_EXTENSIONS = {
    "avx": "GGML_AVX", "avx2": "GGML_AVX2", "fma": "GGML_FMA", "f16c": "GGML_F16C", "bmi2": "GGML_BMI2",
    "avx_vnni": "GGML_AVX_VNNI", "avx512f": "GGML_AVX512", "avx512vbmi": "GGML_AVX512_VBMI",
    "avx512_vnni": "GGML_AVX512_VNNI", "avx512_bf16": "GGML_AVX512_BF16",
}


def cpu_flags(cpuinfo: str) -> set[str]:
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def cmake_switches(flags: set[str]) -> list[str]:
    """Each x86 extension named ON or OFF; elsewhere (an ARM laptop) llama.cpp's own native detection."""
    if "avx2" not in flags:
        return ["-DGGML_NATIVE=ON"]
    return ["-DGGML_NATIVE=OFF"] + [f"-D{switch}={'ON' if flag in flags else 'OFF'}"
                                    for flag, switch in X86_EXTENSIONS.items()]


def this_machine() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return cmake_switches(cpu_flags(cpuinfo))


def build_note(switches: list[str]) -> str:
    return f"{SOURCE} {' '.join(switches)}\n"


def build(out: Path, switches: list[str], jobs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="zhiku-llama-") as tmp:
        work = Path(tmp)
        print(f"Downloading the llama.cpp source ({SOURCE} sdist) …", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", "llama-cpp-python",
                        "-d", str(work), SOURCE], check=True, timeout=1800)
        sdist = next(work.glob("*.tar.gz"))
        digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
        if digest != SOURCE_SHA256:
            raise ValueError(f"{sdist.name} has sha256 {digest}, expected {SOURCE_SHA256}")
        with tarfile.open(sdist) as tar:
            tar.extractall(work, filter="data")
        source = next(work.glob(f"*/{VENDORED}"))
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        print(f"Building llama-server ({' '.join(s for s in switches if s.endswith('ON'))}), ~5 min …", flush=True)
        subprocess.run(["cmake", "-S", str(source), "-B", str(work / "build"), *generator,
                        "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=OFF", "-DLLAMA_CURL=OFF",
                        "-DLLAMA_OPENSSL=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", *switches],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", str(work / "build"), "-j", str(jobs), "--target", "llama-server"],
                       check=True, stdout=subprocess.DEVNULL)
        built = work / "build" / "bin" / "llama-server"
        subprocess.run([str(built), "--version"], check=True, capture_output=True, timeout=60)
        out.parent.mkdir(parents=True, exist_ok=True)
        staged = out.with_name(out.name + ".part")
        shutil.copy2(built, staged)
        staged.replace(out)


def main(argv: list[str] | None = None) -> int:
    from rag.settings import ZhikuSettings

    parser = argparse.ArgumentParser(description="Build llama.cpp's server for this CPU (idempotent; ~5 min once).")
    parser.add_argument("--out", type=Path, default=None, help="where the binary goes (default: settings' llama_server_path)")
    parser.add_argument("--force", action="store_true", help="build again even if it exists or failed before")
    parser.add_argument("--check", action="store_true", help="only say whether a build is due (exit 1) or not (0)")
    args = parser.parse_args(argv)
    out = args.out or ZhikuSettings().llama_server_path
    failed, note = out.with_name(out.name + ".failed"), out.with_name(out.name + ".build")
    switches = this_machine()
    up_to_date = out.exists() and note.exists() and note.read_text() == build_note(switches)
    if not args.force and (up_to_date or failed.exists()):
        return 0
    if args.check:
        return 1
    try:
        build(out, switches, jobs=os.cpu_count() or 2)
        note.write_text(build_note(switches))
    except Exception as exc:  # noqa: BLE001 - any failure leaves the wheel in charge, never a broken install
        failed.parent.mkdir(parents=True, exist_ok=True)
        failed.write_text(f"{type(exc).__name__}: {exc}\n")
        if not up_to_date:  # a binary built for another CPU or source must not stay in charge
            out.unlink(missing_ok=True)
            note.unlink(missing_ok=True)
        print(f"llama-server 未能构建（{exc}）；Zhiku 将用 xllamacpp 运行模型。\n"
              f"Could not build llama-server ({exc}); Zhiku runs the model with xllamacpp. "
              f"Retry: python -m rag.components.llama_server_build --force", file=sys.stderr)
        return 0
    failed.unlink(missing_ok=True)
    print(f"Built {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
