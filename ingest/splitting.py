"""Split an article into sentences and passages, with exact character offsets.

Sentences end at ``.`` ``!`` ``?`` ``؟`` (optionally followed by closing
quotes or brackets) when whitespace or the end of the text follows, and at
every line break. The Arabic comma ``،`` and semicolon ``؛`` never end a
sentence, nor does a decimal point (``2.9%``, ``102.5``: no space follows) or
the full stop of a common English abbreviation (``Mr.``, ``U.S.``).

Passages are runs of whole sentences from one paragraph (paragraphs are
separated by blank lines), at most ``max_size`` long in the unit of a
``measure`` (characters by default; tokens of the embedding model in the
pipeline); a longer sentence is cut at word boundaries. A passage never
crosses a paragraph or a heading.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator

from ingest.types import Article, Passage

Span = tuple[int, int]
#: Size of a text in some unit (characters, tokens).
Measure = Callable[[str], int]

#: Default upper bound of a passage when measured in characters.
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
        if (
            match.group() != "\n"
            and text[match.start()] == "."
            and len(match.group()) == 1
            and _is_abbreviation(text, begin, match.start())
        ):
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


def article_version(article: Article, settings: str = "") -> str:
    """8 hex digits of sha1 over the article text and the splitting settings.

    Part of every passage id, so that a changed article (or a change of
    splitting settings) gets passages of new ids, never overwriting the old
    ones in place.
    """
    return hashlib.sha1(f"{article.text}\x00{settings}".encode()).hexdigest()[:8]


def version_of(passage: Passage) -> str:
    """The article version a passage belongs to, read from its id (``{article_id}-{version}-{idx:04d}``)."""
    return passage.passage_id.rsplit("-", 2)[-2]


def _cut_long(text: str, span: Span, max_size: int, measure: Measure) -> Iterator[Span]:
    """Cut a span that measures over ``max_size`` at whitespace (hard cuts for one long word)."""
    start, end = span
    if measure(text[start:end]) <= max_size:
        yield start, end
        return
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]
    if len(words) <= 1:  # one long "word": cut it in halves until each fits
        mid = start + (end - start) // 2
        if mid in (start, end):
            yield start, end
            return
        yield from _cut_long(text, (start, mid), max_size, measure)
        yield from _cut_long(text, (mid, end), max_size, measure)
        return
    half = len(words) // 2
    yield from _cut_long(text, (start + words[0][0], start + words[half - 1][1]), max_size, measure)
    yield from _cut_long(text, (start + words[half][0], start + words[-1][1]), max_size, measure)


def _pack(text: str, sentences: list[Span], max_size: int, measure: Measure, overlap: int) -> Iterator[list[Span]]:
    """Group consecutive sentences into runs measuring at most ``max_size``.

    A sentence over ``max_size`` is first cut in halves at whitespace until the
    pieces fit. With ``overlap`` > 0, each run after the first starts with the
    last ``overlap`` sentences of the run before, when they fit.
    """
    pieces = [piece for span in sentences for piece in _cut_long(text, span, max_size, measure)]
    group: list[Span] = []
    for piece in pieces:
        if group and measure(text[group[0][0] : piece[1]]) > max_size:
            yield group
            carried = group[-overlap:] if overlap else []
            while carried and measure(text[carried[0][0] : piece[1]]) > max_size:
                carried = carried[1:]
            group = [*carried]
        group.append(piece)
    if group:
        yield group


def split_passages(
    article: Article,
    max_size: int = DEFAULT_MAX_CHARS,
    *,
    measure: Measure = len,
    min_words: int = DEFAULT_MIN_WORDS,
    overlap: int = 0,
    measure_name: str = "characters",
) -> list[Passage]:
    """Cut an article into passages of whole sentences under their section headings.

    Heading paragraphs are not passages: the first one, when it is the
    article's title (``article.title``), is skipped; every other one becomes
    the ``section`` of the passages after it.

    Args:
        article: The loaded article.
        max_size: Upper bound of a passage, in the units of ``measure``. The
            pipeline measures in tokens of the embedding model's tokenizer,
            prefix included; by default it is characters.
        measure: Size of a text, e.g. ``lambda t: model.token_count(t)``.
        min_words: Passages of fewer whitespace-separated words are dropped:
            a fragment answers nothing, and short texts score deceptively high
            against short questions with E5.
        overlap: Sentences of the previous passage (of the same paragraph)
            repeated at the start of the next.
        measure_name: Name of the unit, recorded in the version hash.

    Returns:
        Passages in article order with ``passage_idx`` 0, 1, 2, ...

    Raises:
        ValueError: If ``max_size`` is not positive or ``overlap`` negative.
    """
    if max_size <= 0:
        raise ValueError(f"max_size must be positive, got {max_size}")
    if overlap < 0:
        raise ValueError(f"overlap must be 0 or more, got {overlap}")
    text = article.text
    version = article_version(article, f"{max_size} {measure_name} overlap={overlap} min_words={min_words}")
    passages: list[Passage] = []
    section: str | None = None
    for i, (p_start, p_end) in enumerate(split_paragraphs(text)):
        block = text[p_start:p_end]
        heading = heading_text(block)
        if i == 0 and article.title is not None and article.title in (block, heading):
            continue  # the title is no passage and no section
        if heading is not None:
            section = heading
            continue
        for group in _pack(text, split_sentences(text, p_start, p_end), max_size, measure, overlap):
            start, end = group[0][0], group[-1][1]
            body = text[start:end]
            if len(body.split()) < min_words:
                continue
            idx = len(passages)
            passages.append(
                Passage(
                    article_id=article.article_id,
                    passage_id=f"{article.article_id}-{version}-{idx:04d}",
                    passage_idx=idx,
                    text=body,
                    char_start=start,
                    char_end=end,
                    section=section,
                    sentences=tuple(group),
                )
            )
    return passages
