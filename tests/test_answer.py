"""Grounded answers on the real index: compression, citation checking, extractive mode,
refusals, streaming order and follow-ups. Few LLM calls (the bundled model is slow)."""
from __future__ import annotations

import pytest

from evals.questions import DEV_PATH, load_questions, normalise_for_match
from rag.answer import Answerer, focused_excerpts, may_become_not_found, says_not_found
from rag.chat import condense_question
from rag.citations import CITATION_MARK, check_answer
from rag.compression import Compressor, estimate_tokens
from rag.language import detect_language

FINE_QUESTION = "对于不遵守人工智能系统相关禁令的公司，《人工智能法案》规定的最高罚款是多少？"


@pytest.fixture(scope="module")
def fine_sources(engine):
    sources = engine.retriever.retrieve(FINE_QUESTION, k=engine.settings.top_k)
    holding = [i for i, s in enumerate(sources, 1) if "3500" in s.text and "禁令" in s.text]
    assert holding, [s.text[:80] for s in sources]
    return sources, holding[0]


def extractive(engine) -> Answerer:
    answerer = Answerer(engine)
    answerer.settings = engine.settings.model_copy(update={"answer_mode": "extractive"})
    return answerer


def test_compression_keeps_the_answer_sentence_within_budget(engine, fine_sources):
    sources, right = fine_sources
    excerpts = engine.answerer.compressor.compress(FINE_QUESTION, sources, 250)
    assert sum(estimate_tokens(e.text) for e in excerpts) <= 250 + 80  # one over-long hit sentence may pass
    assert any("3500" in "".join(e.text.split()) for e in excerpts)
    assert sum(len(e.text) for e in excerpts) < sum(len(s.text) for s in sources) / 2


def test_checker_reattaches_drops_and_flags(engine, fine_sources):
    sources, right = fine_sources
    wrong = next(n for n in range(1, len(sources) + 1) if n != right and "3500" not in sources[n - 1].text)
    answer = f"违反禁令的公司最高被罚3500万欧元或上一财年全球总营收额7%。[{wrong}][9] 美国对此罚款50亿美元。[{right}]"
    cleaned, citations, checks = check_answer(answer, sources, engine.answerer.judge)
    assert checks[0].supported and checks[0].citations == [right]
    assert not checks[1].supported and checks[1].citations == [] and checks[1].reasons
    assert "[9]" not in cleaned and f"[{wrong}]" not in cleaned
    assert [c.n for c in citations] == [right]
    c = citations[0]
    assert c.text[c.quote_start:c.quote_end] == c.quote and "3500" in c.quote and len(c.quote) < len(c.text)


def test_english_sentence_with_a_garbled_unit_is_flagged(engine, fine_sources):
    sources, right = fine_sources
    _, _, checks = check_answer(f"Violators face fines of up to 3500 million euros. [{right}]", sources,
                                engine.answerer.judge)
    assert not checks[0].supported and any("figure" in r for r in checks[0].reasons)


def test_extractive_answer_quotes_sources_without_the_llm(engine):
    events = list(extractive(engine).stream(FINE_QUESTION))
    assert [e.kind for e in events] == ["sources", "answer"]
    answer = events[-1].answer
    assert answer.mode == "extractive" and not answer.refused and "first_token" not in answer.timings_ms
    assert "3500万欧元" in answer.answer.replace(" ", "")
    for c in answer.citations:
        assert c.text[c.quote_start:c.quote_end] == c.quote
        # the answer drops the report's own footnote marks ("[1]"); the quote keeps its offsets
        assert CITATION_MARK.sub("", "".join(c.quote.split())) in answer.answer
    assert all(s.supported and s.citations for s in answer.sentences)


def test_off_topic_question_is_refused_in_its_language(engine):
    answer = extractive(engine).ask("红烧肉怎么做才好吃？需要放多少冰糖？")
    assert answer.refused and answer.answer == "资料中没有相关信息。"
    assert answer.related and not answer.citations


