"""The figure normaliser on figures as the bundled reports print them (PDF spacing included)."""
from __future__ import annotations

import pytest

from rag.figures import english_amounts, extract_figures, missing_figures, with_source_figures
from rag.settings import PROJECT_ROOT

CORPUS = {p.name[:3]: p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "data" / "corpus").glob("*.txt")}
FINE = "对于不遵守人工智能系统相关禁令的公司，将被处以最高 3500 万欧元或者该公司上一财年全球总营收额7%的罚款。"
AI_ACT_DATES = "8月1日，欧盟《人工智能法案》正式生效。而大部分规则将于2026年8月2日开始生效。"


def values(text: str) -> list[tuple[str, object]]:
    return [(f.kind, f.value) for f in extract_figures(text)]


def test_the_quoted_figures_are_in_the_corpus():
    # the fixtures below are real: fail loudly if the bundled corpus stops carrying them
    assert "最高 3500 万欧元" in CORPUS["001"]
    assert "1.13亿欧元" in CORPUS["003"]
    assert "8月1日，欧盟《人工智能法案》正式生效" in CORPUS["004"]
    assert "2026年8月2日" in CORPUS["004"]
    assert "中国申请数量高达 27000 条，占比 61.5%" in CORPUS["001"].replace("\n", "") or "61.5%" in CORPUS["001"]


def test_wan_and_yi_scale_chinese_amounts():
    assert ("number", 35_000_000.0) in values(FINE)
    assert ("percent", 7.0) in values(FINE)
    assert values("从2.3亿欧元增至 1.13亿欧元")[-1][1] == pytest.approx(113_000_000)
    assert values("全球人工智能市场规模突破6382亿美元") == [("number", pytest.approx(638_200_000_000))]


@pytest.mark.parametrize("english, chinese", [
    ("up to 35 million euros", "3500万欧元"),
    ("113 million euros", "1.13亿欧元"),
    ("638.2 billion US dollars", "6382亿美元"),
    ("27,000 patents, 61.5%", "27000 条，占比 61.5%"),
])
def test_english_conversions_match_the_chinese_source(english, chinese):
    assert missing_figures(english, chinese) == []


@pytest.mark.parametrize("garbled", ["3500 million euros", "35 billion euros", "350万欧元"])
def test_a_changed_magnitude_does_not_match(garbled):
    assert [f.raw.strip() for f in missing_figures(garbled, FINE)]


def test_a_different_percentage_or_currency_does_not_match():
    assert missing_figures("3500万欧元或全球总营收额10%的罚款", FINE)[0].kind == "percent"
    assert missing_figures("5000亿欧元", "预计投入 5000 亿美元建设数据中心")  # euros are not dollars


def test_dates_match_across_languages_and_partial_dates():
    assert values("2026年8月2日") == [("date", (2026, 8, 2))]
    assert missing_figures("Most rules apply from 2 August 2026.", AI_ACT_DATES) == []
    assert missing_figures("The Act entered into force on 1 August.", AI_ACT_DATES) == []
    assert missing_figures("大部分规则于2026年生效", AI_ACT_DATES) == []
    assert missing_figures("Most rules apply from 2 August 2025.", AI_ACT_DATES)
    assert missing_figures("2024年8月1日生效", AI_ACT_DATES)  # a year the source does not state is not held
    assert missing_figures("in September 2021", "习近平总书记于 2023年 9月在黑龙江考察期间")


def test_counts_in_words_and_chinese_numerals():
    assert values("技术标准化过程涉及四种不同但相互交织的风险") == [("number", 4.0)]
    assert missing_figures("Seaman names four intertwined risks.", "涉及四种不同但相互交织的风险：1）全球供应链韧性风险") == []
    # "1）" is list numbering, not a figure the claim could be matched against
    assert missing_figures("Seaman names one... three risks.", "涉及四种不同但相互交织的风险：1）2）3）")


def test_names_with_digits_and_citation_marks_are_not_mistaken():
    assert values("统一标准和“一带一路”") == []
    assert values("占比 61.5% [2]") == [("percent", 61.5)]
    assert missing_figures("ISO/IEC 42001:2023 [1]", "ISO/IEC 42001:2023 标准") == []


def test_amounts_in_wan_and_yi_are_rewritten_in_english_for_the_model():
    text = "".join(CORPUS["001"].split("\n"))
    sentence = text[text.index("高达 40 万欧元"):text.index("109 亿欧元") + 8]
    english = english_amounts(sentence)
    assert "400,000 euros" in english and "10.9 billion euros" in english
    assert "万" not in english and "亿" not in english
    assert english_amounts(FINE).count("35 million euros") == 1


