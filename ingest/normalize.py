"""Text clean-up for matching: Arabic diacritics and invisible characters.

Used on questions before they are embedded; stored and displayed text is
never changed.
"""

from __future__ import annotations

import re

# Tashkeel: fathatan..sukun (U+064B-U+0652) and the superscript alef (U+0670);
# tatweel (U+0640) stretches letters and carries no meaning.
_TASHKEEL = re.compile("[\u064b-\u0652\u0670\u0640]")
# Invisible format characters: zero-width space/joiners, LRM/RLM, bidi
# embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), word
# joiner, BOM.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def remove_tashkeel(text: str) -> str:
    """Remove Arabic diacritics (U+064B-U+0652, U+0670) and tatweel (U+0640).

    News text is written without vowel marks; a fully vowelled question
    (``مَا حَجْمُ التَّبَادُلِ``) embeds far from it unless they are removed.

    Example:
        >>> remove_tashkeel("مَا حَجْمُ التَّبَادُلِ التِّجَارِيِّ")
        'ما حجم التبادل التجاري'
    """
    return _TASHKEEL.sub("", text)


def remove_invisible(text: str) -> str:
    """Remove zero-width and bidirectional control characters (U+200B-U+200F, U+202A-U+202E, U+2060, U+2066-U+2069, U+FEFF)."""
    return _INVISIBLE.sub("", text)


def has_words(text: str) -> bool:
    """True if ``text`` has at least one letter or digit (of any script)."""
    return any(ch.isalnum() for ch in text)
