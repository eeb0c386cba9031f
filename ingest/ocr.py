"""OCR for pages without a text layer (scanned reports, image-only covers), by Debian's tesseract.

Chosen over rapidocr-onnxruntime after measuring both on a real scanned English report page
(evals/bench_ocr.py): tesseract kept the spaces between English words that rapidocr lost
("Thebridgetopossible"), at 2.9 s a page (eng) to 5.8 s (chi_sim+eng) on 2 cores. Pages are
rendered by poppler's pdftoppm, so vector-drawn pages work as well as embedded images.
"""
from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)
# tesseract puts a space between every two Chinese characters
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]) +(?=[\u3400-\u9fff\u3000-\u303f\uff00-\uffef])")

DPI = 200
OCR_HINT = "install OCR: apt-get install tesseract-ocr tesseract-ocr-chi-sim poppler-utils (make install does) / 请安装 OCR"


class OcrUnavailable(Exception):
    """tesseract or pdftoppm is not installed."""


def available() -> bool:
    return bool(shutil.which("tesseract") and shutil.which("pdftoppm"))


def _languages() -> set[str]:
    out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    return {line.strip() for line in out.splitlines()[1:] if line.strip()}


def _han_share(text: str) -> float:
    visible = [c for c in text if not c.isspace()]
    return sum("\u3400" <= c <= "\u9fff" for c in visible) / max(len(visible), 1)


def ocr_pdf_pages(pdf: Path, pages: list[int], timeout_s: float = 120.0) -> dict[int, str]:
    """Text of the given 0-based pages, read with Chinese and English until a page with real text
    shows the script; when it holds almost no Han characters the rest are read as English only
    (twice as fast, and cleaner)."""
    if not available():
        raise OcrUnavailable(OCR_HINT)
    installed = _languages()
    both = "+".join(lang for lang in ("chi_sim", "eng") if lang in installed) or "eng"
    langs = both
    decided = False
    texts: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="zhiku-ocr-") as tmp:
        for n, page in enumerate(pages):
            image = Path(tmp) / f"p{page}"
            subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", "-singlefile",
                            "-f", str(page + 1), "-l", str(page + 1), str(pdf), str(image)],
                           check=True, capture_output=True, timeout=timeout_s)
            result = subprocess.run(["tesseract", f"{image}.png", "stdout", "-l", langs, "--psm", "3"],
                                    capture_output=True, text=True, timeout=timeout_s)
            text = _CJK_GAP.sub("", result.stdout)
            texts[page] = text
            if langs == both and not decided and len(text.strip()) > 200:
                decided = True  # the first page with real text tells the script
                if "eng" in installed and _han_share(text) < 0.02:
                    langs = "eng"
            log.info("OCR page %d of %s: %d characters (%s)", page + 1, pdf.name, len(text), langs)
    return texts
