"""Accept a file a user uploads: check its type and size, give it a safe name under data_dir/uploads."""
from __future__ import annotations

import hashlib
import re
import shutil
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

from rag.errors import InputError
from rag.settings import ZhikuSettings

UPLOAD_SUFFIXES = (".pdf", ".docx", ".txt", ".md", ".html", ".htm")
_UNSAFE = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff._-]+")
_MAX_STEM_CHARS = 80


def uploads_dir(settings: ZhikuSettings) -> Path:
    return settings.data_dir / "uploads"


def safe_upload_name(original: str) -> str:
    """A file name that cannot leave the uploads folder: no folders, no leading dots, no odd characters."""
    # Browsers send a bare name, but a crafted request may carry either kind of path separator.
    name = PureWindowsPath(PurePosixPath(original).name).name
    name = unicodedata.normalize("NFKC", name)
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = _UNSAFE.sub("_", stem).strip("._-")[:_MAX_STEM_CHARS] or "upload"
    suffix = _UNSAFE.sub("", suffix).lower()
    return f"{stem}.{suffix}" if suffix else stem


def check_upload(original_name: str, path: Path, settings: ZhikuSettings) -> str:
    """The safe name for an acceptable upload; InputError with a bilingual reason otherwise."""
    name = safe_upload_name(original_name)
    suffix = Path(name).suffix
    if suffix not in UPLOAD_SUFFIXES:
        raise InputError(
            f"{suffix or 'no extension'} files are not accepted; use {', '.join(UPLOAD_SUFFIXES)}.",
            f"不支持 {suffix or '无扩展名'} 文件；请上传 {'、'.join(UPLOAD_SUFFIXES)}。",
        )
    size_mb = path.stat().st_size / 1e6
    if size_mb > settings.max_file_mb:
        raise InputError(
            f"The file is {size_mb:.1f} MB; the limit is {settings.max_file_mb:.0f} MB.",
            f"文件大小 {size_mb:.1f} MB，超过 {settings.max_file_mb:.0f} MB 的上限。",
        )
    if path.stat().st_size == 0:
        raise InputError("The file is empty.", "文件为空。")
    return name


def store_upload(original_name: str, temp_path: Path, settings: ZhikuSettings) -> Path:
    """Copy an accepted upload into data_dir/uploads; a different file of the same name gets a hash suffix."""
    name = check_upload(original_name, temp_path, settings)
    folder = uploads_dir(settings).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = (folder / name).resolve()
    if target.exists() and target.read_bytes() != temp_path.read_bytes():
        digest = hashlib.sha256(temp_path.read_bytes()).hexdigest()[:8]
        target = folder / f"{target.stem}-{digest}{target.suffix}"
    if target.parent != folder:  # safe_upload_name makes this impossible; refuse rather than trust it
        raise InputError("Unsafe file name.", "文件名不安全。")
    shutil.copyfile(temp_path, target)
    return target
