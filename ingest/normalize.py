"""Arabic-aware text normalisation for matching, one module for every use.

Two levels:

* :func:`for_embedding` - what questions and passages go through before they
  are embedded: invisible controls and diacritics removed, spelling otherwise
  kept (the embedding model was trained on real orthography).
* :func:`normalize` - the matching form, for lexical search and for checking
  answers against gold text: NFC, diacritics and tatweel removed, alef forms
  unified, alef maqsura and taa marbuta folded, Arabic-Indic and Persian digits
  and the Arabic decimal separator folded to ASCII, Persian letters mapped to
  Arabic ones, Latin case folded.

Stored and displayed text is never normalised; offsets always index the original.

Policies (the common choices of Arabic IR, e.g. Larkey et al. 2007, "Light
stemming for Arabic information retrieval"):

* ى (alef maqsura) → ي and ة (taa marbuta) → ه: news spelling varies
  (``على``/``علي``, ``مدينة``/``مدينه``), and the few words the folds merge
  rarely collide in one article.
* Hamza on a seat (ؤ ئ) and lone hamza (ء) are kept: folding them merges
  unrelated words.
"""

from __future__ import annotations

import re
import unicodedata

# Tashkeel: fathatan..sukun (U+064B-U+0652) and the superscript alef (U+0670);
# tatweel (U+0640) stretches letters and carries no meaning.
_TASHKEEL = re.compile("[\u064b-\u0652\u0670\u0640]")
# Invisible format characters: zero-width space/joiners, LRM/RLM, bidi
# embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), word
# joiner, BOM.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
# Applied after NFC, so composed hamza forms (أ = U+0623) are seen whole.
_FOLD = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",  # alef with hamza/madda/wasla
        "ى": "ي", "ة": "ه",  # alef maqsura, taa marbuta
        "ی": "ي", "ک": "ك", "ۀ": "ه",  # Persian yeh, keheh, heh with yeh above
        "٫": ".", "٬": ",", "،": ",", "؛": ";", "؟": "?",  # Arabic punctuation and separators
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
    }
)


def remove_tashkeel(text: str) -> str:
    """Remove Arabic diacritics (U+064B-U+0652, U+0670) and tatweel (U+0640).

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


def for_embedding(text: str) -> str:
    """A question or passage as it is embedded: without invisible controls and diacritics.

    A fully vowelled text (``مَا حَجْمُ التَّبَادُلِ``) embeds far from
    unvowelled text unless its marks are removed; both sides get the same
    treatment, so vowelled questions meet plain articles and the other way round.
    """
    return remove_tashkeel(remove_invisible(text))


def normalize(text: str) -> str:
    """The matching form of ``text`` (see the module docstring for each rule).

    The result has the same words as ``text`` but not the same length, so
    offsets into it do not index the original.

    Example:
        >>> normalize("إلى مدينةِ دبيّ في ٢٠١٩، بنسبة ٢٫٩٪")
        'الي مدينه دبي في 2019, بنسبه 2.9٪'
    """
    text = unicodedata.normalize("NFC", remove_invisible(text))
    return remove_tashkeel(text).translate(_FOLD).casefold()
