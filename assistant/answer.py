"""The extractive answerer: quote the retrieved sentences that best answer the question.

Method: the question is embedded once (``query: ``); the quotable sentences
of the best retrieved passages, embedded at ingestion (``passage: ``), are
scored by cosine similarity to the question, word overlap and answer-type
cues (:func:`rank_sentences`). The best sentence is quoted first; a second
one if it scores within :data:`QUOTE_MARGIN` of the best, up to
``max_quotes``, never a near-duplicate. Each quote is followed by a marker ``[n]`` bound, by
construction, to the passage it came from.

Whether to answer at all is decided before, by :mod:`assistant.abstention`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from assistant.types import Answer, Citation, RetrievedPassage
from ingest.embeddings import Embedder
from ingest.language import Language
from ingest.normalize import for_embedding, lexical_tokens, normalize
from ingest.splitting import split_sentences
from ingest.types import Passage

#: Framing text of replies, per question language.
ANSWER_LEAD: dict[Language, str] = {
    "ar": "بحسب المقال:",
    "en": "According to the article:",
}
ABSTAIN_TEXT: dict[Language, str] = {
    "ar": "لا يذكر المقال ما يجيب عن هذا السؤال.",
    "en": "The article does not say.",
}
_QUOTE_MARKS: dict[Language, tuple[str, str]] = {"ar": ("«", "»"), "en": ("“", "”")}


@dataclass(frozen=True, slots=True)
class _Sentence:
    hit: RetrievedPassage
    char_start: int
    char_end: int
    text: str


#: Shortest sentence quoted, in words: shorter ones (a dateline, "- REUTERS")
#: answer nothing and score deceptively high against short questions.
MIN_QUOTE_WORDS = 4


def quotable_spans(p: Passage) -> list[tuple[int, int]]:
    """Article offsets of the sentences of ``p`` that may be quoted: at least :data:`MIN_QUOTE_WORDS` words."""
    spans = p.sentences or tuple((p.char_start + a, p.char_start + b) for a, b in split_sentences(p.text))
    return [(a, b) for a, b in spans if len(p.text[a - p.char_start : b - p.char_start].split()) >= MIN_QUOTE_WORDS]


def _candidate_sentences(hits: Sequence[RetrievedPassage]) -> list[_Sentence]:
    """Sentences of the passages that could be quoted, each text once (a repeated sentence is one candidate)."""
    sentences, seen = [], set()
    for hit in hits:
        p = hit.passage
        for a, b in quotable_spans(p):
            text = p.text[a - p.char_start : b - p.char_start]
            key = normalize(text)
            if key not in seen:
                seen.add(key)
                sentences.append(_Sentence(hit, a, b, text))
    return sentences


def _near_duplicate(a: str, b: str, threshold: float = 0.8) -> bool:
    """Whether two sentences share at least ``threshold`` of their lexical tokens (Jaccard)."""
    x, y = set(lexical_tokens(a)), set(lexical_tokens(b))
    return bool(x and y) and len(x & y) / len(x | y) >= threshold


def abstain(question: str, language: Language) -> Answer:
    """The reply when the article does not answer: no citations."""
    return Answer(question=question, language=language, text=ABSTAIN_TEXT[language], abstained=True)


#: Kinds of answer a question asks for, by its question word.
AnswerType = Literal["number", "date"]
_NUMBER_QUESTION = re.compile(
    r"(?:^|\s)(?:[وف]?كم|بكم|ما عدد|ما حجم|ما نسبة|ما نسبه|بأي نسبة|ما قيمة)(?:\s|$)"
    r"|\b(?:how (?:many|much)|what (?:percentage|number|share|amount)|by what percentage)\b",
    re.IGNORECASE,
)
_DATE_QUESTION = re.compile(
    r"(?:^|\s)(?:[وف]?متى|في أي (?:عام|سنة|يوم|شهر)|أي يوم)(?:\s|$)|\b(?:when|what (?:year|day|date|month)|which (?:year|day|month))\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d")
_MONTHS_DAYS = (
    "يناير فبراير مارس أبريل ابريل مايو يونيو يوليو أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر ديسمبر "
    "كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة السبت "
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday"
).split()
_DATE = re.compile(r"\b(?:1[5-9]|20)\d\d\b|" + "|".join(sorted(_MONTHS_DAYS, key=len, reverse=True)), re.IGNORECASE)


def answer_type(question: str) -> AnswerType | None:
    """The kind of answer a question wants from its question word: ``"number"`` (كم, how many/much), ``"date"`` (متى, when), else ``None``."""
    if _NUMBER_QUESTION.search(question):
        return "number"
    if _DATE_QUESTION.search(question):
        return "date"
    return None


def _fits_type(text: str, kind: AnswerType | None) -> bool:
    if kind == "number":
        return bool(_NUMBER.search(text))
    if kind == "date":
        return bool(_DATE.search(text))
    return False


#: Weights of a sentence's lexical overlap with the question and of its
#: fitting the answer type, added to its cosine similarity (cosines of
#: related sentences differ by a few hundredths, so these are tie-breakers).
#: Set by hand; ``benchmarks/quality.py --set assistant.answer.LEXICAL_WEIGHT=0.2``
#: measures another value.
LEXICAL_WEIGHT = 0.10
TYPE_WEIGHT = 0.02
#: Bonus of the sentences of the best-ranked passage. 0.02 raised XQuAD citation
#: precision (0.894 → 0.923 Arabic) but lowered answer_in_citation (English
#: 0.679 → 0.658; benchmarks/quality.py), so it is off.
TOP_PASSAGE_WEIGHT = 0.0
#: A second sentence is quoted when its score is within this much of the best
#: one's. 0.05 raised answer_in_citation on XQuAD by 0.02 but cut citation
#: precision by 0.09 (benchmarks/quality.py), so it stays at 0.02.
QUOTE_MARGIN = 0.02


def sentence_embeddings(
    keys: Sequence[tuple[str, int, int]],
    texts: Sequence[str],
    embeddings: Embedder,
    stored: Mapping[tuple[str, int, int], np.ndarray] | None = None,
) -> np.ndarray:
    """Embeddings of sentences: those stored at ingestion, the rest embedded now (one call).

    Args:
        keys: ``(passage_id, char_start, char_end)`` of each sentence.
        texts: The sentences, parallel to ``keys``.
        embeddings: The backend that embedded the store (``passage: `` side);
            not called when every sentence is stored.
        stored: Sentence embeddings by key (:meth:`vectorstore.PassageStore.sentences_of`).

    Returns:
        ``(len(texts), dimension)`` float32, L2-normalised.
    """
    stored = stored or {}
    missing = [i for i, key in enumerate(keys) if key not in stored]
    dimension = embeddings.dimension if missing or not stored else len(next(iter(stored.values())))
    vectors = np.zeros((len(texts), dimension), dtype=np.float32)
    if missing:
        vectors[missing] = embeddings.encode_passages([for_embedding(texts[i]) for i in missing])
    for i, key in enumerate(keys):
        if key in stored:
            vectors[i] = stored[key]
    return vectors


def rank_sentences(
    question: str,
    question_embedding: np.ndarray,
    hits: Sequence[RetrievedPassage],
    embeddings: Embedder,
    stored: Mapping[tuple[str, int, int], np.ndarray] | None = None,
) -> list[tuple[float, _Sentence]]:
    """Score the quotable sentences of ``hits`` as answers to ``question``, best first.

    Score = cosine similarity of the question's and the sentence's embeddings
    + :data:`LEXICAL_WEIGHT` × the share of the question's lexical tokens
    (:func:`ingest.normalize.lexical_tokens`) found in the sentence
    + :data:`TYPE_WEIGHT` if the sentence holds what :func:`answer_type` asks for.

    Args:
        stored: Sentence embeddings stored at ingestion, by ``(passage_id,
            char_start, char_end)``; sentences missing from it are embedded now.
    """
    sentences = _candidate_sentences(hits)
    if not sentences:
        return []
    keys = [(s.hit.passage.passage_id, s.char_start, s.char_end) for s in sentences]
    vectors = sentence_embeddings(keys, [s.text for s in sentences], embeddings, stored)
    similarity = vectors @ np.asarray(question_embedding, dtype=np.float32)
    q_tokens = set(lexical_tokens(question))
    kind = answer_type(question)
    best_passage = hits[0].passage.passage_id
    scored = []
    for sim, sentence in zip(similarity, sentences):
        overlap = len(q_tokens & set(lexical_tokens(sentence.text))) / len(q_tokens) if q_tokens else 0.0
        score = float(sim) + LEXICAL_WEIGHT * overlap + (TYPE_WEIGHT if _fits_type(sentence.text, kind) else 0.0)
        if sentence.hit.passage.passage_id == best_passage:
            score += TOP_PASSAGE_WEIGHT
        scored.append((score, sentence))
    scored.sort(key=lambda x: -x[0])
    return scored


def extractive_answer(
    question: str,
    language: Language,
    question_embedding: np.ndarray,
    hits: Sequence[RetrievedPassage],
    embeddings: Embedder,
    *,
    max_quotes: int = 2,
    quote_margin: float | None = None,
    stored: Mapping[tuple[str, int, int], np.ndarray] | None = None,
) -> Answer:
    """Answer by quoting the best sentences of the retrieved passages (:func:`rank_sentences`).

    Args:
        question: The question as asked.
        language: Its language; picks the framing text.
        question_embedding: ``(dimension,)`` float32, L2-normalised ``query:`` embedding.
        hits: Retrieved passages, best first; the caller has decided that they
            answer the question (:mod:`assistant.abstention`).
        embeddings: The backend that embedded the passages (for sentences not in ``stored``).
        max_quotes: Most sentences quoted.
        quote_margin: A further sentence is quoted only if its score is
            within this much of the best sentence's (default :data:`QUOTE_MARGIN`).
        stored: Sentence embeddings stored at ingestion (see :func:`rank_sentences`).

    Returns:
        An :class:`Answer` whose markers ``[1]``, ``[2]``... match its
        citations; an abstention if no passage has a quotable sentence.
    """
    ranked = rank_sentences(question, question_embedding, hits, embeddings, stored)
    if not ranked:
        return abstain(question, language)
    best = ranked[0][0]
    quote_margin = QUOTE_MARGIN if quote_margin is None else quote_margin
    chosen: list[_Sentence] = []
    for score, sentence in ranked[:max_quotes]:
        if score < best - quote_margin:
            break
        if any(_near_duplicate(sentence.text, c.text) for c in chosen):
            continue
        chosen.append(sentence)
    # Best first: [1] is the sentence that answers best.

    opening, closing = _QUOTE_MARKS[language]
    lines = [ANSWER_LEAD[language]]
    citations = []
    for n, s in enumerate(chosen, start=1):
        lines.append(f"{opening}{s.text}{closing} [{n}]")
        p = s.hit.passage
        citations.append(
            Citation(
                n=n,
                passage_id=p.passage_id,
                article_id=p.article_id,
                passage_text=p.text,
                quote=s.text,
                char_start=s.char_start,
                char_end=s.char_end,
                score=s.hit.score,
                section=p.section,
            )
        )
    return Answer(question=question, language=language, text="\n\n".join(lines), abstained=False, citations=citations)


class ExtractiveAnswerer:
    """Answers by quoting the retrieved sentences that best answer the question (:func:`extractive_answer`).

    Args:
        embeddings: The store's embedding model (for sentences whose embedding is not stored).
        max_quotes: Most sentences quoted in one answer.
    """

    def __init__(self, embeddings: Embedder, *, max_quotes: int = 2) -> None:
        self.embeddings = embeddings
        self.max_quotes = max_quotes

    def answer(
        self,
        question: str,
        language: Language,
        question_embedding: np.ndarray,
        top: Sequence[RetrievedPassage],
        stored: Mapping[tuple[str, int, int], np.ndarray] | None = None,
    ) -> Answer:
        """The quoted answer (see :func:`extractive_answer`; ``question`` as embedded)."""
        return extractive_answer(
            question, language, question_embedding, top, self.embeddings, max_quotes=self.max_quotes, stored=stored
        )
