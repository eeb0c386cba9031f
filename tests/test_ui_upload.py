"""Uploads: names that cannot escape the uploads folder, type and size limits."""
from __future__ import annotations

import pytest

from rag.errors import InputError
from ui.upload import safe_upload_name, store_upload, uploads_dir


@pytest.mark.parametrize("original, expected", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\system32\\evil.txt", "evil.txt"),
    ("/abs/path/report.PDF", "report.pdf"),
    (".hidden.md", "hidden.md"),
    ("报告 2025 (final).docx", "报告_2025_final.docx"),
    ("a<script>.html", "a_script.html"),
    ("..", "upload"),
    ("ｆｕｌｌｗｉｄｔｈ.txt", "fullwidth.txt"),
])
def test_safe_upload_name(original, expected):
    assert safe_upload_name(original) == expected


def test_long_names_are_cut():
    assert len(safe_upload_name("x" * 500 + ".txt")) <= 84


def test_store_upload_stays_inside_uploads(fresh_settings, tmp_path):
    temp = tmp_path / "incoming.txt"
    temp.write_text("人工智能治理报告。", encoding="utf-8")
    stored = store_upload("../../../outside.txt", temp, fresh_settings)
    assert stored.parent == uploads_dir(fresh_settings).resolve()
    assert stored.name == "outside.txt"
    assert not (fresh_settings.data_dir.parent / "outside.txt").exists()


def test_same_name_different_content_does_not_overwrite(fresh_settings, tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("第一份", encoding="utf-8")
    second.write_text("第二份", encoding="utf-8")
    one = store_upload("report.txt", first, fresh_settings)
    two = store_upload("report.txt", second, fresh_settings)
    assert one != two
    assert one.read_text(encoding="utf-8") == "第一份" and two.read_text(encoding="utf-8") == "第二份"


def test_rejects_wrong_type_empty_and_oversized(fresh_settings, tmp_path):
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    with pytest.raises(InputError, match="not accepted"):
        store_upload("tool.exe", exe, fresh_settings)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        store_upload("empty.txt", empty, fresh_settings)
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 2_000_000)
    small_limit = fresh_settings.model_copy(update={"max_file_mb": 1.0})
    with pytest.raises(InputError, match="limit"):
        store_upload("big.txt", big, small_limit)
    folder = uploads_dir(fresh_settings)
    assert not folder.exists() or not any(folder.iterdir())
