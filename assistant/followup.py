"""Which retrieval a question is answered from: its own, or its standalone form's when it is a follow-up.

A question after earlier turns that is not answered with confidence on its
own (under :data:`STANDALONE_CONFIDENCE`) is also retrieved as a standalone question:
the chat model's rewrite (:meth:`GenerativeAnswerer.condense`), else the
previous user question joined to it (:func:`assistant.conversation.resolve_follow_up`).
When both forms are answered, the one whose best sentence holds more of the
question's own key terms wins ("Iran" in "where did they hold exercises
with Iran?", "last year" in "and last year?"); on a tie, the standalone
form if the question refers back (:func:`assistant.conversation.is_follow_up`),
else the more confident retrieval, as when only one form or neither is answered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from assistant.abstention import AbstentionModel, Assessment, evidence_passages
from assistant.conversation import is_follow_up, resolve_follow_up
from assistant.evidence import coverage, question_terms, stems
from assistant.generative import Condensed
from assistant.request import Request
from assistant.retrieval import Retrieval
from ingest.embeddings import Embedder
from ingest.language import Language
from ingest.normalize import for_embedding

log = logging.getLogger(__name__)

#: A follow-up answered with at least this confidence on its own is not
#: combined with the question before it: the combined text always scores
#: high (it holds the earlier, answered question), so it must not win by
#: default ("Where did they hold joint exercises with Iran?" after a trade
#: question: 0.94 alone).
STANDALONE_CONFIDENCE = 0.9


class Retrieves(Protocol):
    """What is needed of a retriever (:class:`assistant.retrieval.HybridRetriever`)."""

    embeddings: Embedder

    def retrieve(self, question: str, article_ids: Sequence[str] | None = None) -> Retrieval: ...

    def sentence_vectors(self, passage_ids: Sequence[str]) -> dict[tuple[str, int, int], np.ndarray]: ...


@dataclass(frozen=True)
class Found:
    """A retrieval and how confidently it answers.

    Attributes:
        asked: The question as a chat model is asked it (the standalone form, if it won).
        text: The same, as embedded (:func:`ingest.normalize.for_embedding`).
        retrieval: What the retriever found for ``text``.
        assessment: How well its evidence passages answer (:func:`assistant.abstention.evidence_passages`,
            :meth:`AbstentionModel.assess`).
        stored: The stored embeddings of those passages' sentences (reused for the chat model's citations).
    """

    asked: str
    text: str
    retrieval: Retrieval
    assessment: Assessment
    stored: dict[tuple[str, int, int], np.ndarray]

    @property
    def confidence(self) -> float:
        """The assessment's confidence, in [0, 1]."""
        return self.assessment.confidence


def found(
    question: str,
    language: Language,
    article_ids: Sequence[str] | None,
    retriever: Retrieves,
    abstention: AbstentionModel,
    passages: int,
) -> Found:
    """Retrieve ``question`` and assess the sentences of its evidence passages (the best ``passages`` of each
    of the first articles, :func:`assistant.abstention.evidence_passages`).

    Raises:
        UnknownArticleError: If an id of ``article_ids`` is not stored.
        StoreError: If the store cannot be read.
    """
    text = for_embedding(question)
    retrieval = retriever.retrieve(text, article_ids)
    top = evidence_passages(retrieval.passages, passages)
    stored = retriever.sentence_vectors([h.passage.passage_id for h in top]) if top else {}
    assessment = abstention.assess(text, language, retrieval.vector, top, retriever.embeddings, stored)
    return Found(question, text, retrieval, assessment, stored)


def own_coverage(question: str, f: Found, abstention: AbstentionModel) -> float:
    """Share of ``question``'s own key terms in the best sentence of ``f`` (:func:`assistant.evidence.coverage`)."""
    if not f.assessment.sentences:
        return 0.0
    return coverage(question_terms(question), stems(f.assessment.sentences[0].text), abstention.lexicon())


def choose_retrieval(
    request: Request,
    retriever: Retrieves,
    abstention: AbstentionModel,
    passages: int,
    condense: Callable[[str, Language, Sequence[Any]], Condensed] | None = None,
) -> tuple[Found, list[str]]:
    """The retrieval to answer ``request`` from, and notes on the rewrite (for ``Answer.notes``).

    Args:
        passages: Best passages whose sentences are candidate answers (``top_k``).
        condense: The chat model's standalone rewrite (generative mode); ``None``: the heuristic one.
    """
    question, language, history = request.question, request.language, request.history
    alone = found(question, language, request.article_ids, retriever, abstention, passages)
    refers_back = bool(history) and is_follow_up(question)
    if not history or (alone.confidence >= STANDALONE_CONFIDENCE and not refers_back):
        return alone, []
    condensed = condense(question, language, history) if condense else None
    standalone = (condensed.question if condensed else None) or resolve_follow_up(question, history)
    notes = condensed.notes if condensed else []
    if for_embedding(standalone) == alone.text:
        return alone, notes
    other = found(standalone, language, request.article_ids, retriever, abstention, passages)
    log.info("follow-up: alone %.3f, standalone %.3f", alone.confidence, other.confidence)
    if abstention.answers(alone.confidence) and abstention.answers(other.confidence):
        # Both are answered: the one whose best sentence holds more of what this question itself names
        # ("Iran" in "where did they hold exercises with Iran?", "last year" in "and last year?") wins.
        mine, theirs = own_coverage(question, alone, abstention), own_coverage(question, other, abstention)
        if mine != theirs:
            return (alone if mine > theirs else other), notes
        if refers_back:
            return other, notes
    return (other if other.confidence > alone.confidence else alone), notes
