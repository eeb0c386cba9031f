"""A bare answer is given as the source sentence that states it (rag.stating)."""
from rag.stating import stating_sentence
from rag.support import Verdict

TEXT = "2037年的目标另有规划。SC 42目前已发布37项相关标准，形成了递进式标准化路径。另一机构发布了37项指南。"


def test_the_sentence_holding_the_figure_within_the_checked_stretch_is_chosen():
    start = TEXT.index("SC 42")
    span = stating_sentence(TEXT, Verdict(1.0, True, start, start + 30), "37 [1]")
    assert span is not None and TEXT[slice(*span)].startswith("SC 42目前已发布37项")


def test_a_figure_is_held_only_as_a_whole_number():
    # "37" is not held by "2037": with no stretch to go by, the first sentence holding 37 itself
    span = stating_sentence(TEXT, Verdict(1.0, True, 0, 0), "37")
    assert span is not None and "SC 42" in TEXT[slice(*span)]


def test_a_figure_the_stretch_does_not_hold_as_written_keeps_the_answer_bare():
    # the same figure in another sentence outside the stretch speaks of something else
    last = TEXT.index("另一机构")
    assert stating_sentence(TEXT, Verdict(1.0, True, 0, TEXT.index("SC 42")), "37") is None
    assert stating_sentence(TEXT, Verdict(1.0, True, last, len(TEXT)), "36") is None
    span = stating_sentence(TEXT, Verdict(1.0, True, last, len(TEXT)), "37")
    assert span is not None and TEXT[slice(*span)].startswith("另一机构")
