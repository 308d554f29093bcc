"""What a question asks for, and whether a sentence states it: key terms, across languages, and the answer type.

A question asks for something specific: a figure, a date, a name, about
named things. It is answerable from a sentence when that sentence (or its
passage) holds the question's key terms and something of the asked type.
This module measures both, per candidate sentence, in ways that do not
depend on what else is stored (no corpus statistics):

* **key terms** (:func:`question_terms`): the question's content words,
  numbers and names, as stems (Arabic: :func:`ingest.normalize.lexical_tokens`,
  light10; English: the Snowball stemmer, Porter 2001, ``snowballstemmer``);
  names and numbers weigh :data:`SPECIFIC_WEIGHT`;
* **across languages** (:class:`BilingualLexicon`): an English term meets an
  Arabic sentence through FreeDict's English-Arabic and Arabic-English
  dictionaries (Debian's ``dict-freedict-eng-ara`` and ``dict-freedict-ara-eng``,
  Arabeyes word list, GPL-2+; read from the system at run time, not shipped);
  numbers and Latin-script names meet as written;
* **answer type** (:func:`asked_type`): كم / how many → a number; كم كلف /
  how much did it cost → an amount of money; بأي نسبة / what percentage → a
  percentage; متى / when → a date or day; من / who → a person or body;
  أين / where → a place. Whether a sentence holds a number, an amount, a
  percentage or a date is read off its text (:func:`holds_type`); persons and
  places are not recognised, and count as unknown.
"""

from __future__ import annotations

import functools
import gzip
import logging
import os
import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from ingest.normalize import for_embedding, lexical_tokens, normalize

log = logging.getLogger(__name__)
_K = TypeVar("_K")

#: Kinds of answer a question asks for (:func:`asked_type`).
AnswerType = Literal["number", "money", "percent", "date", "person", "place"]
#: Weight of a number or a name among a question's key terms (a plain word weighs 1):
#: a figure or a name the article does not hold is the surest sign it does not answer.
SPECIFIC_WEIGHT = 2.0
#: Version of the cached lexicon's content (bump when stemming or parsing changes).
LEXICON_FORMAT = 1
#: Where Debian's FreeDict packages put the two dictionaries (dictd format, gzip).
FREEDICT_PATHS = (
    Path("/usr/share/dictd/freedict-eng-ara.dict.dz"),
    Path("/usr/share/dictd/freedict-ara-eng.dict.dz"),
)

# Words that ask rather than name what is asked about, as lexical tokens (after the stopwords
# that ingest.normalize drops): they are not key terms.
_ASKING_WORDS = frozenset(
    lexical_tokens(
        """
        much many happen happened happens according article say says said tell told report reported mention
        mentioned name named give given gives kind sort type role reason also exactly main briefly please
        ماذا حدث يحدث قال قالت يقول تقول ذكر يذكر تذكر المقال بحسب حسب وفق وفقا اسم عدد نوع ما متى اين
        """
    )
) | {"whats", "what's"}
_LATIN = re.compile(r"[a-z]")
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")
_DIGIT = re.compile(r"\d")


@functools.lru_cache(maxsize=1)
def _english_stemmer() -> object:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """The stem a lexical token is matched by: Snowball English for Latin-script words, the token itself otherwise
    (Arabic tokens are already light10-stemmed by :func:`ingest.normalize.lexical_tokens`; numbers stay as written)."""
    if _LATIN.match(token) and not _DIGIT.search(token):
        return str(_english_stemmer().stemWord(token))  # type: ignore[attr-defined]
    return token


@functools.lru_cache(maxsize=16384)
def stems(text: str) -> frozenset[str]:
    """The stems of the lexical tokens of ``text`` (:func:`stem`); cached, since the same passages and
    sentences come back question after question (16,384 texts, a few MB)."""
    return frozenset(stem(t) for t in lexical_tokens(text))


@dataclass(frozen=True, slots=True)
class Term:
    """A key term of a question.

    Attributes:
        stem: Its stem (:func:`stem`).
        text: The lexical token it comes from (names are matched across scripts by it, unstemmed).
        specific: A number, or a name (a capitalised English word inside the question, or a
            Latin-script word in an Arabic question); weighs :data:`SPECIFIC_WEIGHT`.
    """

    stem: str
    specific: bool
    text: str = ""

    @property
    def weight(self) -> float:
        return SPECIFIC_WEIGHT if self.specific else 1.0