def test_generative_answers_stream_sources_first_and_are_checked(engine):
    kinds, answer = [], None
    for event in engine.answerer.stream(FINE_QUESTION):
        kinds.append(event.kind)
        answer = event.answer or answer
    assert kinds[0] == "sources" and kinds[-1] == "answer" and "token" in kinds
    assert not answer.refused, answer.answer
    assert "3500万欧元" in answer.answer.replace(" ", "") and detect_language(answer.answer) == "zh"
    assert any(s.supported for s in answer.sentences)
    for s in answer.sentences:
        assert s.supported == bool(s.citations)
    for c in answer.citations:
        assert c.text[c.quote_start:c.quote_end] == c.quote
    assert "first_token" in answer.timings_ms


def test_english_question_gets_an_english_checked_answer_or_refusal(engine):
    answer = engine.answerer.ask("What is the maximum fine in the EU AI Act for violating its prohibitions?")
    assert detect_language(answer.answer) == "en"
    if answer.refused:
        assert answer.answer == "The reports do not contain this." and answer.related and not answer.citations
    else:
        assert all(s.supported == bool(s.citations) for s in answer.sentences)


def test_follow_up_is_condensed_into_a_standalone_question(engine):
    history = [("欧盟《人工智能法案》对违反禁令的公司最高罚款多少？", "最高3500万欧元或全球总营收额7%的罚款。[1]")]
    standalone = condense_question(engine, "那美国呢？", history)
    assert "美国" in standalone and standalone != "那美国呢？"
    assert detect_language(standalone) == "zh"


def test_a_bare_figure_is_judged_as_the_answer_to_its_question(engine):
    question = "With how many Belt and Road countries had China signed intergovernmental science and technology cooperation agreements?"
    sources = engine.retriever.retrieve(question, k=engine.settings.top_k)
    holding = [n for n, s in enumerate(sources, 1) if "政府间科技合作协定" in "".join(s.text.split())]
    assert holding, [s.text[:60] for s in sources]
    _, _, checks = check_answer(f"80 [{holding[0]}]", sources, engine.answerer.judge, question)
    assert checks[0].supported, checks[0]
    _, _, checks = check_answer(f"95 [{holding[0]}]", sources, engine.answerer.judge, question)
    assert not checks[0].supported
    _, _, checks = check_answer(f"80 [{holding[0]}]", sources, engine.answerer.judge)  # no question: states nothing
    assert not checks[0].supported


def test_not_found_is_never_streamed_and_english_is_asked_again_in_chinese(engine):
    assert may_become_not_found("The reports do") and may_become_not_found("资料中没有")
    assert not may_become_not_found("The reports describe") and not may_become_not_found("欧盟")
    # past the confidence gate, so that the model itself must say "not found" (in English, then in Chinese)
    answerer = Answerer(engine)
    answerer.settings = engine.settings.model_copy(update={"min_confidence": 0.0})
    events = list(answerer.stream("How long should pork belly be braised, and how much rock sugar goes in?"))
    answer = events[-1].answer
    assert answer.refused and answer.answer == "The reports do not contain this.", answer.answer
    assert answer.timings_ms.get("readings", 1) >= 2, answer.timings_ms
    # each later reading tells the user, in English, why nothing is written yet
    assert [e.notice for e in events if e.kind == "reset"][0].startswith("No answer checked")
    assert not [e for e in events if e.kind == "token"]  # the refusal was held back, not streamed


def test_an_english_question_is_answered_in_chinese_and_the_checked_part_translated(engine):
    # dev set en-009: the model answered it "not found" in English, and right in Chinese
    question = "Which companies shared the Pentagon's 2022 JWCC cloud contract and what was it worth?"
    answerer = engine.answerer
    sources = engine.retriever.retrieve(question, k=engine.settings.top_k)
    excerpts = answerer.compressor.compress(question, sources, engine.settings.context_budget_tokens,
                                            answerer._glossary_terms(question))
    streamed, timings = [], {}
    translation = answerer._answer_in_chinese(question, focused_excerpts(excerpts, sources), sources, "en", timings,
                                              lambda: 0.0)
    try:
        while True:
            streamed.append(next(translation).delta)
    except StopIteration as done:
        text = done.value
    assert "".join(streamed) == text and "translate" in timings
    assert detect_language(text) == "en" and "Google" in text, text
    # 90亿美元 reached the translation as "9 billion US dollars", not for the model to multiply
    assert "9 billion" in text and "90 billion" not in text, text
    _, _, checks = check_answer(text, sources, answerer.judge, question)
    assert all(c.supported for c in checks), checks


