"""A bare answer is given as the source sentence that states it (rag.stating)."""
from rag.stating import stating_sentence
from rag.support import Verdict

TEXT = ("预计市场增长37.5%。2037年的目标另有规划。SC 42目前已发布37项相关标准[3]，形成了递进式标准化路径。"
        "另有58%为国际标准。其他机构的情况不同。另一机构发布了37项指南。")


def _stretch(start_text: str, end_text: str | None = None) -> Verdict:
    start = TEXT.index(start_text)
    end = TEXT.index(end_text) if end_text else start + len(start_text)
    return Verdict(1.0, True, start, end)


def _stated(verdict: Verdict, claim: str) -> str | None:
    span = stating_sentence(TEXT, verdict, claim)
    return TEXT[slice(*span)] if span else None


def test_the_sentence_stating_the_figure_is_chosen_as_the_checker_reads_figures():
    # 37 is neither 37.5% nor the year 2037; the stretch is the two sentences before the answer's
    assert _stated(_stretch("预计", "SC 42"), "37 [1]").startswith("SC 42目前已发布37项")
    assert _stated(_stretch("SC 42", "另有"), "37").startswith("SC 42")


def test_a_footnote_mark_is_no_figure():
    # the report's own "[3]" after 标准 states no 3
    assert _stated(_stretch("SC 42", "另有"), "3") is None


def test_every_figure_of_the_claim_must_be_stated_by_one_sentence():
    assert _stated(_stretch("SC 42", "其他"), "37、58%") is None
    assert _stated(_stretch("SC 42", "其他"), "58%").startswith("另有58%")


def test_only_the_checked_stretch_and_a_sentence_either_side_are_read():
    # the same figure further on speaks of something else
    assert _stated(_stretch("其他机构"), "37").startswith("另一机构")
    assert _stated(_stretch("预计"), "37") is None
    assert _stated(_stretch("SC 42", "另有"), "36") is None


def test_a_name_is_stated_as_written():
    assert _stated(_stretch("SC 42", "另有"), "SC 42").startswith("SC 42目前")
    assert _stated(_stretch("SC 42", "另有"), "TC 260") is None


def test_a_list_items_number_is_no_claim_to_state():
    # "2." and "4）" head list items the model left empty: a sentence counting 2 of something does not state them
    text = "其中设有2个工作组。"
    assert stating_sentence(text, Verdict(1.0, True, 0, len(text)), "2 [1]") == (0, len(text))
    assert stating_sentence(text, Verdict(1.0, True, 0, len(text)), "2. [1]") is None
    assert stating_sentence(text, Verdict(1.0, True, 0, len(text)), "2）") is None
