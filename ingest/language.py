"""Which language a question or text is written in (Arabic or English)."""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["ar", "en"]

# Arabic script blocks: Arabic, Arabic Supplement, Arabic Extended-A and the
# presentation forms A and B (Unicode 15, chapter 9.2).
#: Regular-expression class of Arabic letters; valid in Python and JavaScript.
ARABIC_LETTER_PATTERN = r"[\u0621-\u064A\u0671-\u06D3\u06FA-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFC]"
#: Regular-expression class of Latin letters (Basic Latin to Latin Extended-B).
LATIN_LETTER_PATTERN = r"[A-Za-z\u00C0-\u024F]"
_ARABIC_WORD = re.compile(ARABIC_LETTER_PATTERN + "+")
_LATIN_WORD = re.compile(LATIN_LETTER_PATTERN + "+")
# Arabic punctuation (، ؛ ؟) and Arabic-Indic digits: the cue when a text has no letters.
_ARABIC_MARK = re.compile("[\u060c\u061b\u061f\u0660-\u0669]")


def detect_language(text: str) -> Language:
    """Tell whether ``text`` is Arabic or English by counting words (letter runs) of each script.

    Arabic wins when the text has at least as many Arabic words as Latin
    ones and at least one, or has no letters but Arabic punctuation or
    Arabic-Indic digits (``؟؟؟``); anything else (Latin text, ASCII digits
    only, emoji, an empty string) is reported as English, the fallback
    language of the replies.
    Words, not letters: a long Latin name does not make an Arabic question
    English (``أين يقع Energiprojekt AB؟``, from XQuAD, is Arabic).

    Args:
        text: Any string; mixed scripts are fine (``ما هو G20؟`` is Arabic).

    Returns:
        ``"ar"`` or ``"en"``.
    """
    arabic = len(_ARABIC_WORD.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    if not arabic and not latin and _ARABIC_MARK.search(text):
        return "ar"  # no letters, but Arabic punctuation or digits: "؟؟؟", "٢٠١٩"
    return "ar" if arabic and arabic >= latin else "en"
