"""Records that ingestion produces: an article and the passages cut from it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Article:
    """One loaded article.

    Attributes:
        article_id: Stable id, by default the file name without its suffix
            (``000_f0911db09156c083`` for ``000_f0911db09156c083.txt``).
        text: The article text as stored: UTF-8 decoded, BOM removed, line
            endings folded to ``\\n``. Every character offset in this project
            (passages, citations) indexes this string.
        title: The first paragraph when it is a heading (one short line, or a
            Markdown ``#`` line, without its markers) and more text follows, else ``None``.
        source: Where the text came from (a file path), or ``None``.
    """

    article_id: str
    text: str
    title: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Passage:
    """A run of whole sentences from one paragraph of an article.

    Invariant: ``article.text[char_start:char_end] == text``.

    Attributes:
        article_id: Id of the article the passage belongs to.
        passage_id: Deterministic id: the same article text always yields the
            same ids (``{article_id}-{passage_idx:04d}-{sha1(text)[:8]}``).
        passage_idx: 0-based position of the passage in the article.
        text: The passage text, exactly as it stands in the article.
        char_start: Offset of the first character in the article text.
        char_end: Offset one past the last character in the article text.
        section: The heading the passage sits under, or ``None``.
    """

    article_id: str
    passage_id: str
    passage_idx: int
    text: str
    char_start: int
    char_end: int
    section: str | None = None
