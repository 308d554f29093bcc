"""Which retrieval a question is answered from: its own, or its standalone form's when it is a follow-up.

A question not answered with confidence on its own (under
:data:`STANDALONE_CONFIDENCE`) after earlier turns is also retrieved as a
standalone question: the chat model's rewrite (:meth:`GenerativeAnswerer.condense`),
else the previous user question joined to it (:func:`assistant.conversation.resolve_follow_up`).
The more confident retrieval wins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from assistant.abstention import AbstentionModel
from assistant.conversation import resolve_follow_up
from assistant.generative import Condensed
from assistant.request import Request
from assistant.retrieval import Retrieval
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

    def retrieve(self, question: str, article_ids: Sequence[str] | None = None) -> Retrieval: ...


@dataclass(frozen=True)
class Found:
    """A retrieval and how confidently it answers.

    Attributes:
        asked: The question as a chat model is asked it (the standalone form, if it won).
        text: The same, as embedded (:func:`ingest.normalize.for_embedding`).
        retrieval: What the retriever found for ``text``.
        confidence: :meth:`AbstentionModel.confidence` of it, in [0, 1].
    """

    asked: str
    text: str
    retrieval: Retrieval
    confidence: float


def found(
    question: str,
    language: Language,
    article_ids: Sequence[str] | None,
    retriever: Retrieves,
    abstention: AbstentionModel,
) -> Found:
    """Retrieve ``question`` and score the retrieval."""
    text = for_embedding(question)
    retrieval = retriever.retrieve(text, article_ids)
    return Found(question, text, retrieval, abstention.confidence(retrieval, language))


def choose_retrieval(
    request: Request,
    retriever: Retrieves,
    abstention: AbstentionModel,
    condense: Callable[[str, Language, Sequence[Any]], Condensed] | None = None,
) -> tuple[Found, list[str]]:
    """The retrieval to answer ``request`` from, and notes on the rewrite (for ``Answer.notes``).

    Args:
        condense: The chat model's standalone rewrite (generative mode); ``None``: the heuristic one.
    """
    question, language, history = request.question, request.language, request.history
    alone = found(question, language, request.article_ids, retriever, abstention)
    if not history or alone.confidence >= STANDALONE_CONFIDENCE:
        return alone, []
    condensed = condense(question, language, history) if condense else None
    standalone = (condensed.question if condensed else None) or resolve_follow_up(question, history)
    notes = condensed.notes if condensed else []
    if for_embedding(standalone) == alone.text:
        return alone, notes
    other = found(standalone, language, request.article_ids, retriever, abstention)
    log.info("follow-up: alone %.3f, standalone %.3f", alone.confidence, other.confidence)
    return (other if other.confidence > alone.confidence else alone), notes