def question_terms(question: str) -> list[Term]:
    """The key terms of a question, each once, in order: its lexical tokens without question and asking words.

    Example:
        >>> [t.stem for t in question_terms("How much did the Ningxia exercises cost?")]
        ['ningxia', 'exercis', 'cost']
    """
    capitalised = {w.lower() for w in re.findall(r"(?<=\s)[A-Z][\w'-]*", question)}
    arabic = bool(_ARABIC_LETTER.search(question))
    terms: dict[str, Term] = {}
    for token in lexical_tokens(question):
        if token in _ASKING_WORDS or len(token) < 2:
            continue
        specific = bool(_DIGIT.search(token)) or token in capitalised or (arabic and bool(_LATIN.match(token)))
        s = stem(token)
        if s not in terms:
            terms[s] = Term(s, specific, token)
    return list(terms.values())


def _near(a: str, b: str) -> bool:
    """Whether two Arabic stems are one word: equal, or one inside the other differing by at most 2 letters
    (light stemming leaves affixes: ``جنديا``/``جند``, ``تكلف``/``كلف``)."""
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 3 and len(long) - len(short) <= 2 and short in long and bool(_ARABIC_LETTER.match(short))


class BilingualLexicon:
    """English ↔ Arabic word translations, by stem (:func:`stem`), from FreeDict's dictionaries.

    Args:
        pairs: ``(english stem, arabic stem)`` pairs.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.arabic_of: dict[str, set[str]] = {}
        self.english_of: dict[str, set[str]] = {}
        for en, ar in pairs:
            self.arabic_of.setdefault(en, set()).add(ar)
            self.english_of.setdefault(ar, set()).add(en)
        self.size = sum(len(v) for v in self.arabic_of.values())

    def __len__(self) -> int:
        return self.size

    @classmethod
    def from_freedict(cls, paths: Sequence[Path] = FREEDICT_PATHS, cache: Path | None = None) -> BilingualLexicon:
        """Read the dictd ``.dict.dz`` files that exist among ``paths``; an empty lexicon (logged) if none does.

        A headword line is ``word /IPA/``; the lines under it are its
        translations (``1. …``, ``2. …``). Only headwords and translations of
        one or two words are kept: longer ones are glosses, not translations.

        Args:
            cache: A folder where the stemmed pairs are kept (tab-separated, named after the
                files' sizes and times): reading the dictionaries takes about 6 s, the cache 0.2 s.
        """
        found = [p for p in paths if p.is_file()]
        key = "-".join(f"{p.stat().st_size}.{int(p.stat().st_mtime)}" for p in found)
        cached = cache / f"lexicon-{LEXICON_FORMAT}-{key}.tsv" if cache is not None and found else None
        if cached is not None and cached.is_file():
            try:
                return cls(tuple(line.split("\t", 1)) for line in cached.read_text(encoding="utf-8").splitlines())  # type: ignore[misc]
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                log.warning("cannot read the lexicon cache %s (%s): reading the dictionaries", cached, exc)
        pairs: list[tuple[str, str]] = []
        if not found:
            log.warning(
                "no bilingual dictionary found at %s: English questions meet Arabic sentences only through "
                "numbers, names and embeddings (apt-get install dict-freedict-eng-ara dict-freedict-ara-eng)",
                ", ".join(map(str, paths)),
            )
        for path in found:
            try:
                with gzip.open(path, "rt", encoding="utf-8") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError, EOFError) as exc:
                log.warning("cannot read the dictionary %s (%s): skipped", path, exc)
                continue
            pairs.extend(_freedict_pairs(text))
        pairs = sorted(set(pairs))
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text("".join(f"{en}\t{ar}\n" for en, ar in pairs), encoding="utf-8")
                os.replace(tmp, cached)
            except OSError as exc:
                log.warning("cannot write the lexicon cache %s (%s)", cached, exc)
        return cls(pairs)


def _freedict_pairs(text: str) -> Iterable[tuple[str, str]]:
    headword: list[str] = []
    for line in text.splitlines():
        m = re.fullmatch(r"(\S.*?) /[^/]*/", line)
        if m:
            headword = lexical_tokens(m.group(1))
            continue
        translation = lexical_tokens(re.sub(r"^\s*\d+\.\s*", "", line))
        if not headword or not translation or len(headword) > 2 or len(translation) > 2:
            continue
        for a in headword:
            for b in translation:
                a_ar, b_ar = bool(_ARABIC_LETTER.match(a)), bool(_ARABIC_LETTER.match(b))
                if a_ar != b_ar and not _DIGIT.search(a + b):
                    yield (stem(b), a) if a_ar else (stem(a), b)


@functools.lru_cache(maxsize=1)
def default_lexicon() -> BilingualLexicon:
    """The lexicon from Debian's FreeDict files (:data:`FREEDICT_PATHS`), read once per process, on first use,
    through a cache in the user's cache folder (``platformdirs.user_cache_dir("article-qa")``)."""
    import platformdirs

    lexicon = BilingualLexicon.from_freedict(cache=Path(platformdirs.user_cache_dir("article-qa")))
    log.info("bilingual lexicon: %d English-Arabic pairs", len(lexicon))
    return lexicon


def _in(term: str, sentence: AbstractSet[str]) -> bool:
    if term in sentence:
        return True
    return bool(_ARABIC_LETTER.match(term)) and any(_near(term, s) for s in sentence)


# Arabic letters and English spellings reduced to one consonant skeleton, so that a name written in
# both scripts (نينجشيا / Ningxia, نوفوستي / Novosti, كارنجي / Carnegie) comes out the same: vowels,
# long-vowel letters, hamza, ʿayn and h are dropped; voiced and voiceless pairs and sibilants merge.
_ARABIC_SKELETON = str.maketrans(
    {
        **dict.fromkeys("اأإآءؤئعوىيةهح", ""),
        **dict.fromkeys("بپ", "b"),
        **dict.fromkeys("تطثدضذ", "t"),
        **dict.fromkeys("جغگ", "j"),
        **dict.fromkeys("خقك", "k"),
        **dict.fromkeys("زسشصظ", "s"),
        "ر": "r", "ف": "f", "ڤ": "f", "ل": "l", "م": "m", "ن": "n",
    }
)  # fmt: skip
_LATIN_DIGRAPHS = (("sh", "s"), ("ch", "s"), ("kh", "k"), ("th", "t"), ("ph", "f"), ("gh", "j"), ("ck", "k"))
_LATIN_SKELETON = str.maketrans(
    {**dict.fromkeys("aeiouyhw'", ""), "p": "b", "d": "t", "g": "j", "c": "k", "q": "k", "v": "f", "x": "s", "z": "s"}
)


@functools.lru_cache(maxsize=65536)
def skeleton(token: str) -> str:
    """The consonant skeleton of a word in either script, for matching names across scripts.

    Example:
        >>> skeleton("نينجشيا") == skeleton("ningxia"), skeleton("نوفوستي") == skeleton("novosti")
        (True, True)
    """
    if _ARABIC_LETTER.match(token):
        out = token.translate(_ARABIC_SKELETON)
    else:
        out = token.lower()
        for a, b in _LATIN_DIGRAPHS:
            out = out.replace(a, b)
        out = out.translate(_LATIN_SKELETON)
    return re.sub(r"(.)\1+", r"\1", out)


def _same_name(term: str, sentence: Iterable[str]) -> bool:
    """Whether a word of ``sentence`` in the other script has the skeleton of ``term`` (at least 3 consonants,
    so that short words do not meet by chance; from 4 on, one may differ: SequenceMatcher ratio ≥ 0.8)."""
    key, arabic = skeleton(term), bool(_ARABIC_LETTER.match(term))
    if len(key) < 3:
        return False
    return any(
        bool(_ARABIC_LETTER.match(word)) != arabic and not _DIGIT.search(word) and _close_skeletons(key, skeleton(word))
        for word in sentence
    )


@functools.lru_cache(maxsize=65536)
def _close_skeletons(key: str, other: str) -> bool:
    """Whether two skeletons (:func:`skeleton`) are one name: equal, or, both of 4 or more letters,
    SequenceMatcher's ratio ≥ 0.8 (its cheap upper bounds first, as ``difflib.get_close_matches`` does)."""
    from difflib import SequenceMatcher

    if other == key:
        return True
    if min(len(key), len(other)) < 4 or 2 * min(len(key), len(other)) / (len(key) + len(other)) < 0.8:
        return False
    matcher = SequenceMatcher(None, key, other)
    return matcher.quick_ratio() >= 0.8 and matcher.ratio() >= 0.8


def found_in(term: Term, sentence: AbstractSet[str], lexicon: BilingualLexicon | None = None) -> bool:
    """Whether ``term`` is in a text whose stems are ``sentence``: as written, by a translation in
    ``lexicon``, or, for a name (a specific term or one the lexicon does not know), as the same
    consonants in the other script (:func:`skeleton`)."""
    if _in(term.stem, sentence):
        return True
    if _DIGIT.search(term.stem):
        return False
    translations = (
        (lexicon.arabic_of.get(term.stem) or lexicon.english_of.get(term.stem)) if lexicon is not None else None
    )
    if translations and any(_in(t, sentence) for t in translations):
        return True
    return (term.specific or not translations) and _same_name(term.text or term.stem, sentence)


class TermMatcher:
    """:func:`found_in` for one question's terms, word after word, with set lookups instead of scans.

    A word matches a term as :func:`found_in` says (its stem, a translation, a near Arabic form, a
    name's consonants in the other script); the near forms are precomputed as the substrings that
    :func:`_near` allows, so one word costs a few set lookups.

    Args:
        terms: The question's key terms (:func:`question_terms`).
        lexicon: The bilingual lexicon, or ``None``.
    """

    def __init__(self, terms: Sequence[Term], lexicon: BilingualLexicon | None = None) -> None:
        self.terms = list(terms)
        self.lexicon = lexicon
        self._forms: list[tuple[set[str], set[str]]] = []
        self._names: list[str | None] = []
        for term in self.terms:
            translations = set()
            if lexicon is not None and not _DIGIT.search(term.stem):
                translations = lexicon.arabic_of.get(term.stem) or lexicon.english_of.get(term.stem) or set()
            exact = {term.stem, *translations}
            near = {sub for form in exact for sub in _near_forms(form)}
            self._forms.append((exact, near))
            named = not _DIGIT.search(term.stem) and (term.specific or not translations)
            self._names.append(term.text or term.stem if named else None)
        # Every term's forms at once: most words match none, and two lookups say so.
        self._any_exact = {f for exact, _ in self._forms for f in exact}
        self._any_form = self._any_exact | {f for _, near in self._forms for f in near}
        # (term index, skeleton, written in Arabic) of the names, as _same_name takes them: 3 consonants or more.
        self._name_keys = [
            (i, skeleton(name), bool(_ARABIC_LETTER.match(name)))
            for i, name in enumerate(self._names)
            if name is not None and len(skeleton(name)) >= 3
        ]
        self._cache: dict[frozenset[str], float] = {}
        self._by_stem: dict[str, frozenset[int]] = {}

    def _matched(self, word: str) -> frozenset[int]:
        """Indices of the terms that one stem matches (cached: a question meets the same words again and again)."""
        got = self._by_stem.get(word)
        if got is None:
            matched = set()
            shorter = _near_forms(word)
            if word in self._any_form or not self._any_exact.isdisjoint(shorter):
                matched = {
                    i
                    for i, (exact, near) in enumerate(self._forms)
                    if word in exact or word in near or not exact.isdisjoint(shorter)
                }
            if self._name_keys and not _DIGIT.search(word):  # _same_name, with the word's skeleton made once
                arabic, key = bool(_ARABIC_LETTER.match(word)), skeleton(word)
                matched |= {
                    i for i, name, script in self._name_keys if script != arabic and _close_skeletons(name, key)
                }
            got = self._by_stem[word] = frozenset(matched)
        return got

    def found(self, text: Iterable[str]) -> frozenset[int]:
        """Indices into :attr:`terms` of the terms found in a text whose stems are ``text``
        (each as :func:`found_in` says)."""
        return frozenset().union(*(self._matched(s) for s in text))

    def coverage(self, text: Iterable[str]) -> float:
        """:func:`coverage` of the terms in a text whose stems are ``text``, in [0, 1]; 0 for no terms."""
        return self.share(self.found(text))

    def share(self, found: frozenset[int]) -> float:
        """The weighted share (:attr:`Term.weight`) of the terms whose indices are ``found``, in [0, 1]; 0 for no terms."""
        total = sum(t.weight for t in self.terms)
        return sum(self.terms[i].weight for i in found) / total if total else 0.0

    def missing_specific(self, text: Iterable[str]) -> int:
        """:func:`missing_specific`: how many of the numbers and names among the terms are not in ``text``."""
        return self.missing(self.found(text))

    def missing(self, found: frozenset[int]) -> int:
        """How many of the numbers and names among the terms are not among the indices ``found``."""
        return sum(1 for i, t in enumerate(self.terms) if t.specific and i not in found)

    def weight(self, word: frozenset[str]) -> float:
        """The largest weight (:attr:`Term.weight`) of a term found in a word whose stems are ``word``; 0.0 for none."""
        if word in self._cache:
            return self._cache[word]
        best = max((self.terms[i].weight for i in self.found(word)), default=0.0)
        self._cache[word] = best
        return best


@functools.lru_cache(maxsize=65536)
def _near_forms(form: str) -> frozenset[str]:
    """The Arabic stems :func:`_near` takes for one word with ``form``: its substrings of at least 3 letters
    and at most 2 shorter, that start with an Arabic letter."""
    n = len(form)
    return frozenset(
        form[a : a + size]
        for size in range(max(3, n - 2), n)
        for a in range(n - size + 1)
        if _ARABIC_LETTER.match(form[a])
    )


def coverage(terms: Sequence[Term], sentence: AbstractSet[str], lexicon: BilingualLexicon | None = None) -> float:
    """Weighted share of ``terms`` found in a text whose stems are ``sentence`` (:func:`found_in`), in [0, 1];
    0 for no terms. For many texts and one question, :meth:`TermMatcher.coverage` reuses its work."""
    return TermMatcher(terms, lexicon).coverage(sentence)


def missing_specific(terms: Sequence[Term], text: AbstractSet[str], lexicon: BilingualLexicon | None = None) -> int:
    """How many of the question's numbers and names are not in a text whose stems are ``text``
    (:meth:`TermMatcher.missing_specific` for many texts)."""
    return TermMatcher(terms, lexicon).missing_specific(text)


# -- answer types ---------------------------------------------------------------------------

_W = r"(?:^|(?<=[\s\"'«(،,؟?]))"  # start of a word, in text where Arabic words carry no \b
_TYPE_QUESTIONS: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    (
        "percent",
        re.compile(
            _W + r"(?:[وف]?بأي نسب[ةه]|[وف]?ما (?:هي )?نسب[ةه]|كم (?:في المائة|في المئة|بالمئة|بالمائة|نسب[ةه]))"
            r"|\b(?:what percentage|by what percentage|what share|what proportion|by how many percent)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "money",
        re.compile(
            _W + r"(?:[وف]?(?:كم|بكم) (?:كلف|تكلف|يكلف|بلغت? (?:تكلف|كلف|قيم|ميزاني)|سعر|ثمن|دفع|أنفق|انفق)"
            r"|[وف]?ما (?:هي )?(?:تكلف[ةه]|كلف[ةه]|سعر|ثمن|قيم[ةه]|ميزاني[ةه]))"
            r"|\bhow much\b.*\b(?:cost|costs|spend|spent|pay|paid|worth|price|budget|invest|invested|raise|raised)\b"
            r"|\bwhat (?:was|is|were|are|will be)? ?the (?:cost|price|budget|value|fee|fine|salary)\b"
            r"|\b(?:cost|price|budget) of\b",
            re.IGNORECASE,
        ),
    ),
    (
        "number",
        re.compile(
            _W + r"(?:[وف]?كم|بكم|[وف]?ما (?:هو )?(?:عدد|حجم|مقدار|قيم[ةه])|[وف]?ما هو حجم)(?=\s|$)"
            r"|" + _W + r"(?:[وف]?(?:عمر|عدد|حجم|مساح[ةه]|طول|ارتفاع|درج[ةه] حرار[ةه]) )"
            r"|\b(?:how (?:many|much|long|far|old|big|large|high|tall|deep|fast)|what (?:number|amount|size|volume|"
            r"age|temperature|distance|length|height|population)|number of|at what (?:age|temperature|speed))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "date",
        re.compile(
            _W + r"(?:[وف]?متى|في أي (?:عام|سنة|سنه|يوم|شهر|تاريخ|قرن)|أي يوم|ما (?:هو )?تاريخ|منذ متى)(?=\s|$|[؟?])"
            r"|\b(?:when|what (?:year|day|date|month|century)|which (?:year|day|month|century)|since when)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "place",
        re.compile(
            _W + r"(?:[وف]?أين|[وف]?اين|في أي (?:مدين[ةه]|دول[ةه]|بلد|مقاطع[ةه]|منطق[ةه]|ولاي[ةه]|مكان))(?=\s|$|[؟?])"
            r"|\b(?:where|in which (?:city|country|province|region|state|town|place)|what (?:city|country|place))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "person",
        re.compile(
            _W + r"(?:[وف]?من (?:هو|هي|هم|هما|الذي|التي|الذين)|[وف]?من (?=\S+\s)(?!أجل|بين|قبل|بعد|خلال))"
            r"|\b(?:who|whom|whose|which (?:person|man|woman|leader|president|minister|player|coach|team))\b",
            re.IGNORECASE,
        ),
    ),
)


def plain_question(question: str) -> str:
    """A question as its question words are recognised: without diacritics, tatweel and invisible controls
    (``مَتَى``, ``مـتـى`` and ``\u200fمتى`` are ``متى``)."""
    return for_embedding(question)


def first_matching(question: str, patterns: Sequence[tuple[_K, re.Pattern[str]]]) -> _K | None:
    """The label of the first of ``patterns`` found in the plain question (:func:`plain_question`, whitespace
    collapsed), or ``None``: how question words decide a question's answer type and kind."""
    text = " ".join(plain_question(question).split())
    return next((label for label, pattern in patterns if pattern.search(text)), None)


def asked_type(question: str) -> AnswerType | None:
    """The kind of answer a question asks for, from its question words (first match in the order
    percent, money, number, date, place, person), else ``None``.

    Example:
        >>> asked_type("How much did the Ningxia exercises cost?"), asked_type("متى عقد الاجتماع؟")
        ('money', 'date')
    """
    return first_matching(question, _TYPE_QUESTIONS)


_NUMBER_WORDS = (
    "ألف آلاف الف الاف ألفا مليون ملايين مليار مليارات مئة مائة مئات عشرة عشر عشرات اثنان اثنين ثلاثة أربعة خمسة "
    "ستة سبعة ثمانية تسعة عشرين ثلاثين أربعين خمسين نصف ربع ثلث "
    "hundred hundreds thousand thousands million millions billion billions dozen dozens one two three four five six "
    "seven eight nine ten eleven twelve twenty thirty forty fifty half quarter"
).split()
_NUMBER_TEXT = re.compile(r"\d|" + _W + "(?:" + "|".join(map(re.escape, _NUMBER_WORDS)) + r")(?=\W|$)", re.IGNORECASE)
_MONEY_TEXT = re.compile(
    r"[$€£¥]|"
    + _W
    + r"(?:[وبل]?(?:ال)?(?:دولار|يورو|جنيه|ريال|درهم|دينار|روبل|يوان|ليرة|ليره|فرنك|ين|شلن|شيلن|روبي)\w*"
    r"|dollars?|euros?|pounds?|yuan|roubles?|rubles?|francs?|yen|shillings?|rupees?|lira|dinars?|riyals?|dirhams?|usd|eur|gbp)(?=\W|$)",
    re.IGNORECASE,
)
_PERCENT_TEXT = re.compile(r"[%٪]|بالمئة|بالمائة|في المئة|في المائة|\bper ?cent\b", re.IGNORECASE)
_MONTHS_DAYS = (
    "يناير فبراير مارس أبريل ابريل مايو يونيو يوليو أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر ديسمبر "
    "كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة السبت "
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday"
).split()
_DATE_TEXT = re.compile(
    r"\b(?:1[0-9]|20)\d\d\b|(?<!\d)\d{3,4}(?= ?(?:م|هـ|ad|bc)\b)|القرن|century|"
    + _W
    + "(?:"
    + "|".join(sorted(map(re.escape, _MONTHS_DAYS), key=len, reverse=True))
    + ")",
    re.IGNORECASE,
)
#: The text patterns of the answer types that can be checked in text (a person or a place cannot).
TYPE_PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    "number": _NUMBER_TEXT,
    "money": _MONEY_TEXT,
    "percent": _PERCENT_TEXT,
    "date": _DATE_TEXT,
}


def holds_type(text: str, kind: AnswerType | None) -> bool | None:
    """Whether ``text`` holds an answer of ``kind``: ``True``/``False`` for numbers, amounts, percentages and
    dates; ``None`` when ``kind`` is ``None``, a person or a place (not recognised in text)."""
    pattern = TYPE_PATTERNS.get(kind) if kind else None
    if pattern is None:
        return None
    # Dates also in normalised text: month names with hamza forms and diacritics written either way.
    return bool(pattern.search(text) or (kind == "date" and pattern.search(normalize(text))))