# the Personal Information Protection Law's article 66, as national laws write fines: in Chinese numerals
PIPL_FINE = "情节严重的，由省级以上履行个人信息保护职责的部门责令改正，没收违法所得，并处五千万元以下或者上一年度营业额百分之五以下罚款"


def test_amounts_in_chinese_numerals_are_figures_and_rewritten_in_english():
    assert ("number", 50_000_000.0) in values(PIPL_FINE) and ("percent", 5.0) in values(PIPL_FINE)
    assert values("处一百万元以上一千万元以下罚款") == [("number", 1_000_000.0), ("number", 10_000_000.0)]
    assert values("大型商业银行每年购买数据的金额就超过百亿元") == [("number", 10_000_000_000.0)]
    assert not missing_figures("fines of up to 50 million yuan or 5% of turnover [1]", PIPL_FINE)
    assert missing_figures("fines of up to 5 million yuan [1]", PIPL_FINE)
    assert "50 million yuan" in english_amounts(PIPL_FINE) and "万" not in english_amounts(PIPL_FINE)
    assert with_source_figures("up to 50 million yuan [1]", [PIPL_FINE]) == "up to 50 million yuan (五千万元) [1]"
    # a count in Chinese numerals is not an amount to give back: "four tiers" stays as written
    assert with_source_figures("It defines four risk tiers [1].", ["将人工智能系统分为四类"]) == "It defines four risk tiers [1]."
    assert values("一万一千元") == [("number", 11_000.0)] and values("三亿五千万元") == [("number", 350_000_000.0)]
    assert "500,000 Hong Kong dollars" in english_amounts("罚款五十万港元")
    assert missing_figures("500,000 euros", "罚款五十万港元")
    # a digit before is the digits' amount: 5千万元 is not 千万元
    assert missing_figures("10 million yuan", "5千万元")
    # no value, or no amount: a vague magnitude, a range, an idiom, 元 in 元数据 or 二元
    for text in ("数百亿元", "三五万元", "千万不要", "十万火急", "九万里", "统一元数据", "二元结构", "单一元素"):
        assert values(text) == [] and english_amounts(text) == text
    # a span of years stays one
    assert not missing_figures("over 100,000 years", "十万年来")


def test_an_english_answer_gets_the_reports_own_form_of_each_converted_amount():
    source = "将面临高达 40 万欧元的合规成本，到 2025 年，合规负担将使欧盟企业每年损失 109 亿欧元。"
    answer = "SMEs face up to 400,000 euros in compliance costs, and EU firms lose 10.9 billion euros a year [1]."
    assert with_source_figures(answer, [source]) == (
        "SMEs face up to 400,000 euros (40万欧元) in compliance costs, "
        "and EU firms lose 10.9 billion euros (109亿欧元) a year [1].")
    # a figure the source does not hold in 万/亿 is left alone
    assert with_source_figures("It happened in 2025 [1].", [source]) == "It happened in 2025 [1]."


def test_a_small_count_written_in_digits_is_checked_even_against_a_list():
    # "four risks" may count a list the source does not number; "10 experts" was copied or invented
    assert missing_figures("The panel has 10 experts.", "涉及四种不同但相互交织的风险")
    assert not missing_figures("Seaman names four risks.", "1）全球供应链韧性风险；2）国家安全风险")


def test_a_span_of_years_holds_no_count_of_things():
    # "10 standards" must not be held by "十多年来" ("for over ten years") a sentence away
    decade = "十多年来，中国在国际标准制定上的参与度一直在显著增长。"
    assert "十多年来" in "".join(CORPUS["000"].split())
    assert missing_figures("ISO/IEC JTC 1/SC 42 has published 10 standards.", decade)
    assert not missing_figures("China's participation has grown for over 10 years.", decade)
    assert not missing_figures("It took the internet 7 years to spread.", "互联网普及用了 7年，电力普及则用了 20年")


def test_chinese_numerals_before_ages_days_and_people_are_figures():
    assert [f.value for f in extract_figures("处理不满十四周岁未成年人个人信息")] == [14.0]
    assert [f.value for f in extract_figures("应当在十四日内作出决定")] == [14.0]
    assert not missing_figures("要求年满14周岁", "不满十四周岁的未成年人")
    assert extract_figures("统一大市场") == [] and extract_figures("四周的环境") == [] and extract_figures("二元结构") == []


def test_an_age_in_english_is_held_by_the_same_age_in_chinese_and_by_nothing_else():
    # 周岁 and "years old" both give a person's age: neither a span of years nor a count of things
    article = "当儿童年满16周岁，对儿童个人数据的处理是合法的。对于年满13周岁的情形，成员国的法律可以降低年龄要求。"
    assert not missing_figures("From 16 years old, a child can consent on their own.", article)
    assert not missing_figures("Member states may lower it for children aged 13.", article)
    assert not missing_figures("A 13-year-old may consent where a member state allows it.", article)
    assert not missing_figures("Children under 16 need their parents' consent.", article)  # an age needs no unit
    assert missing_figures("Member states can lower that age to 14 years old.", article)
    assert missing_figures("Children under 14 need their parents' consent.", article)
    assert missing_figures("Children have been protected for 16 years.", article)
    assert missing_figures("The law names 16 years old as the age.", "共有16个成员国参与")


