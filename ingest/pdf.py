"""PDF -> text pages (form-feed separated) plus the metadata candidates the file carries.

Encrypted PDFs with an empty user password (common for CAICT reports, "copying forbidden") are
decrypted with pypdf + cryptography; the permission flags are not honoured because indexing for
citation is reading, not redistribution. Pages without a text layer go to OCR. Running headers
and footers (a line repeated at the top or bottom of many pages, page numbers aside) are dropped
here, where page boundaries are still known.
"""
from __future__ import annotations

import io
import logging
import re
from collections import Counter
from pathlib import Path

from ingest import ocr
from ingest.errors import UnreadableFile

log = logging.getLogger(__name__)
PAGE_BREAK = "\f"
MIN_PAGE_CHARS = 20  # fewer visible characters than this: an image page (cover, scan)


def read_pdf(path: Path, raw: bytes) -> tuple[str, dict[str, str]]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile("PDF needs a password; remove it and ingest again / PDF 需要密码，请去除密码后重新索引")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except UnreadableFile:
        raise
    except FileNotDecryptedError:
        raise UnreadableFile("PDF needs a password; remove it and ingest again / PDF 需要密码，请去除密码后重新索引") from None
    except DependencyError as exc:
        raise UnreadableFile(f"PDF encryption not supported here ({exc}) / 不支持此 PDF 加密方式") from None
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError) as exc:
        raise UnreadableFile(f"corrupt PDF ({type(exc).__name__}) / PDF 文件已损坏") from None
    meta = {k: str(info.get(f"/{k.title()}")) for k in ("title", "author") if info.get(f"/{k.title()}")}
    empty = [n for n, text in enumerate(pages) if len(re.sub(r"\s", "", text)) < MIN_PAGE_CHARS]
    if empty:
        pages = _ocr(path, pages, empty, meta)
    if not any(p.strip() for p in pages):
        raise UnreadableFile("PDF has no text layer and OCR found no text / PDF 没有文字层，OCR 也未识别出文字")
    return PAGE_BREAK.join(drop_running_lines(pages)), meta


def _ocr(path: Path, pages: list[str], empty: list[int], meta: dict[str, str]) -> list[str]:
    if len(empty) == len(pages) and not ocr.available():
        raise UnreadableFile(f"PDF has no text layer (scanned images); {ocr.OCR_HINT} / PDF 没有文字层（扫描图片）")
    if not ocr.available():
        log.warning("%s: %d image-only pages not read (%s)", path.name, len(empty), ocr.OCR_HINT)
        return pages
    try:
        texts = ocr.ocr_pdf_pages(path, empty)
    except Exception as exc:  # noqa: BLE001 - OCR failing on one page must not lose the text layer
        log.warning("%s: OCR failed (%s)", path.name, exc)
        if len(empty) == len(pages):
            raise UnreadableFile(f"OCR failed ({type(exc).__name__}) / OCR 失败") from None
        return pages
    meta["ocr_pages"] = str(len(empty))
    if 0 in empty:
        meta["ocr_cover"] = "yes"  # its first lines may be logos read as words (ingest.metadata)
    return [texts.get(n, text) if n in texts else text for n, text in enumerate(pages)]


def _shape(line: str) -> str:
    return re.sub(r"[\d\s]+", "", line)


def drop_running_lines(pages: list[str], edge: int = 2, share: float = 0.3) -> list[str]:
    """Remove lines that recur among the first or last `edge` lines of at least `share` of the
    pages (at least 3): running headers and footers, whatever their page number."""
    if len(pages) < 4:
        return pages
    counts: Counter[str] = Counter()
    split = [[line for line in page.split("\n")] for page in pages]
    for lines in split:
        filled = [line for line in lines if line.strip()]
        counts.update({_shape(line) for line in filled[:edge] + filled[-edge:] if len(_shape(line)) >= 4})
    running = {shape for shape, n in counts.items() if n >= max(3, share * len(pages))}
    if not running:
        return pages
    out = []
    for lines in split:
        filled = [i for i, line in enumerate(lines) if line.strip()]
        edges = set(filled[:edge] + filled[-edge:])
        out.append("\n".join(line for i, line in enumerate(lines) if not (i in edges and _shape(line) in running)))
    return out
