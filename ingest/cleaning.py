"""Clean the text of a news article before it is split: what is not the story goes.

Rules, each seen in real Arabic news pages copied as text (the sample article
has all of them):

* a line repeated right after itself (a photo caption pasted twice) is kept once;
* a dateline among the first lines (not the first, the title), ``دبي -الشرق``
  or ``DUBAI - Reuters`` (place, dash, source; up to 3 words each), becomes
  metadata and leaves the text;
* a "read also" marker (``اقرأ أيضاً:``, ``Read more:``...) and everything after
  it (the list of links it introduces) are dropped.

The cleaned text is what is stored; every offset indexes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "اقرأ أيضا" with or without tanween/hamza, "اقرأ المزيد", "مواضيع ذات صلة",
# English "Read also/more", "Related (articles|stories)", "See also", alone on a line.
_READ_ALSO = re.compile(
    r"^\s*(?:[اإأ]قر[أا]\s+(?:[اأ]يضا[ًٌ]?|المزيد)|مواضيع\s+ذات\s+صلة|(?:read|see)\s+(?:also|more)"
    r"|related(?:\s+(?:articles|stories|news))?)\s*[:：]?\s*$",
    re.IGNORECASE,
)
# Place, a dash, a source: at most 3 words on each side, no sentence punctuation.
_DATELINE = re.compile(r"^\s*([^\s.!?؟،,:\-–—]+(?:\s+[^\s.!?؟،,:\-–—]+){0,2})\s*[-–—]\s*([^\s.!?؟،,:\-–—]+(?:\s+[^\s.!?؟،,:\-–—]+){0,2})\s*$")
#: Datelines are looked for among this many first non-empty lines.
DATELINE_SEARCH_LINES = 6


@dataclass(frozen=True, slots=True)
class Cleaned:
    """The result of :func:`clean_article_text`.

    Attributes:
        text: The cleaned text.
        dateline: The dateline removed (``"دبي -الشرق"``), or ``None``.
        dropped_lines: How many lines were removed (duplicates, dateline, "read also").
    """

    text: str
    dateline: str | None
    dropped_lines: int


def clean_article_text(text: str) -> Cleaned:
    """Remove repeated lines, the dateline and a trailing "read also" block.

    Args:
        text: Article text with ``\\n`` line endings.

    Returns:
        The cleaned text (blank-line structure kept) and what was taken out.

    Example:
        >>> clean_article_text("عنوان\\n\\nصورة.\\nصورة.\\nدبي -الشرق\\n\\nالنص.\\n\\nاقرأ أيضاً:\\nرابط").text
        'عنوان\\n\\nصورة.\\n\\nالنص.\\n'
    """
    lines = text.split("\n")
    kept: list[str] = []
    dateline: str | None = None
    dropped = 0
    seen_content = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped and _READ_ALSO.match(stripped):
            dropped += sum(1 for rest in lines[i:] if rest.strip())
            break
        if stripped and kept and kept[-1].strip() == stripped:
            dropped += 1
            continue
        if stripped:
            seen_content += 1
            # Never the first line: that is the title ("Biden - Xi summit").
            if dateline is None and 1 < seen_content <= DATELINE_SEARCH_LINES and _DATELINE.match(stripped):
                dateline = stripped
                dropped += 1
                continue
        kept.append(line)
    cleaned = "\n".join(kept)
    cleaned = re.sub(r"\n{3,}", "\n\n", cleaned).strip("\n")
    return Cleaned(text=cleaned + "\n" if cleaned else "", dateline=dateline, dropped_lines=dropped)
