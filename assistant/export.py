"""A conversation, exported: Markdown to read or share, JSON to process.

A conversation is its answers in order (each :class:`Answer` holds its question). Both forms keep every
answer's quotes, citations (article id, passage id, character offsets in the article) and short answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from assistant.types import Answer

#: Headings of the Markdown export, per question language.
_LABELS = {
    "ar": {"question": "السؤال", "answer": "الجواب", "sources": "المصادر", "short": "الجواب المختصر"},
    "en": {"question": "Question", "answer": "Answer", "sources": "Sources", "short": "Short answer"},
}


def conversation_json(answers: Sequence[Answer], *, title: str = "article-qa conversation") -> str:
    """The conversation as JSON: ``{"title", "exported" (UTC, ISO 8601), "turns": [Answer.to_dict(), ...]}``
    (each turn: the question, the answer's text, citations with ``article_id``, ``passage_id``, ``quote``,
    ``char_start``/``char_end`` and the short answer with its offsets), pretty-printed, UTF-8 as is."""
    document = {
        "title": title,
        "exported": datetime.now(UTC).isoformat(timespec="seconds"),
        "turns": [a.to_dict() for a in answers],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def conversation_markdown(answers: Sequence[Answer], *, title: str = "article-qa conversation") -> str:
    """The conversation as Markdown: per turn the question, the answer as written (markers ``[n]`` kept),
    the short answer, and a numbered list of its sources (article id, offsets, the quote in a blockquote).

    Text from articles and questions is written as is, inside blockquotes and list items; Markdown in it
    is not escaped (an export is for people and tools reading text, not rendered in a browser as is).
    """
    lines = [f"# {title}", "", f"_Exported {datetime.now(UTC).isoformat(timespec='seconds')}_", ""]
    for turn, answer in enumerate(answers, start=1):
        label = _LABELS.get(answer.language, _LABELS["en"])
        lines += [f"## {turn}. {label['question']}: {answer.question}", "", f"**{label['answer']}:**", ""]
        lines += [*answer.text.splitlines(), ""]
        if answer.short_answer is not None:
            s = answer.short_answer
            lines += [
                f"**{label['short']}:** {s.text} [{s.citation}] ({s.article_id}, {s.char_start}–{s.char_end})",
                "",
            ]
        if answer.citations:
            lines += [f"**{label['sources']}:**", ""]
            for c in answer.citations:
                where = f"{c.article_id}" + (f", {c.section}" if c.section else "")
                lines += [f"{c.n}. {where}, characters {c.char_start}–{c.char_end} (passage {c.passage_id})", ""]
                lines += [f"   > {c.quote}", ""]
    return "\n".join(lines).rstrip() + "\n"
