"""Feedback on answers: stored in SQLite under the data dir, exported as JSONL by the CLI."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from rag.cli import app
from rag.feedback import FeedbackStore
from rag.records import Answer, Citation


def make_answer(question: str = "欧盟的风险等级？") -> Answer:
    return Answer(question=question, language="zh", answer="四个等级[1]。", mode="extractive", citations=[
        Citation(n=1, report_id="xing", title="欧盟规则", source="001.txt", text="全文", quote="四个等级")])


def test_rating_then_comment_update_one_record(fresh_settings):
    store = FeedbackStore(fresh_settings)
    settings = {"mode": "extractive", "report_ids": ["xing"]}
    store.save("k1", make_answer(), settings, rating="down")
    store.save("k1", make_answer(), settings, comment="少了一个等级")
    store.save("k2", make_answer("另一个问题"), settings, rating="up")
    records = list(store.records())
    assert [r["key"] for r in records] == ["k1", "k2"]
    first = records[0]
    assert first["rating"] == "down" and first["comment"] == "少了一个等级"
    assert first["citations"][0]["quote"] == "四个等级"
    assert first["settings"]["report_ids"] == ["xing"]
    assert (fresh_settings.data_dir / "feedback.sqlite").exists()


def test_rating_change_keeps_comment(fresh_settings):
    store = FeedbackStore(fresh_settings)
    store.save("k", make_answer(), {}, comment="好")
    # rated once its rendering had come: the record holds the answer as then shown
    rendered = make_answer().model_copy(update={"answer": "四个等级[1]。\n（机器翻译）four tiers"})
    store.save("k", rendered, {}, rating="up")
    (record,) = store.records()
    assert record["rating"] == "up" and record["comment"] == "好" and record["answer"] == rendered.answer


def test_cli_exports_jsonl(fresh_settings, tmp_path):
    FeedbackStore(fresh_settings).save("k", make_answer(), {"mode": "extractive"}, rating="up", comment="清楚")
    out = tmp_path / "feedback.jsonl"
    result = CliRunner().invoke(app, ["--data-dir", str(fresh_settings.data_dir), "feedback", "export", "--out",
                                      str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["question"] == "欧盟的风险等级？" and record["rating"] == "up" and record["comment"] == "清楚"
    assert record["language"] == "zh" and record["answer"] == "四个等级[1]。"
