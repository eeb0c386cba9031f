"""Adjacent chunks that both rank high are read as one passage (rag/passages.py)."""
from rag.passages import join_adjacent, joined_section, joined_text
from rag.records import Chunk


def chunk(report: str, ordinal: int, start: int, end: int, text: str, section: str = "") -> Chunk:
    return Chunk(id=f"{report}{ordinal}", report_id=report, source=f"{report}.txt", ordinal=ordinal, text=text,
                 section=section, start=start, end=end)


def test_a_hit_takes_in_its_neighbours_that_rank_within_the_window_once_each():
    chunks = {c.id: c for c in [chunk("a", o, 0, 1, "x") for o in range(1, 6)] + [chunk("b", 1, 0, 1, "y")]}
    ranked = [("a2", 0.9), ("b1", 0.8), ("a3", 0.7), ("a1", 0.6), ("a5", 0.5), ("a4", 0.4)]
    assert join_adjacent(ranked, chunks, window=4, k=3) == [
        ("a2", 0.9, ["a1", "a2", "a3"]), ("b1", 0.8, ["b1"]), ("a5", 0.5, ["a5"])]
    # a neighbour below the window stays a passage of its own; the order does not depend on k
    assert join_adjacent(ranked, chunks, window=2, k=2) == [("a2", 0.9, ["a2"]), ("b1", 0.8, ["b1"])]
    assert join_adjacent(ranked, chunks, window=0, k=6) == [(cid, s, [cid]) for cid, s in ranked]
    assert join_adjacent(ranked, chunks, window=4, k=2) == join_adjacent(ranked, chunks, window=4, k=3)[:2]


def test_joined_text_cuts_the_overlap_by_offsets_and_keeps_a_gap_as_a_line():
    report = "第一句。第二句。第三句。第四句。"
    first, second = chunk("a", 1, 0, 8, report[0:8]), chunk("a", 2, 4, 16, report[4:16])
    assert joined_text([first, second]) == report
    apart = chunk("a", 3, 20, 24, "第五句。")
    assert joined_text([second, apart]) == report[4:16] + "\n第五句。"


def test_joined_section_names_what_the_members_share_once():
    a = chunk("a", 1, 0, 1, "x", "条例 > 第四章 > 第三十三条")
    b = chunk("a", 2, 0, 1, "x", "条例 > 第五章 > 第三十四条")
    assert joined_section([a, b]) == "条例 > 第四章 > 第三十三条 / 第五章 > 第三十四条"
    assert joined_section([a, a]) == "条例 > 第四章 > 第三十三条"
    assert joined_section([chunk("a", 1, 0, 1, "x", "一"), chunk("a", 2, 0, 1, "x", "二")]) == "一 / 二"
    assert joined_section([chunk("a", 1, 0, 1, "x"), chunk("a", 2, 0, 1, "x")]) == ""


def test_a_retrieved_passage_is_its_report_text_and_its_sentences_keep_their_stored_vectors(engine):
    """On the real index: the passage holding SC 42's count joins the chunk before it (which
    names JTC 1); its text is the stored chunks joined, and the sentence scorer finds stored
    vectors for every member's sentences, the later chunk's too."""
    from rag.components.sentence_vectors import chunk_sentences

    question = "How many AI standards had ISO/IEC JTC 1/SC 42 published?"
    sources = engine.retriever.retrieve(question, k=engine.settings.top_k)
    joined = [s for s in sources if len(s.chunk_ids) > 1]
    assert joined, [s.chunk_ids for s in sources]
    for source in joined:
        members = engine.store.chunks(source.chunk_ids)
        assert [c.id for c in members] == source.chunk_ids and source.chunk_id in source.chunk_ids
        assert len({c.report_id for c in members}) == 1
        assert [c.ordinal for c in members] == list(range(members[0].ordinal, members[0].ordinal + len(members)))
        assert source.text == joined_text(members) and (source.start, source.end) == (members[0].start, members[-1].end)
        later = chunk_sentences(members[-1].text)
        cosines = engine.stored_sentences.cosines(question, [source], [later])
        assert cosines is not None and all(c is not None for c in cosines[0]), later
    # each chunk is in one passage at most
    ids = [cid for s in sources for cid in (s.chunk_ids or [s.chunk_id])]
    assert len(ids) == len(set(ids))