def test_a_currency_code_before_an_amount_is_its_currency_not_a_name():
    from rag.support import subject_names

    # the Hong Kong ordinance's penalty as the ordinance prints it, and as an English answer writes it
    source = "即屬犯罪，一經定罪，可處罰款$500,000及監禁3年。"
    for claim in ("a fine of HKD500,000 and imprisonment for 3 years", "a fine of HK$500,000 and 3 years in prison",
                  "a fine of HKD 500,000 and 3 years"):
        assert missing_figures(claim, source) == [] and subject_names(claim) == set()
    assert [f.raw for f in missing_figures("a fine of HKD1,000,000", source)] == ["HKD1,000,000"]
    assert values("EUR20 million") == [("number", 20_000_000.0)] and extract_figures("RMB500,000")[0].currency == "cny"
    assert extract_figures("an entrepreneur 5 years ago")[0].currency == ""  # a code only as a word of its own
    assert {"cac", "gb/t45654"} <= subject_names("fined by the CAC under GB/T 45654-2025")


def test_a_footnote_mark_run_into_the_text_is_no_figure():
    # the CAICT–Qi An Xin report as its PDF reads: the 5 is footnote 5
    source = "据市场调研公司 Canalys 统计，2020年全球个人信息泄露事件超出过去 15 年总和，成为影响个人权益、组织发展甚至国家安全的重要因素5。"
    assert [f.raw for f in missing_figures("Canalys counted 5 breach incidents in 2020 [1]", source)] == ["5 "]
    assert not missing_figures("breaches in 2020 exceeded the previous 15 years combined [1]", source)
    assert values("服务超过 37 亿次3。") == [("number", 3_700_000_000.0)]
    assert values("数量为5。") == [("number", 5.0)]  # a number a word states stays


def test_a_rendering_is_held_to_the_amounts_its_quote_states():
    """A rendering that misreads an amount misstates the report; small numbers are left alone, as
    an article or a count in Chinese numerals reads as a figure in English only."""
    from rag.figures import missing_amounts

    quote = "违反如下条款，应当施加最高20000000欧元的行政罚款，或上一年全球总营业额4%的罚款：(a)第5、6、7和9条"
    assert [f.raw.strip() for f in missing_amounts("a fine of up to 200 million euros, or 4% of turnover", quote)] \
        == ["200 million euros"]
    assert not missing_amounts("a fine of up to 20 million euros, or 4% of turnover (Articles 5, 6, 7 and 9)", quote)
    assert not missing_amounts("Article 59: processors that correct the violation promptly…", "第五十九条网络数据处理者…")
    assert not missing_amounts("Article 1032 of the Civil Code, in force since 2021", "民法典第一千零三十二条，二〇二一年起施行")


def test_a_figure_or_table_label_holds_no_figure():
    """A source's "图 5" numbers a figure: it does not hold "5 data brokers" (an unanswerable
    question's answer once passed on it), while a rendering's "Figure 5" needs no figure held; a
    count after a word that ends in 表 or 图 (发表3篇, 意见表30份, "exhibit 3") is still a count."""
    source = "按照数据与资金在主体间流向的不同，可分为开放、共享、交易三种流通形式（如图 5）。\n图 5 数据要素流通的三种形式"
    assert [f.raw.strip() for f in missing_figures("There were 5 data brokers on the first list.", source)] == ["5"]
    assert [f.raw.strip() for f in missing_figures("There were 5 data brokers.", "图表 5：数据经纪商名单")] == ["5"]
    assert missing_figures("As Figure 5 shows, data flows in three forms.", source) == []
    assert missing_figures("See Table 3 for the 12 regions.", "见表 3 共12个地区") == []
    assert [f.raw.strip() for f in missing_figures("有3个地区。", "见表 3 共12个地区")] == ["3"]
    assert missing_figures("他发表了3篇论文。", "他先后发表3篇论文。") == []
    assert missing_figures("He published 3 papers.", "他发\n表3篇论文。") == []  # a PDF's line break inside 发表
    assert [f.raw.strip() for f in missing_figures("共收到意见表30份。", "共收到意见表25份。")] == ["30"]
    assert [f.raw.strip() for f in missing_figures("Such systems exhibit 3 failure modes.", "此类系统有两种失效模式。")] == ["3"]
    assert missing_figures("Schedule 2 sets out the Commissioner's finances.", "附表2 專員的財務事宜") == []
