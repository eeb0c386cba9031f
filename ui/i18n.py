"""Every label the web UI shows, in Chinese and English."""
from __future__ import annotations

from typing import Literal

UILanguage = Literal["zh", "en"]

LANGUAGE_CHOICES = [("中文", "zh"), ("English", "en")]

LABELS: dict[str, dict[str, str]] = {
    "subtitle": {
        "zh": "基于中文人工智能治理报告的引用式问答。每个回答都标注来源，点击编号查看原文。",
        "en": "Cited answers from Chinese reports on AI governance. Click a number to see the quoted passage.",
    },
    "tab_chat": {"zh": "问答", "en": "Chat"},
    "tab_corpus": {"zh": "资料库", "en": "Corpus"},
    "chat": {"zh": "对话", "en": "Conversation"},
    "question": {"zh": "问题", "en": "Question"},
    "question_placeholder": {"zh": "用中文或英文提问……", "en": "Ask in Chinese or English…"},
    "ask": {"zh": "提问", "en": "Ask"},
    "new_chat": {"zh": "新对话", "en": "New conversation"},
    "export": {"zh": "导出对话", "en": "Export chat"},
    "examples": {"zh": "示例问题", "en": "Example questions"},
    "settings": {"zh": "设置", "en": "Settings"},
    "interface_language": {"zh": "界面语言", "en": "Interface language"},
    "mode": {"zh": "回答方式", "en": "Answer mode"},
    "mode_generative": {"zh": "生成（大模型撰写）", "en": "Generative (LLM writes)"},
    "mode_extractive": {"zh": "摘录（仅引用原文）", "en": "Extractive (quotes only)"},
    "report_filter": {"zh": "只在这些报告中查找（留空=全部）", "en": "Search only these reports (empty = all)"},
    "sources": {"zh": "来源", "en": "Sources"},
    "sources_empty": {"zh": "提问后，这里显示回答所引用的原文。", "en": "Ask a question to see the passages the answer cites."},
    "sources_retrieved": {"zh": "已检索到的段落（正在生成回答……）", "en": "Retrieved passages (writing the answer…)"},
    "sources_for": {"zh": "引用来源：", "en": "Sources for: "},
    "evidence": {"zh": "原文证据（在模型作答前选出）", "en": "Evidence from the reports (chosen before the model writes)"},
    "writing": {"zh": "正在根据证据撰写回答……", "en": "Writing an answer from the evidence…"},
    "sources_related": {"zh": "可能相关的段落", "en": "Possibly related passages"},
    "no_citations": {"zh": "此回答没有引用。", "en": "This answer cites nothing."},
    "authors": {"zh": "作者", "en": "Authors"},
    "venue": {"zh": "出处", "en": "Venue"},
    "date": {"zh": "日期", "en": "Date"},
    "section": {"zh": "章节", "en": "Section"},
    "file": {"zh": "文件", "en": "File"},
    "quote_not_located": {
        "zh": "引文未能在段落中逐字定位，下方单独列出：",
        "en": "The quote could not be located verbatim in the passage; it is shown separately:",
    },
    "unsupported_legend": {
        "zh": "⚠ 标记的句子未能被所引原文证实，请核对。",
        "en": "⚠ marks sentences the cited passages do not support; check them.",
    },
    "feedback": {"zh": "反馈（针对右侧显示的回答）", "en": "Feedback (on the answer shown at the right)"},
    "feedback_comment": {"zh": "意见（可选）", "en": "Comment (optional)"},
    "feedback_send": {"zh": "提交反馈", "en": "Send feedback"},
    "feedback_thanks": {"zh": "已记录反馈，谢谢。", "en": "Feedback saved, thank you."},
    "feedback_no_answer": {"zh": "还没有可反馈的回答。", "en": "There is no answer to give feedback on yet."},
    "reports": {"zh": "已索引的报告", "en": "Indexed reports"},
    "title": {"zh": "标题", "en": "Title"},
    "chunks": {"zh": "段落数", "en": "Chunks"},
    "upload": {"zh": "上传报告", "en": "Upload a report"},
    "upload_hint": {
        "zh": "支持 {types}，单个文件不超过 {mb:.0f} MB。上传后即可对其提问。",
        "en": "Accepts {types}, up to {mb:.0f} MB per file. Ask about it as soon as it is indexed.",
    },
    "upload_button": {"zh": "索引此文件", "en": "Index this file"},
    "upload_none": {"zh": "请先选择一个文件。", "en": "Choose a file first."},
    "upload_progress": {"zh": "正在向量化", "en": "Embedding"},
    "upload_done": {
        "zh": "已索引《{title}》：{chunks} 个段落。现在可以在“问答”中提问。",
        "en": "Indexed “{title}”: {chunks} chunks. You can now ask about it in the Chat tab.",
    },
    "upload_unchanged": {"zh": "该文件已在索引中，未作改动。", "en": "That file is already indexed, unchanged."},
    "upload_failed": {"zh": "无法索引该文件：{reason}", "en": "Could not index that file: {reason}"},
    "error": {"zh": "出错了：{reason}", "en": "Something went wrong: {reason}"},
}


def t(key: str, language: UILanguage) -> str:
    return LABELS[key][language]
