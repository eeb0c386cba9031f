"""Adjacent chunks that both rank high are read as one passage (rag/passages.py)."""
from rag.passages import join_adjacent, joined_section, joined_text
from rag.records import Chunk, Source


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
    assert joined_section([chunk("a", 1, 0, 1, "x", "条例 > 第四章"), a]) == "条例 > 第四章 > 第三十三条"


def test_a_retrieved_passage_is_its_report_text_and_its_sentences_keep_their_stored_vectors(engine):
    """On the real index: the passage holding SC 42's count joins the chunk before it (which
    names JTC 1); its text is the stored chunks joined, and the sentence scorer finds stored
    vectors for every member's sentences, the later chunk's too."""
    from rag.compression import usable_sentences

    question = "How many AI standards had ISO/IEC JTC 1/SC 42 published?"
    sources = engine.retriever.retrieve(question, k=engine.settings.top_k)
    joined = [s for s in sources if len(s.chunk_ids) > 1]
    assert joined, [s.chunk_ids for s in sources]
    for source in joined:
        members = engine.store.chunks(source.chunk_ids)
        assert len(members) == len(source.chunk_ids) and source.chunk_id in source.chunk_ids
        assert len({c.report_id for c in members}) == 1
        assert [c.ordinal for c in members] == list(range(members[0].ordinal, members[0].ordinal + len(members)))
        # every member whole, in order, and no overlap repeated: the text is its report's span
        assert all(c.text in source.text for c in members)
        assert [source.text.index(c.text) for c in members] == sorted(source.text.index(c.text) for c in members)
        if all(b.start < a.end for a, b in zip(members, members[1:])):
            assert len(source.text) == source.end - source.start
        # the scorer's sentences of the passage, as the answer step cuts them, all find a vector
        wanted = [source.text[a:b] for a, b in usable_sentences(source.text)]
        cosines = engine.stored_sentences.cosines(question, [source], [wanted])
        assert cosines is not None and all(c is not None for c in cosines[0]), [
            w for w, c in zip(wanted, cosines[0]) if c is None]
    # each chunk is in one passage at most
    ids = [cid for s in sources for cid in (s.chunk_ids or [s.chunk_id])]
    assert len(ids) == len(set(ids))


def test_a_sentence_cut_between_two_chunks_scores_as_its_best_piece():
    """The chunker may cut a long sentence at a chunk's end; each chunk stored its piece. Read as
    one passage, the whole sentence has no stored vector of its own and scores as its best piece."""
    import numpy as np

    from rag.components.sentence_vectors import StoredSentenceVectors, chunk_sentences
    from rag.records import Source

    first = "第一条 数据处理者应当履行下列义务：（一）建立健全数据安全管理制度；"
    second = "（二）组织开展数据安全教育培训。"
    chunks = {"a1": chunk("a", 1, 0, len(first), first), "a2": chunk("a", 2, len(first), len(first) + len(second), second)}
    vectors = {f"{cid}#{n}": [1.0, 0.0] if cid == "a1" else [0.6, 0.8]
               for cid, c in chunks.items() for n, _ in enumerate(chunk_sentences(c.text))}

    class Store:
        def chunks(self, ids):
            return [chunks[i] for i in ids if i in chunks]

        def chunk_vectors(self, ids, arm):
            return {i: vectors[i] for i in ids if i in vectors}

    class Embedder:
        def get_query_embedding(self, question):
            return [1.0, 0.0]

    stored = StoredSentenceVectors(Store(), Embedder(), "arm")
    passage = Source(rank=1, score=0.5, report_id="a", title="t", source="a.txt", text=first + second,
                     chunk_id="a1", chunk_ids=["a1", "a2"])
    cosines = stored.cosines("q", [passage], [[first + second, second, "不在其中的句子。"]])
    assert np.allclose(cosines[0][:2], [1.0, 0.6]) and cosines[0][2] is None
    # one chunk alone reads its own sentences only, as before
    alone = passage.model_copy(update={"text": first, "chunk_ids": ["a1"]})
    assert stored.cosines("q", [alone], [[first + second]])[0] == [None]


def test_evidence_across_a_passage_and_the_chunk_after_its_last_is_found():
    """The metric joins neighbours by ordinals: a passage of chunks 4–6 and chunk 7 are neighbours
    (6 and 7), though the passage's hit was chunk 5."""
    from evals.retrieval_metrics import RankedChunk, evidence_found, ranked_sources

    class Store:
        def chunks(self, ids):
            return [chunk("r", int(i[1:]), 0, 1, "x") for i in ids]

    sources = [Source(rank=1, score=0.5, report_id="r", title="t", source="r.txt", text="……第六块的结尾是罚款",
                      chunk_id="r5", chunk_ids=["r4", "r5", "r6"]),
               Source(rank=2, score=0.4, report_id="r", title="t", source="r.txt", text="五十万元以下。第七块", chunk_id="r7")]
    ranked = ranked_sources(Store(), sources)
    assert ranked == [RankedChunk(sources[0].text, "r", 4, 6), RankedChunk(sources[1].text, "r", 7)]
    assert evidence_found("结尾是罚款五十万元以下", ranked)
    assert not evidence_found("结尾是罚款五十万元以下", [ranked[0], RankedChunk(sources[1].text, "r", 8)])
