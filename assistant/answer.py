"""The extractive answerer: quote the retrieved sentences that best answer the question.

Method: the question is embedded once (``query: ``); the sentences of the
retrieved passages are embedded as passages (``passage: ``) and ranked by
cosine similarity to the question. The best sentence is quoted; further
sentences are quoted while they score within ``quote_margin`` of the best,
up to ``max_quotes``. Each quote is followed by a marker ``[n]`` bound, by
construction, to the passage it came from.

Whether to answer at all is decided first, by :func:`is_answerable`, from the
retrieval scores alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

import numpy as np

from assistant.types import Answer, Citation, RetrievedPassage
from ingest.embeddings import E5Embeddings, SentenceTransformerEmbeddings
from ingest.language import Language
from ingest.normalize import for_embedding
from ingest.splitting import split_sentences
from ingest.types import Passage

Embedder = E5Embeddings | SentenceTransformerEmbeddings

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


def _candidate_sentences(hits: Sequence[RetrievedPassage]) -> list[_Sentence]:
    """Sentences of the passages that could be quoted: long enough, each text once."""
    sentences, seen = [], set()
    for hit in hits:
        p = hit.passage
        spans = p.sentences or tuple((p.char_start + a, p.char_start + b) for a, b in split_sentences(p.text))
        for a, b in spans:
            text = p.text[a - p.char_start : b - p.char_start]
            if len(text.split()) >= MIN_QUOTE_WORDS and text not in seen:
                seen.add(text)
                sentences.append(_Sentence(hit, a, b, text))
    return sentences


#: How many retrieved passages form the baseline of the relevance margin.
MARGIN_REFERENCE_K = 12


def is_answerable(scores: Sequence[float], min_score: float, min_margin: float) -> bool:
    """Decide from retrieval scores whether the article answers the question.

    Two conditions, both needed: the best passage's cosine similarity reaches
    ``min_score``, and it stands out from the rest: best minus the median of
    the scores (up to :data:`MARGIN_REFERENCE_K` passages) reaches
    ``min_margin``. E5 similarities are compressed (unrelated text scores
    0.70-0.80), so an off-topic question scores nearly alike on every passage
    while an answerable one peaks on the passage that answers it. The margin
    is not applied with fewer than 3 passages.

    The defaults (0.76, 0.04) come from benchmarks/abstain_scores.py on the
    sample article's 44 questions (27 answerable, 17 not): 7% of answerable
    questions abstained on, 88% of unanswerable ones.

    Args:
        scores: Cosine similarities of the retrieved passages, best first.
        min_score: Lowest acceptable best similarity.
        min_margin: Lowest acceptable best-minus-median similarity.
    """
    if not scores or scores[0] < min_score:
        return False
    reference = scores[:MARGIN_REFERENCE_K]
    return len(reference) < 3 or scores[0] - median(reference) >= min_margin


def abstain(question: str, language: Language) -> Answer:
    """The reply when the article does not answer: no citations."""
    return Answer(question=question, language=language, text=ABSTAIN_TEXT[language], abstained=True)


def extractive_answer(
    question: str,
    language: Language,
    question_embedding: np.ndarray,
    hits: Sequence[RetrievedPassage],
    embeddings: Embedder,
    *,
    min_score: float = 0.0,
    max_quotes: int = 2,
    quote_margin: float = 0.02,
) -> Answer:
    """Answer by quoting the best sentences of the retrieved passages.

    Args:
        question: The question as asked.
        language: Its language; picks the framing text.
        question_embedding: ``(dimension,)`` float32, L2-normalised ``query:`` embedding.
        hits: Retrieved passages, best first; the caller has decided that they
            answer the question (:func:`is_answerable`).
        embeddings: The backend that embedded the passages (used for sentences).
        min_score: Passages scoring under this are not quoted from.
        max_quotes: Most sentences quoted.
        quote_margin: A further sentence is quoted only if its similarity is
            within this much of the best sentence's.

    Returns:
        An :class:`Answer` whose markers ``[1]``, ``[2]``... match its
        citations; an abstention if no passage has a quotable sentence.
    """
    pool = [h for h in hits if h.score >= min_score]
    sentences = _candidate_sentences(pool)
    if not sentences:
        return abstain(question, language)
    vectors = embeddings.encode_passages([for_embedding(s.text) for s in sentences])
    similarity = vectors @ np.asarray(question_embedding, dtype=np.float32)
    order = np.argsort(-similarity, kind="stable")
    best = float(similarity[order[0]])
    chosen = [sentences[i] for i in order[:max_quotes] if similarity[i] >= best - quote_margin]
    chosen.sort(key=lambda s: s.char_start)  # quote in article order

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