def test_a_sentence_that_only_names_a_report_is_no_answer(engine):
    question = "欧盟为何寻求规则型领导地位？"
    sources = engine.retriever.retrieve(question, k=engine.settings.top_k)
    assert sources[0].title == "欧盟寻求人工智能监管规则型领导地位：认知与路径"
    # the bundled model's answer at 809ff67, words of the title left out
    _, _, checks = check_answer("欧盟寻求规则型领导地位：认知与路径[1]", sources, engine.answerer.judge, question)
    assert not checks[0].supported and "only names a report" in checks[0].reasons
    _, _, checks = check_answer("欧盟寻求规则型领导地位是为了维护数字主权。[1]", sources, engine.answerer.judge, question)
    assert "only names a report" not in checks[0].reasons


def test_a_paraphrased_not_found_counts_as_one():
    assert says_not_found("The annual budget of the UK AI Safety Institute is not provided in the given text. [2]")
    assert not says_not_found("ISO and IEC develop AI standards through JTC 1/SC 42. [3]")


def test_english_questions_excerpts_are_chosen_with_the_cross_lingual_embedder(engine):
    # en-020: e5 alone left the WIC report's explanation out of what the model reads
    question = next(q for q in load_questions(DEV_PATH) if q.id == "en-020")
    sources = engine.retriever.retrieve(question.question, k=engine.settings.top_k)
    terms = engine.answerer._glossary_terms(question.question)

    def evidence_read(compressor) -> bool:
        excerpts = compressor.compress(question.question, sources, engine.settings.context_budget_tokens, terms)
        read = [e.text for _, e in focused_excerpts(excerpts, sources)]
        return all(any(normalise_for_match(v) in normalise_for_match(t) for t in read) for v in question.evidence)

    assert evidence_read(engine.answerer.compressor)
    assert not evidence_read(Compressor(engine.answerer.judge))


def test_an_english_questions_readings_include_excerpts_chosen_for_the_question_in_chinese(engine):
    # en-021: the English question's excerpts left out both weaknesses Xing and Li list; the
    # question's Chinese words ("风险分级", "易僵化" are near its "风险分类", "弱点") find them
    question = next(q for q in load_questions(DEV_PATH) if q.id == "en-021")
    answerer = engine.answerer
    sources = engine.retriever.retrieve(question.question, k=engine.settings.top_k)
    excerpts = answerer.compressor.compress(question.question, sources, engine.settings.context_budget_tokens,
                                            answerer._glossary_terms(question.question))
    first = focused_excerpts(excerpts, sources)

    def evidence_read(reading) -> int:
        read = "".join(normalise_for_match(e.text) for _, e in reading)
        return sum(normalise_for_match(v) in read for v in question.evidence)

    (kind, again), (next_kind, in_chinese), *_ = answerer._second_readings(
        question.question, "en", first, excerpts, sources)
    assert (kind, next_kind) == ("again", "translation")
    assert again == first and evidence_read(first) == 0
    assert evidence_read(in_chinese) == len(question.evidence)


def test_a_sentence_of_two_overlapping_chunks_is_read_once(engine):
    # en-031: Tian's short article comes back as overlapping chunks, and its sentence on the EU
    # being stricter than the US then took the model's attention (and the budget) twice
    sources = engine.retriever.retrieve(next(q for q in load_questions(DEV_PATH) if q.id == "en-031").question,
                                        k=engine.settings.top_k)
    # the bundled model's translation of the question, "Tian" and all
    question = "为什么张认为一个美国-欧盟的AI监管“小圈子”有害？"
    excerpts = engine.answerer.compressor.compress(question, sources, engine.settings.context_budget_tokens)
    read = [normalise_for_match(s) for e in excerpts for s in e.text.split("……")]
    sentences = [s for piece in read for s in piece.split("。") if s]
    assert len(sentences) == len(set(sentences)), sentences
