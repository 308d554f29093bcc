"""Clean the text of a news article before it is split: what is not the story goes.

Rules, each seen in real Arabic news pages copied as text (the sample article
has the first three):

* a line repeated right after itself (a photo caption pasted twice) is kept once;
* a dateline among the first lines (never the first, the title) becomes
  metadata and leaves the text: ``دبي -الشرق`` (place, a dash joined to the
  source) or ``MOSCOW - Reuters`` (a known agency on either side); no digits;
* a "read also" marker alone on a line (``اقرأ أيضاً:``, ``Read more:``...) is
  dropped with the headline list after it: the following lines (after blank
  lines) while they read as headlines (at most 15 words, no sentence-final
  punctuation); the story after the list is kept;
* a "read also" line with its link on the same line (``Read more: Copper hits
  record``) is dropped.

The cleaned text is what is stored; every offset indexes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "اقرأ أيضا" with or without tanween/hamza, "اقرأ المزيد", "مواضيع ذات صلة",
# English "Read also/more", "Related (articles|stories)", "See also".
_READ_ALSO = re.compile(
    r"^\s*(?:[اإأ]قر[أا]\s+(?:[اأ]يضا[ًٌ]?|المزيد)|مواضيع\s+ذات\s+صلة|(?:read|see)\s+(?:also|more)"
    r"|related(?:\s+(?:articles|stories|news))?)\s*(?:[:：]\s*(?P<link>.*))?$",
    re.IGNORECASE,
)
_NO_DASH = r"[^\s.!?؟،,:\-–—\d]+"
_SIDE = rf"{_NO_DASH}(?:\s+{_NO_DASH}){{0,2}}"
# "دبي -الشرق": a space before the dash, none after (the Arabic press style).
_DATELINE_JOINED = re.compile(rf"^{_SIDE}\s+[-–—]{_NO_DASH}(?:\s+{_NO_DASH})?$")
_DATELINE_SPACED = re.compile(rf"^(?P<left>{_SIDE})\s*[-–—]\s*(?P<right>{_SIDE})$")
_AGENCIES = frozenset(
    "reuters afp ap bloomberg dpa xinhua anadolu cnn bbc wam spa qna kuna mena "
    "رويترز الشرق وكالات الأناضول واس وام قنا كونا شينخوا".split()
)
_HEADLINE_MAX_WORDS = 15
_SENTENCE_FINAL = (".", "!", "?", "؟", "…")
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


def _is_dateline(line: str) -> bool:
    if _DATELINE_JOINED.match(line):
        return True
    spaced = _DATELINE_SPACED.match(line)
    if not spaced:
        return False
    sides = (spaced.group("left").lower(), spaced.group("right").lower())
    return any(word in _AGENCIES for side in sides for word in side.split())


def _is_headline(line: str) -> bool:
    return len(line.split()) <= _HEADLINE_MAX_WORDS and not line.endswith(_SENTENCE_FINAL)


def clean_article_text(text: str) -> Cleaned:
    """Remove repeated lines, the dateline and "read also" blocks (see the module docstring).

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
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        i += 1
        read_also = _READ_ALSO.match(stripped) if stripped else None
        if read_also:
            dropped += 1
            if not (read_also.group("link") or "").strip():  # a marker alone: its headline list follows
                j = i
                while j < len(lines) and not lines[j].strip():
                    j += 1
                while j < len(lines) and lines[j].strip() and _is_headline(lines[j].strip()):
                    j += 1
                    dropped += 1
                i = j
            continue
        if stripped and kept and kept[-1].strip() == stripped:
            dropped += 1
            continue
        if stripped:
            seen_content += 1
            if dateline is None and 1 < seen_content <= DATELINE_SEARCH_LINES and _is_dateline(stripped):
                dateline = stripped
                dropped += 1
                continue
        kept.append(line)
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    return Cleaned(text=cleaned + "\n" if cleaned else "", dateline=dateline, dropped_lines=dropped)
