"""Split an article into sentences and passages, with exact character offsets.

Sentences end at ``.`` ``!`` ``?`` ``؟`` (optionally followed by closing
quotes or brackets) when whitespace or the end of the text follows, and at
every line break. The Arabic comma ``،`` and semicolon ``؛`` never end a
sentence, nor does a decimal point (``2.9%``, ``102.5``: no space follows) or
the full stop of a common English abbreviation (``Mr.``, ``U.S.``).

Passages are runs of whole sentences from one paragraph (paragraphs are
separated by blank lines), at most ``max_chars`` characters long (a longer
sentence is cut at word boundaries); a passage never crosses a paragraph or
a heading.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from ingest.types import Article, Passage

Span = tuple[int, int]

#: Default upper bound of a passage, in characters. The sample article's
#: paragraphs run 150-450 characters, so each stays whole; 800 characters of
#: Arabic is about 250 tokens of multilingual-e5-small, under its 512 limit.
DEFAULT_MAX_CHARS = 800

#: Default lower bound of a passage, in words (see :func:`split_passages`).
DEFAULT_MIN_WORDS = 4

_SENTENCE_END = re.compile(r"[.!?؟]+[\"'»”’)\]]*(?=\s|$)|\n")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u00A0]*\n\s*")
_MARKDOWN_HEADING = re.compile(r"#{1,6}[ \t]+(.+?)[ \t#]*$")
_LAST_WORD = re.compile(r"(\S+)$")
# Full stops that end an abbreviation, not a sentence (lower-cased, without
# the final dot). Single capital letters (initials such as "J.") are added
# by the check itself.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr gen col lt sgt sen rep gov pres vs etc e.g i.e "
    "no nos inc ltd co corp jan feb mar apr jun jul aug sep sept oct nov dec "
    "u.s u.k u.n a.m p.m".split()
)
# A heading line in a plain-text article: short and without sentence-final
# punctuation (e.g. the sample article's "توتر متصاعد").
_HEADING_MAX_WORDS = 8
_HEADING_MAX_CHARS = 100
_HEADING_END = (".", "!", "?", "؟", ":", "،", ",", "؛", ";")


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_abbreviation(text: str, start: int, dot: int) -> bool:
    word = _LAST_WORD.search(text, start, dot)
    if word is None:
        return False
    token = word.group(1).lstrip("(\"'«“").lower()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha() and token.isascii())


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Find the sentences of ``text[start:end]``.

    Args:
        text: The whole text; offsets returned index it directly.
        start: Offset where the region to split begins.
        end: Offset where it ends; ``None`` for the end of ``text``.

    Returns:
        ``(char_start, char_end)`` spans into ``text``, in order, trimmed of
        surrounding whitespace, never empty. A region with no terminator is
        one sentence.

    Example:
        >>> t = "نما حجم التجارة بنسبة 29.8%، ليصل إلى 102.5 مليار دولار. ماذا بعد؟"
        >>> [t[a:b] for a, b in split_sentences(t)]
        ['نما حجم التجارة بنسبة 29.8%، ليصل إلى 102.5 مليار دولار.', 'ماذا بعد؟']
    """
    end = len(text) if end is None else end
    spans: list[Span] = []
    begin = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if match.group() != "\n" and text[match.start()] == "." and len(match.group()) == 1:
            if _is_abbreviation(text, begin, match.start()):
                continue
        a, b = _trim(text, begin, match.end())
        if a < b:
            spans.append((a, b))
        begin = match.end()
    a, b = _trim(text, begin, end)
    if a < b:
        spans.append((a, b))
    return spans


def split_paragraphs(text: str) -> list[Span]:
    """Find the paragraphs of ``text``: blocks separated by one or more blank lines.

    Returns:
        ``(char_start, char_end)`` spans into ``text``, trimmed, never empty.
    """
    spans: list[Span] = []
    begin = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        a, b = _trim(text, begin, match.start())
        if a < b:
            spans.append((a, b))
        begin = match.end()
    a, b = _trim(text, begin, len(text))
    if a < b:
        spans.append((a, b))
    return spans


