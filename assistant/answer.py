"""The extractive answerer: quote the retrieved sentences that best answer the question.

Method: the question is embedded once (``query: ``); the sentences of the
retrieved passages are embedded as passages (``passage: ``) and ranked by
cosine similarity to the question. The best sentence is quoted; further
sentences are quoted while they score within ``quote_margin`` of the best,
up to ``max_quotes``. Each quote is followed by a marker ``[n]`` bound, by
construction, to the passage it came from. When the best passage scores
under ``min_score`` the answerer abstains instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.types import Answer, Citation
from ingest.embeddings import E5Embeddings, SentenceTransformerEmbeddings
from ingest.language import Language
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
class RetrievedPassage:
    """A passage found for a question.

    Attributes:
        passage: The passage.
        score: Cosine similarity of question and passage embeddings, in [-1, 1].
    """

    passage: Passage
    score: float


@dataclass(frozen=True, slots=True)
class _Sentence:
    hit: RetrievedPassage
    char_start: int
    char_end: int
    text: str


def _candidate_sentences(hits: Sequence[RetrievedPassage]) -> list[_Sentence]:
    sentences = []
    for hit in hits:
        p = hit.passage
        for a, b in split_sentences(p.text):
            sentences.append(_Sentence(hit, p.char_start + a, p.char_start + b, p.text[a:b]))
    return sentences


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
    min_score: float,
    max_quotes: int = 2,
    quote_margin: float = 0.02,
    candidate_passages: int = 3,
) -> Answer:
    """Answer by quoting the best sentences of the retrieved passages.

    Args:
        question: The question as asked.
        language: Its language; picks the framing text.
        question_embedding: ``(dimension,)`` float32, L2-normalised ``query:`` embedding.
        hits: Retrieved passages, best first.
        embeddings: The backend that embedded the passages (used for sentences).
        min_score: Cosine similarity the best passage must reach, else abstain.
        max_quotes: Most sentences quoted.
        quote_margin: A further sentence is quoted only if its similarity is
            within this much of the best sentence's.
        candidate_passages: How many of the top passages sentences are drawn from.

    Returns:
        An :class:`Answer` whose markers ``[1]``, ``[2]``... match its citations.
    """
    if not hits or hits[0].score < min_score:
        return abstain(question, language)
    pool = [h for h in hits[:candidate_passages] if h.score >= min_score]
    sentences = _candidate_sentences(pool)
    vectors = embeddings.encode_passages([s.text for s in sentences])
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
