"""Short answers: the words of a quoted sentence that answer the question (SQuAD-style spans, no reader model).

Every run of 1 to :data:`MAX_SPAN_WORDS` words of a quoted sentence is a
candidate span. Each is described by features that need no trained reader
(:data:`SPAN_FEATURES`): its length; how many of its words the question already
says (an answer seldom repeats the question); how far it is from the sentence's
words that match the question's key terms, counting content words only, and how
much of the question is matched within 3 and 8 words of it (an answer sits next
to them: the distance and window features of Rajpurkar et al. 2016's logistic
regression baseline); whether its edges are function words or punctuation, and
which function word comes just before and after it; whether it holds the asked
type of answer (a figure, an amount, a percentage, a date) or a percentage that
was not asked for; whether it looks like a name (Latin script in Arabic text, a
capital inside English text, an Arabic word the bilingual lexicon does not know
once its affixes are off); and the kind of question (:func:`question_kind`)
crossed with those. A linear model per group of kinds (:data:`KIND_GROUPS`;
weights in :data:`SPAN_MODEL_FILE`, fitted by ``benchmarks/short_answers.py
--fit`` as a softmax over each question's candidates, on the fit split: XQuAD
dev's even-numbered articles and ``sample_questions.jsonl``) scores them. The softmax probability of
the best one is its confidence: under :data:`MIN_SPAN_PROBABILITY` no short
answer is given (the quote still stands).

Question words match sentence words as in :mod:`assistant.evidence`
(:class:`assistant.evidence.TermMatcher`: by stem, through the English-Arabic
lexicon, and for names by their consonants across scripts), so an English
question about an Arabic article gets the article's Arabic words. The chosen
span is tidied (:func:`tidy_span`): a number keeps its scale and unit words, a
date the rest of the date, and a conjunction or preposition glued to an Arabic
definite article or a number leaves its start.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from assistant.evidence import (
    TYPE_PATTERNS,
    AnswerType,
    BilingualLexicon,
    Term,
    TermMatcher,
    asked_type,
    default_lexicon,
    first_matching,
    question_terms,
    stem,
)
from assistant.types import Citation, ShortAnswer
from ingest.normalize import lexical_tokens

#: Longest candidate span, in words (XQuAD dev Arabic: 95% of gold answers have at most 8).
MAX_SPAN_WORDS = 10
#: Lowest softmax probability of the chosen span for a short answer to be given.
MIN_SPAN_PROBABILITY = 0.05
#: How many of the most probable runs of words are tidied and merged when they give the same span.
_MERGED = 20

_LATIN = re.compile(r"[A-Za-z]")
_ARABIC = re.compile("[\u0621-\u064a]")
_DIGIT = re.compile(r"[0-9\u0660-\u0669]")

#: Kinds of question, from their question word (:func:`question_kind`).
QUESTION_KINDS = ("who", "when", "where", "count", "why", "how", "which", "what")
_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "why",
        re.compile(
            r"^[وف]?لم |(?:^|\s)(?:[وف]?لماذا|ما (?:هو |هي )?(?:سبب|السبب|أسباب|دافع)|why\b|for what reason)", re.I
        ),
    ),
    (
        "count",
        re.compile(
            r"(?:^|\s)(?:[وف]?كم|بكم|ما (?:هو |هي )?(?:عدد|حجم|نسب|مقدار|قيم|تكلف|مساح|طول)|how (?:many|much|long|far|old|big|large)\b|what (?:percentage|number|amount|share)\b)",
            re.I,
        ),
    ),
    (
        "when",
        re.compile(
            r"(?:^|\s)(?:[وف]?متى|في أي (?:عام|سنة|سنه|يوم|شهر|تاريخ|قرن|وقت)|when\b|what (?:year|day|date|month|century|time)\b|which (?:year|day|month|century)\b|since when)",
            re.I,
        ),
    ),
    (
        "where",
        re.compile(
            r"(?:^|\s)(?:[وف]?أين|[وف]?اين|في أي (?:مدين|دول|بلد|مقاطع|منطق|ولاي|مكان)|where\b|in which (?:city|country|province|region|state|town|place)\b|what (?:city|country|place)\b)",
            re.I,
        ),
    ),
    (
        "who",
        re.compile(
            r"(?:^|\s)(?:[وف]?من (?:هو|هي|هم|هما|الذي|التي|الذين)|[وف]?من (?=\S+\s)(?!أجل|بين|قبل|بعد|خلال)|who\b|whom\b|whose\b)",
            re.I,
        ),
    ),
    ("how", re.compile(r"(?:^|\s)(?:[وف]?كيف|بأي (?:طريق|شكل)|how\b|in what way)", re.I)),
    (
        "which",
        re.compile(
            r"(?:^|\s)(?:[وف]?[أا]ي[ةه]? |[وف]?ما (?:هو |هي )?(?:اسم|ال)|which\b|what (?:is|was|are|were) the name\b)",
            re.I,
        ),
    ),
)
#: Words after which a reason is given (a "why" question's answer starts there).
_REASON_WORDS = frozenset(
    stem(t) for t in "لأن لان بسبب نتيجة بفضل لكي كي حتى لأجل because due since owing thanks result order".split()
) | frozenset("لأن لان بسبب نتيجة بفضل لكي كي لأجل because due since".split())

#: Function words whose presence just before or after a span is a feature of its own.
FUNCTION_WORDS = tuple(
    "في من إلى الى على عن هو هي هم كان كانت عام سنة منذ مع بين حتى أن ان التي الذي بعد قبل "
    "in of to on at from by is was are were the a an for with as and that which since".split()
)
_FUNCTION_INDEX = {w: k for k, w in enumerate(FUNCTION_WORDS)}
#: Words that are not a span's content though the lexical stopwords keep them (prepositions, auxiliaries).
EDGE_WORDS = frozenset(
    "بواسطة عبر خلال ضد لدى نحو دون مثل حول تم يتم قام تقوم يقوم بشكل أيضا أيضاً وأيضا كما أما إما وهو وهي وكان "
    "وكانت إن أن بأن لأن وفقا وفقاً بحسب حسب بين ضمن عدة بعض جميع كل نفس سوى إلا عندما بينما "
    "by through during against about into over under between among within without also such".split()
)

_LENGTH_BUCKETS = ((1, 1), (2, 2), (3, 3), (4, 5), (6, 8), (9, MAX_SPAN_WORDS))


def question_kind(question: str) -> str:
    """The kind of a question (one of :data:`QUESTION_KINDS`), from its question word; ``"what"`` by default.

    Example:
        >>> question_kind("لماذا ألغيت الرحلة؟"), question_kind("How many people died?")
        ('why', 'count')
    """
    return first_matching(question, _KIND_PATTERNS) or "what"


#: Names of the features of a candidate span, in order (:func:`span_features`). Length in words, one-hot;
#: ``matched_*``: its words holding a question term; ``near_match``, ``content_gap_*``: 1 / (1 + distance)
#: to the nearest matched word (all words, content words only); ``match_left/right``: one right beside it;
#: ``maximal_*``: bounded by a matched word, a function word or punctuation; ``matched_*_3``, ``window_*``:
#: matched words (weights) within 3 (8) words; ``sandwiched``: matched on both sides within 2 content words;
#: ``type_*``: holds the asked type; ``name_*``: name-like words; ``before_w``/``after_w``: the function
#: word ``w`` right before / after it; ``{kind}_*``: the question's kind crossed with length, figures,
#: dates, names and matched words.
SPAN_FEATURES: tuple[str, ...] = (
    *(f"length_{a}_{b}" for a, b in _LENGTH_BUCKETS),
    "matched_share",
    "matched_any",
    "near_match",
    "match_left",
    "match_right",
    "no_match_in_sentence",
    "stop_first",
    "stop_last",
    "boundary_before",
    "boundary_after",
    "crosses_comma",
    "type_hit",
    "type_edges",
    "digit",
    "date",
    "name_share",
    "name_edges",
    "after_reason_word",
    "second_quote",
    "position",
    "content_gap_left",
    "content_gap_right",
    "maximal_left",
    "maximal_right",
    "matched_left_3",
    "matched_right_3",
    "conjunction_first",
    "definite_first",
    "all_stop",
    "window_3",
    "window_8",
    "window_sentence",
    "sandwiched",
    "percent_unasked",
    "percent_asked",
    *(f"before_{w}" for w in FUNCTION_WORDS),
    *(f"after_{w}" for w in FUNCTION_WORDS),
    *(f"{kind}_{f}" for kind in QUESTION_KINDS for f in ("short", "long", "digit", "date", "name", "matched_any")),
)
_KIND_CROSSES = 6


@dataclass(frozen=True, slots=True)
class SentenceLayout:
    """What each word of a sentence is, whatever the question (cached by :func:`sentence_layout`).

    Attributes:
        text: The sentence.
        bounds: ``(n, 2)`` int64: each word's start and end offset in ``text``, edge punctuation excluded.
        stems: Each word's stems (:func:`assistant.evidence.stem` of its lexical tokens).
        stop: ``(n,)`` bool: a function word (no lexical token, or one of :data:`EDGE_WORDS`).
        name: Name-like: Latin script in Arabic text, capitalised inside English text, or an Arabic word
            the lexicon does not know (:func:`_known_arabic`).
        digit, date: Holds a digit; is part of a date (:data:`assistant.evidence.TYPE_PATTERNS`).
        percent: Is a percentage or part of one (``29.8%``, ``بالمئة``).
        boundary_before, boundary_after: Punctuation (or the sentence's edge) before / after it.
        comma_after: A comma, colon or semicolon right after it.
        reason_before: Follows a word that introduces a reason (``لأن``, ``because``).
        function_id: Index in :data:`FUNCTION_WORDS`, or -1.
        conjunction: Starts with a conjunction و glued to it; definite: starts with ال (or is "the").
        particle: Length of a conjunction or preposition glued to an Arabic definite article or a number
            at its start, when what follows is a word of its own (a stem of 3 letters or more that the
            lexicon knows, or a number):
            ``والصين`` 1, ``بالنقابات`` 1, ``و8`` 1; 0 otherwise (``والدة``, ``فالنتين``).
    """

    text: str
    bounds: np.ndarray
    stems: tuple[frozenset[str], ...]
    stop: np.ndarray
    name: np.ndarray
    digit: np.ndarray
    date: np.ndarray
    percent: np.ndarray
    boundary_before: np.ndarray
    boundary_after: np.ndarray
    comma_after: np.ndarray
    reason_before: np.ndarray
    function_id: np.ndarray
    conjunction: np.ndarray
    definite: np.ndarray
    particle: np.ndarray


@dataclass(frozen=True, slots=True)
class SentenceWords:
    """A sentence's words for one question: its :class:`SentenceLayout` and what the question makes of each.

    Attributes:
        layout: The question-independent part.
        matched: ``(n,)`` bool: holds a key term of the question (:class:`assistant.evidence.TermMatcher`).
        weight: ``(n,)`` float32: that term's weight over the question's total weight, in [0, 1].
        typed: ``(n,)`` bool: part of an answer of the asked type (a figure, an amount...).
        percent_asked: The question asks for a percentage.
    """

    layout: SentenceLayout
    matched: np.ndarray
    weight: np.ndarray
    typed: np.ndarray
    percent_asked: bool = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.layout, name)


_GLUED = re.compile(r"(?:و?[بلكف]|و)(?=ال\w{2}|[0-9\u0660-\u0669])")


def _edge(ch: str) -> bool:
    """Whether a character is left out of a word's edges: punctuation (but ``%`` ``٪`` ``‰``), invisible
    format characters (bidi marks, zero-width), symbols such as emoji, and a tatweel."""
    category = unicodedata.category(ch)
    return (
        (category[0] == "P" and ch not in "%٪‰")
        or category in ("Cf", "So", "Sk", "Zs")
        or ch in "ـ\ufe0e\ufe0f\u20e3"  # tatweel; emoji variation selectors and keycap
    )


@functools.lru_cache(maxsize=4096)
def sentence_layout(text: str, lexicon: BilingualLexicon | None = None) -> SentenceLayout:
    """Split ``text`` into words (whitespace, edge punctuation removed) and say what each is
    (:class:`SentenceLayout`). Cached: an article's sentences come back question after question."""
    spans = []
    for m in re.finditer(r"\S+", text):
        a, b = m.start(), m.end()
        while a < b and _edge(text[a]):
            a += 1
        while b > a and _edge(text[b - 1]):
            b -= 1
        if a < b:
            spans.append((a, b, m.start(), m.end()))
    n = len(spans)
    bounds = np.array([(a, b) for a, b, _, _ in spans], dtype=np.int64).reshape(n, 2)
    arabic_text = bool(_ARABIC.search(text))
    char_date = _char_mask(text, TYPE_PATTERNS["date"])
    char_percent = _char_mask(text, TYPE_PATTERNS["percent"])
    stop, name, digit, date, percent = (np.zeros(n, dtype=bool) for _ in range(5))
    before, after, comma, reason, conj, definite = (np.zeros(n, dtype=bool) for _ in range(6))
    function_id = np.full(n, -1, dtype=np.int64)
    particle = np.zeros(n, dtype=np.int64)
    all_stems = []
    previous_stems: set[str] = set()
    for k, (a, b, ws, we) in enumerate(spans):
        word = text[a:b]
        lower = word.lower()
        word_stems = frozenset(stem(t) for t in lexical_tokens(word))
        all_stems.append(word_stems)
        stop[k] = not word_stems or lower in EDGE_WORDS
        digit[k] = bool(_DIGIT.search(word))
        date[k] = bool(char_date[a:b].any())
        percent[k] = bool(char_percent[a:b].any())
        if _LATIN.match(word):
            name[k] = arabic_text or (word[0].isupper() and k > 0)
        elif _ARABIC.match(word) and lexicon is not None and len(lexicon) and word_stems:
            name[k] = not any(_known_arabic(s, lexicon) for s in word_stems)
        before[k] = k == 0 or ws < a or text[spans[k - 1][1] : a].strip() != ""
        after[k] = k == n - 1 or b < we
        comma[k] = any(ch in "،,;؛:" for ch in text[b:we])
        reason[k] = bool(previous_stems & _REASON_WORDS)
        previous_stems = set(word_stems) | {lower}
        function_id[k] = _FUNCTION_INDEX.get(lower, -1)
        conj[k] = word.startswith("و") and (len(word) > 3 or word[1:2].isdigit()) and not stop[k] and word[1:2] != "ا"
        definite[k] = word.startswith(("ال", "وال", "بال", "لل")) or lower == "the"
        glued = _GLUED.match(word)
        if glued and (
            word[glued.end()].isdigit()
            or (
                lexicon is not None
                and any(len(t) >= 3 and t in lexicon.english_of for t in lexical_tokens(word[glued.end() :]))
            )
        ):
            particle[k] = glued.end()
    return SentenceLayout(
        text, bounds, tuple(all_stems), stop, name, digit, date, percent, before, after, comma, reason, function_id, conj,
        definite, particle,
    )  # fmt: skip


def sentence_words(
    text: str,
    terms: Sequence[Term],
    asked: AnswerType | None,
    lexicon: BilingualLexicon | None = None,
    matcher: TermMatcher | None = None,
) -> SentenceWords:
    """The words of ``text`` (:func:`sentence_layout`) and which of them hold the question's key terms
    (``terms``, through ``matcher`` if given) or the asked type of answer (``asked``)."""
    layout = sentence_layout(text, lexicon)
    matcher = matcher or TermMatcher(terms, lexicon)
    total = sum(t.weight for t in matcher.terms) or 1.0
    weight = np.array([matcher.weight(s) if s else 0.0 for s in layout.stems], dtype=np.float32) / total
    type_pattern = TYPE_PATTERNS.get(asked) if asked is not None else None
    if type_pattern is None:
        typed = np.zeros(len(layout.stems), dtype=bool)
    else:
        mask = _char_mask(text, type_pattern)
        typed = np.array([bool(mask[a:b].any()) for a, b in layout.bounds.tolist()], dtype=bool)
    return SentenceWords(layout, weight > 0, weight, typed, asked == "percent")


_ARABIC_SUFFIXES = (
    "هما",
    "تها",
    "ته",
    "ها",
    "هم",
    "هن",
    "كم",
    "نا",
    "ني",
    "وا",
    "ون",
    "ين",
    "ان",
    "ات",
    "ه",
    "ي",
    "ت",
    "ة",
)
_ARABIC_PREFIXES = ("س", "ي", "ت", "ن", "أ", "ا", "م", "ب", "ل", "ك", "ف", "و")


@functools.lru_cache(maxsize=65536)
def _known_arabic(token: str, lexicon: BilingualLexicon) -> bool:
    """Whether an Arabic lexical token is a word the lexicon knows, once a pronoun or plural suffix
    and a verb prefix are taken off: an Arabic word it does not know is likely a name."""
    forms = {token}
    forms |= {token[: -len(x)] for x in _ARABIC_SUFFIXES if token.endswith(x) and len(token) - len(x) >= 2}
    for _ in range(2):
        forms |= {f[1:] for f in list(forms) if f.startswith(_ARABIC_PREFIXES) and len(f) >= 4}
    return any(f in lexicon.english_of for f in forms)


def _char_mask(text: str, pattern: re.Pattern[str]) -> np.ndarray:
    mask = np.zeros(len(text) + 1, dtype=bool)
    for m in pattern.finditer(text):
        mask[m.start() : max(m.end(), m.start() + 1)] = True
    return mask


def candidate_bounds(n: int, max_words: int = MAX_SPAN_WORDS) -> tuple[np.ndarray, np.ndarray]:
    """Word index pairs ``(i, j)`` (first and last word) of every run of 1 to ``max_words`` of ``n`` words;
    two ``(m,)`` int arrays."""
    i, j = np.triu_indices(n)
    keep = j - i < max_words
    return i[keep], j[keep]


def span_features(words: SentenceWords, i: np.ndarray, j: np.ndarray, kind: str, quote_rank: int) -> np.ndarray:
    """Features of the candidate spans ``words[i..j]`` (:data:`SPAN_FEATURES`): ``(m, len(SPAN_FEATURES))`` float32."""
    n = len(words.stop)
    length = j - i + 1

    def inside(flags: np.ndarray) -> np.ndarray:
        prefix = np.concatenate([[0], np.cumsum(flags)])
        return (prefix[j + 1] - prefix[i]).astype(np.float32)

    matched_in = inside(words.matched)
    positions = np.flatnonzero(words.matched)
    if len(positions):
        k_left = np.searchsorted(positions, i) - 1
        left = np.where(k_left >= 0, i - positions[np.maximum(k_left, 0)], np.inf).astype(np.float32)
        k_right = np.searchsorted(positions, j, side="right")
        right = np.where(
            k_right < len(positions), positions[np.minimum(k_right, len(positions) - 1)] - j, np.inf
        ).astype(np.float32)
    else:
        left = right = np.full(len(i), np.inf, dtype=np.float32)
    nearest = np.minimum(left, right)
    prefix_comma = np.concatenate([[0], np.cumsum(words.comma_after)])
    crosses = (prefix_comma[j] - prefix_comma[i]) > 0
    digit_any = inside(words.digit) > 0
    date_any = inside(words.date) > 0
    percent_any = inside(words.percent) > 0
    name_share = inside(words.name) / length
    typed_any = inside(words.typed) > 0
    short, long_ = length <= 2, length >= 5
    # Distance to the nearest matched word counting only content words between (function words skipped).
    content = (~words.stop).astype(np.int64)
    prefix_content = np.concatenate([[0], np.cumsum(content)])
    content_left = np.full(len(i), np.inf, dtype=np.float32)
    content_right = np.full(len(i), np.inf, dtype=np.float32)
    if len(positions):
        k_left = np.searchsorted(positions, i) - 1
        has_left = k_left >= 0
        p_left = positions[np.maximum(k_left, 0)]
        content_left = np.where(has_left, prefix_content[i] - prefix_content[p_left + 1], np.inf).astype(np.float32)
        k_right = np.searchsorted(positions, j, side="right")
        has_right = k_right < len(positions)
        p_right = positions[np.minimum(k_right, len(positions) - 1)]
        content_right = np.where(has_right, prefix_content[p_right] - prefix_content[j + 1], np.inf).astype(np.float32)
    # A maximal run: the word before (after) is matched, a function word, punctuation, or the sentence's edge.
    edge_before = words.boundary_before[i] | np.where(
        i > 0, words.matched[np.maximum(i - 1, 0)] | words.stop[np.maximum(i - 1, 0)], True
    )
    edge_after = words.boundary_after[j] | np.where(
        j < n - 1, words.matched[np.minimum(j + 1, n - 1)] | words.stop[np.minimum(j + 1, n - 1)], True
    )
    maximal_left, maximal_right = edge_before, edge_after
    prefix_matched = np.concatenate([[0], np.cumsum(words.matched)])

    prefix_weight = np.concatenate([[0.0], np.cumsum(words.weight)])

    def around(size: int) -> np.ndarray:
        """Share of the question's term weight matched within ``size`` words before or after the span."""
        left_w = prefix_weight[i] - prefix_weight[np.maximum(i - size, 0)]
        right_w = prefix_weight[np.minimum(j + 1 + size, n)] - prefix_weight[j + 1]
        return (left_w + right_w).astype(np.float32)

    def window(size: int) -> np.ndarray:
        if size < 0:
            return (prefix_matched[i] - prefix_matched[np.maximum(i + size, 0)]).astype(np.float32)
        return (prefix_matched[np.minimum(j + 1 + size, n)] - prefix_matched[j + 1]).astype(np.float32)

    columns = [
        *((length >= a) & (length <= b) for a, b in _LENGTH_BUCKETS),
        matched_in / length,
        matched_in > 0,
        1.0 / (1.0 + nearest),
        left == 1,
        right == 1,
        np.full(len(i), not len(positions)),
        words.stop[i],
        words.stop[j],
        words.boundary_before[i],
        words.boundary_after[j],
        crosses,
        typed_any,
        words.typed[i] | words.typed[j],
        digit_any,
        date_any,
        name_share,
        words.name[i] & words.name[j],
        words.reason_before[i],
        np.full(len(i), quote_rank > 0),
        i / max(n, 1),
        1.0 / (1.0 + content_left),
        1.0 / (1.0 + content_right),
        maximal_left,
        maximal_right,
        window(-3),
        window(3),
        words.conjunction[i],
        words.definite[i],
        inside(words.stop) == length,
        around(3),
        around(8),
        np.full(len(i), float(words.weight.sum())),
        (content_left <= 2) & (content_right <= 2),
        percent_any & (not words.percent_asked),
        percent_any & words.percent_asked,
    ]
    m, dense = len(i), len(columns)
    x = np.zeros((m, len(SPAN_FEATURES)), dtype=np.float32)
    for c, column in enumerate(columns):
        x[:, c] = column
    # The function word just before and just after the span: one column per word, each side.
    rows = np.arange(m)
    prev_id = np.where(i > 0, words.function_id[np.maximum(i - 1, 0)], -1)
    next_id = np.where(j < n - 1, words.function_id[np.minimum(j + 1, n - 1)], -1)
    x[rows[prev_id >= 0], dense + prev_id[prev_id >= 0]] = 1.0
    x[rows[next_id >= 0], dense + len(FUNCTION_WORDS) + next_id[next_id >= 0]] = 1.0
    # The kind of question crossed with the span's length, figures, dates, names and matched words.
    at = dense + 2 * len(FUNCTION_WORDS) + _KIND_CROSSES * QUESTION_KINDS.index(kind)
    for c, column in enumerate((short, long_, digit_any, date_any, name_share, matched_in > 0)):
        x[:, at + c] = column
    return x


#: Which weights of :data:`SPAN_MODEL` score the spans of each kind of question.
KIND_GROUPS: dict[str, str] = {
    "when": "typed",
    "count": "typed",
    "where": "typed",
    "who": "entity",
    "which": "entity",
    "what": "entity",
    "why": "reason",
    "how": "reason",
}
#: Scale and unit words a number keeps after it (``102.5 مليار دولار``, ``3 million``, ``45%``).
SCALE_WORDS = frozenset(
    "ألف آلاف الف الاف مليون ملايين مليار مليارات تريليون بالمئة بالمائة المئة المائة دولار دولارا دولاراً "
    "يورو جنيه ريال درهم دينار روبل يوان كيلومتر كيلومترا كم متر مترا أمتار ميل ميلا طن أطنان ساعة ساعات دقيقة "
    "دقائق عاما سنة سنوات يوما أيام مليمتر سنتيمتر إنش إنشات بوصة قدم أقدام كيلوغرام كغ لتر برميل هكتار درجة "
    "thousand million billion trillion percent per cent dollars dollar euros pounds yuan roubles km kilometres "
    "kilometers miles metres meters tonnes tons hours minutes years days millimetres inches feet foot kilograms "
    "kg litres barrels hectares degrees % ٪ ‰".split()
)
#: File of the fitted weights (package data), written by ``benchmarks/short_answers.py --fit``.
SPAN_MODEL_FILE = "span_model.json"


@functools.lru_cache(maxsize=1)
def span_model() -> dict[str, np.ndarray]:
    """The fitted span weights by group of question kinds (:data:`KIND_GROUPS`), from :data:`SPAN_MODEL_FILE`:
    each ``(len(SPAN_FEATURES),)`` float64.

    Raises:
        ValueError: If the file's features are not :data:`SPAN_FEATURES` (fitted by another version).
    """
    data: dict[str, Any] = json.loads(resources.files("assistant").joinpath("data", SPAN_MODEL_FILE).read_text("utf-8"))
    if tuple(data["features"]) != SPAN_FEATURES:
        raise ValueError(f"{SPAN_MODEL_FILE} was fitted on other features: run benchmarks/short_answers.py --fit")
    return {group: np.asarray(weights, dtype=np.float64) for group, weights in data["groups"].items()}


@dataclass(frozen=True)
class SpanChooser:
    """Chooses the short answer inside an answer's quoted sentences (this module's docstring).

    Attributes:
        min_probability: Lowest softmax probability of the best span to give it (:data:`MIN_SPAN_PROBABILITY`).
        lexicon: Gives the English-Arabic lexicon (default: FreeDict's, read on first use).
        weights: Gives the weights by group (default :func:`span_model`).
    """

    min_probability: float = MIN_SPAN_PROBABILITY
    lexicon: Callable[[], BilingualLexicon] = default_lexicon
    weights: Callable[[], dict[str, np.ndarray]] = field(default=span_model)

    def ranked(self, question: str, citations: Sequence[Citation], top: int = 5) -> list[ShortAnswer]:
        """The ``top`` most probable candidate spans of the citations' quotes, best first, each with its
        softmax probability among all the candidates (summed over the runs of words that tidy to the same
        span, among the :data:`_MERGED` best runs); ``[]`` when no quote has a word."""
        terms, asked, kind = question_terms(question), asked_type(question), question_kind(question)
        weights = self.weights()[KIND_GROUPS[kind]]
        lexicon = self.lexicon()
        matcher = TermMatcher(terms, lexicon)
        scores, spans = [], []
        for rank, c in enumerate(citations):
            words = sentence_words(c.quote, terms, asked, lexicon, matcher)
            if not len(words.stop):
                continue
            i, j = candidate_bounds(len(words.stop))
            scores.append(span_features(words, i, j, kind, rank) @ weights)
            spans.append((c, words, i, j))
        if not spans:
            return []
        s = np.concatenate(scores)
        p = np.exp(s - s.max())
        p /= p.sum()
        ends = np.cumsum([len(i) for _, _, i, _ in spans])
        merged: dict[tuple[int, int, int], ShortAnswer] = {}
        # Runs that tidy to the same words are one span: their probabilities add up (among the best ones).
        for k in np.argsort(-p, kind="stable")[: max(top, _MERGED)].tolist():
            block = int(np.searchsorted(ends, k, side="right"))
            c, words, i, j = spans[block]
            at = k - (int(ends[block - 1]) if block else 0)
            span = _short_answer(c, words, int(i[at]), int(j[at]), float(p[k]))
            key = (span.citation, span.char_start, span.char_end)
            if key in merged:
                span = dataclasses.replace(span, probability=merged[key].probability + span.probability)
            merged[key] = span
        return sorted(merged.values(), key=lambda span: -span.probability)[:top]

    def choose(self, question: str, citations: Sequence[Citation]) -> ShortAnswer | None:
        """The short answer to ``question`` in the quotes of ``citations`` (the first is ``[1]``), or ``None``
        when no span reaches :attr:`min_probability` or no quote has a word.

        Returns:
            A :class:`ShortAnswer` whose ``char_start``/``char_end`` index the article of its citation.
        """
        best = self.best(question, citations)
        return best if best is not None and best.probability >= self.min_probability else None

    def best(self, question: str, citations: Sequence[Citation]) -> ShortAnswer | None:
        """The most probable span whatever its probability (:meth:`choose` without the threshold)."""
        return next(iter(self.ranked(question, citations, 1)), None)


def _short_answer(c: Citation, words: SentenceWords, i: int, j: int, probability: float = 0.0) -> ShortAnswer:
    """The span of words ``i..j`` of ``c``'s quote, its edges tidied (:func:`tidy_span`)."""
    start, end = tidy_span(words, i, j)
    return ShortAnswer(c.quote[start:end], c.char_start + start, c.char_start + end, c.n, c.article_id, probability)


def tidy_span(words: SentenceWords, i: int, j: int) -> tuple[int, int]:
    """Offsets in the sentence of the span of words ``i..j``, tidied (an extension never crosses punctuation):

    * a number keeps the scale and unit words that follow it (``102.5 مليار دولار``), and a scale or
      unit word alone takes back its number (``billion`` → ``€2.5 billion``);
    * a date keeps the rest of the date on both sides (``1943`` → ``7 يناير 1943``, ``14 March 2023``);
    * a conjunction or preposition glued to an Arabic definite article (``والصين``, ``بالنقابات``) or to a
      number (``و8``) leaves its start when the rest is a word the lexicon knows (``والدة``, ``والتر``,
      ``فالنتين`` stay whole; :attr:`SentenceLayout.particle`).
    """
    text, n = words.text, len(words.stop)

    def word(k: int) -> str:
        return text[words.bounds[k, 0] : words.bounds[k, 1]]

    def joined(a: int, b: int) -> bool:  # words a and b = a + 1 with no punctuation between
        return not words.boundary_after[a] and not words.boundary_before[b]

    def dated(k: int) -> bool:  # part of a date, or a day number next to a month or day name
        if words.date[k]:
            return True
        near = [m for m in (k - 1, k + 1) if 0 <= m < n and words.date[m]]
        return bool(near) and bool(re.fullmatch(r"[0-9\u0660-\u0669]{1,2}", word(k)))

    if i == j and _is_scale(text, words, i) and i > 0 and words.digit[i - 1] and joined(i - 1, i):
        i -= 1
    while j + 1 < n and j - i + 1 < MAX_SPAN_WORDS and (words.digit[j] or _is_scale(text, words, j)):
        if word(j + 1).lower() not in SCALE_WORDS or not joined(j, j + 1):
            break
        j += 1
    if any(dated(k) for k in range(i, j + 1)) and any(words.date[k] or words.digit[k] for k in range(i, j + 1)):
        while i > 0 and j - i + 1 < MAX_SPAN_WORDS and dated(i - 1) and joined(i - 1, i):
            i -= 1
        while j + 1 < n and j - i + 1 < MAX_SPAN_WORDS and dated(j + 1) and joined(j, j + 1):
            j += 1
    return int(words.bounds[i, 0] + words.particle[i]), int(words.bounds[j, 1])


def _is_scale(text: str, words: SentenceWords, k: int) -> bool:
    return text[words.bounds[k, 0] : words.bounds[k, 1]].lower() in SCALE_WORDS
