"""The question's language picks the prompt and the refusal; the answer's is checked against it."""
from __future__ import annotations

import pytest

from evals.questions import load_questions
from rag.language import detect_language
from rag.settings import PROJECT_ROOT


def test_every_dev_question_is_detected_in_its_labelled_language():
    questions = load_questions(PROJECT_ROOT / "evals" / "datasets" / "dev.jsonl")
    wrong = [q.id for q in questions if detect_language(q.question) != q.lang]
    assert not wrong


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ISO/IEC 42001 和 SC 42 是什么？", "zh"),
        ("欧盟的AI Act和美国的Executive Order有何不同？", "zh"),
        ("那美国呢？", "zh"),
        ("what about its penalties?", "en"),
        ("What is 新质生产力?", "en"),
        ("The EU AI Act defines four risk tiers: 不可接受风险, 高风险, 有限风险, 最小风险. [4]", "en"),
    ],
)
def test_mixed_script_text(text, language):
    assert detect_language(text) == language


def test_a_quote_half_rendered_is_no_quotation():
    """An English answer may quote a report's Chinese title as it stands, but a quote mixing Chinese
    and English words is a rendering left half done: its Chinese counts as untranslated."""
    from rag.script import replace_outside_quotes, untranslated, untranslated_runs

    assert not untranslated('It was set up under the "新一代人工智能发展规划". [1]')
    assert not untranslated("The CAICT's 《ISO/IEC 42001 人工智能管理体系》 guide. [1]")
    half = 'The main body is the "新一代 artificial intelligence governance 专业委员会". [1]'
    assert untranslated(half) and untranslated_runs(half) == ["新一代", "专业委员会"]
    mended = replace_outside_quotes(replace_outside_quotes(half, "新一代", "New Generation"), "专业委员会", "Committee")
    assert mended == 'The main body is the "New Generation artificial intelligence governance Committee". [1]', mended
    # a bracketed gloss stays exempt; each run is put into English, spaced from a letter beside it
    assert not untranslated("The law applies here (see 《数据安全法》). [1]")
    assert replace_outside_quotes("数据x数据 and 数据数据 end", "数据", "data") == "data x data and data data end"