def heading_text(block: str) -> str | None:
    """Return the heading that ``block`` (one paragraph) consists of, if it is one.

    A heading is a Markdown ATX heading (``## Trade``) or, in plain text, a
    single line of at most 8 words and 100 characters that does not end in punctuation
    (``التجارة والتدريبات العسكرية``).

    Returns:
        The heading text without Markdown markers, or ``None``.
    """
    if "\n" in block:
        return None
    markdown = _MARKDOWN_HEADING.fullmatch(block)
    if markdown:
        return markdown.group(1).strip()
    if (
        len(block.split()) <= _HEADING_MAX_WORDS
        and len(block) <= _HEADING_MAX_CHARS
        and not block.endswith(_HEADING_END)
    ):
        return block
    return None


def passage_id(article_id: str, passage_idx: int, text: str) -> str:
    """Deterministic passage id: ``{article_id}-{passage_idx:04d}-{sha1(text)[:8]}``."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return f"{article_id}-{passage_idx:04d}-{digest}"


def _cut_long(text: str, span: Span, max_chars: int) -> Iterator[Span]:
    """Cut a span longer than ``max_chars`` at the last whitespace that fits (hard cut if none)."""
    start, end = span
    while end - start > max_chars:
        space = text.rfind(" ", start + 1, start + max_chars + 1)
        cut = space if space > start else start + max_chars
        a, b = _trim(text, start, cut)
        if a < b:
            yield a, b
        start, end = _trim(text, cut, end)
    if start < end:
        yield start, end


def _pack(text: str, sentences: list[Span], max_chars: int) -> Iterator[Span]:
    """Greedily group consecutive sentences into spans of at most ``max_chars``.

    A sentence longer than ``max_chars`` is first cut at word boundaries.
    """
    sentences = [piece for span in sentences for piece in _cut_long(text, span, max_chars)]
    group_start, group_end = sentences[0]
    for a, b in sentences[1:]:
        if b - group_start > max_chars:
            yield group_start, group_end
            group_start = a
        group_end = b
    yield group_start, group_end


def split_passages(
    article: Article, max_chars: int = DEFAULT_MAX_CHARS, min_words: int = DEFAULT_MIN_WORDS
) -> list[Passage]:
    """Cut an article into passages of whole sentences under their section headings.

    Heading paragraphs are not passages: the first one, when it is the
    article's title (``article.title``), is skipped; every other one becomes
    the ``section`` of the passages after it.

    Args:
        article: The loaded article.
        max_chars: Upper bound of a passage in characters; a sentence longer
            than this is cut at word boundaries (a word longer than this, at
            ``max_chars``).
        min_words: Passages of fewer whitespace-separated words are dropped:
            a fragment such as ``اقرأ أيضاً:`` answers nothing, and short texts
            score deceptively high against short questions with E5.

    Returns:
        Passages in article order with ``passage_idx`` 0, 1, 2, ...

    Raises:
        ValueError: If ``max_chars`` is not positive.
    """
    if max_chars <= 0:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    text = article.text
    passages: list[Passage] = []
    section: str | None = None
    for i, (p_start, p_end) in enumerate(split_paragraphs(text)):
        heading = heading_text(text[p_start:p_end])
        if heading is not None:
            if not (i == 0 and article.title == heading):  # the title is no section
                section = heading
            continue
        for start, end in _pack(text, split_sentences(text, p_start, p_end), max_chars):
            body = text[start:end]
            if len(body.split()) < min_words:
                continue
            idx = len(passages)
            passages.append(
                Passage(
                    article_id=article.article_id,
                    passage_id=passage_id(article.article_id, idx, body),
                    passage_idx=idx,
                    text=body,
                    char_start=start,
                    char_end=end,
                    section=section,
                )
            )
    return passages
