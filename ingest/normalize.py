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

On top of :func:`normalize`, :func:`strip_prefixes` and :func:`lexical_tokens`
give the word forms of lexical search and answer checks: the light10
stemmer's prefixes and suffixes (Larkey, Ballesteros and Connell 2007),
so ``والصين``, ``بالصين`` and ``الصين`` meet.

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
# fmt: off
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
# fmt: on


# Surrogate code points: never characters on their own. Python strings hold
# them only when broken input got in (a lone "\ud83d" from JSON or a
# JavaScript string, bytes decoded with errors="surrogateescape" as the
# command line is); UTF-8 cannot encode them.
_SURROGATE = re.compile("[\ud800-\udfff]")


def spelt_length(text: str) -> int:
    """Length of ``text`` in code points once in NFKC, as the embedding model reads it (ﷺ spells 18).

    Every length limit on text that reaches the model counts this way (questions, history turns, articles, replies).
    """
    return len(unicodedata.normalize("NFKC", text))


def replace_surrogates(text: str) -> str:
    r"""Replace lone surrogates (U+D800-U+DFFF), which UTF-8 cannot encode, by U+FFFD REPLACEMENT CHARACTER.

    Example:
        >>> replace_surrogates("abc\ud83dxyz")
        'abc\ufffdxyz'
    """
    return _SURROGATE.sub("\ufffd", text)


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


# Word-initial prefixes of the light10 stemmer (Larkey et al. 2007): the
# definite article and its proclitic forms when two letters remain, else the
# conjunction و when three remain. Applied to normalised text.
_LIGHT10_PREFIX = re.compile(r"(?<!\S)(?:(?:وال|بال|كال|فال|لل|ال)(?=\S\S)|و(?=\S\S\S))")
# light10's suffixes, normalised (ة → ه, ى → ي), longest first.
_LIGHT10_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_ARABIC = re.compile("[\u0621-\u064a]")

_STOPWORDS_AS_WRITTEN = """
    في من الي علي عن ان او ما ماذا لماذا هل كم متي اين كيف اي التي الذي الذين اللذين اللتين هذا هذه ذلك تلك
    هو هي هم هما نحن انت كان كانت يكون تكون قد لا لم لن مع بين ثم حتي اذا كل بعد قبل عند منذ لكن بل غير
    ايضا حيث وقد فقد انه انها الا
    a an the of in on at to for from by with about as is are was were be been being do does did what which
    who whom whose when where why how that this these those it its they them their there than then and or
    but not no yes into over under after before during between will would can could should may might has
    have had i you he she we his her our your
    """.split()


def strip_prefixes(text: str) -> str:
    """Remove light10's word-initial prefixes (ال وال بال كال فال لل, then و) from normalised text.

    Example:
        >>> strip_prefixes("والصين وزير للولايات الي")
        'صين زير ولايات الي'
    """
    return _LIGHT10_PREFIX.sub("", text)


#: Function words dropped from lexical tokens, as they look after
#: :func:`normalize` and :func:`strip_prefixes` (``الذي`` → ``ذي``): Arabic
#: particles, pronouns and question words, and the common English ones.
STOPWORDS = frozenset(strip_prefixes(w) for w in _STOPWORDS_AS_WRITTEN)


def _light_stem(word: str) -> str:
    if not _ARABIC.match(word):
        return word
    for suffix in _LIGHT10_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def lexical_tokens(text: str) -> list[str]:
    """Tokens of ``text`` for lexical search (BM25) and word overlap.

    :func:`normalize`, then words and numbers (``102.5`` stays one token;
    punctuation goes), light10 prefixes and one suffix removed from Arabic
    words, :data:`STOPWORDS` dropped. Numbers and Latin-script names come out
    the same from Arabic and English text, which is what lets an English
    question meet an Arabic passage lexically.

    Example:
        >>> lexical_tokens("نما حجم التجارة بنسبة 29.8% في 2019")
        ['نما', 'حجم', 'تجار', 'بنسب', '29.8', '2019']
    """
    words = _TOKEN.findall(strip_prefixes(normalize(text)))
    return [t for w in words if w not in STOPWORDS and (t := _light_stem(w)) not in STOPWORDS]
