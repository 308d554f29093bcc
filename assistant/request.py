"""One question to the assistant, checked: what :meth:`assistant.Assistant.ask`, ``ask_traced`` and ``stream`` take."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import numpy as np

from assistant.errors import AssistantError
from ingest.language import Language, detect_language
from ingest.normalize import remove_invisible, replace_surrogates, spelt_length

#: Longest question accepted, in characters (also counted in NFKC, as the embedding model reads it).
MAX_QUESTION_CHARS = 2000
#: Most passages a question may ask for (``top_k``).
MAX_TOP_K = 50

AnswerMode = Literal["extractive", "generative"]


class AskOptions(TypedDict, total=False):
    """The options of :meth:`Assistant.ask`, :meth:`~Assistant.ask_traced` and :meth:`~Assistant.stream`.

    Keys:
        article_ids: Ask about these articles only; ``None`` or ``[]`` for all.
            An id that is not stored raises :class:`assistant.errors.UnknownArticleError`.
        top_k: Best passages whose sentences may be quoted (or that the chat
            model is given), 1 to 50, for this question only (default: the assistant's ``top_k``).
        mode: ``"extractive"`` or ``"generative"``; default generative when the
            assistant has a chat model, else extractive.
    """

    article_ids: Sequence[str] | None
    top_k: int | None
    mode: AnswerMode | None


def passages_count(value: Any, name: str) -> int:
    """``value`` as a number of passages, 1 to :data:`MAX_TOP_K`.

    Raises:
        AssistantError: If it is not a whole number (``True``, ``"3"`` and ``2.0`` are not) in that range.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise AssistantError(f"{name} is {value!r}: give a whole number of passages, between 1 and {MAX_TOP_K}")
    if not 1 <= value <= MAX_TOP_K:
        raise AssistantError(f"{name} is {value}: choose between 1 and {MAX_TOP_K} passages")
    return int(value)


def article_ids_of(value: Any) -> tuple[str, ...] | None:
    """Article ids as given to ``ask`` or ``as_retriever``, each once; ``None`` for all (``None`` or empty).

    Raises:
        AssistantError: If ``value`` is not a list, tuple or set of strings (a single id must be in a list).
    """
    if value is None:
        return None
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(isinstance(a, str) for a in value):
        raise AssistantError(f"article_ids is {str(value)[:60]!r}: give a list of article ids", setting="article_ids")
    return tuple(dict.fromkeys(value)) or None


@dataclass(frozen=True)
class Request:
    """A question and how to answer it, validated (:meth:`of`).

    Attributes:
        question: The question without invisible format characters or
            surrounding space, lone surrogates replaced; 1 to
            :data:`MAX_QUESTION_CHARS` characters.
        language: Its language (:func:`ingest.detect_language`): the reply's.
        history: Earlier turns, in any form :func:`assistant.conversation.turns` reads; ``()`` for none.
        article_ids: Ask about these articles only; ``None`` for all (``[]`` is taken as all too).
        top_k: Best passages to answer from, 1 to :data:`MAX_TOP_K`; ``None``: the assistant's.
        mode: ``"extractive"``, ``"generative"``, or ``None`` (the assistant's default).
    """

    question: str
    language: Language
    history: Sequence[Any] = ()
    article_ids: tuple[str, ...] | None = None
    top_k: int | None = None
    mode: AnswerMode | None = None

    @classmethod
    def of(
        cls,
        question: Any,
        history: Any = None,
        *,
        article_ids: Any = None,
        top_k: Any = None,
        mode: Any = None,
    ) -> Request:
        """Check and clean the arguments of ``ask``.

        Raises:
            AssistantError: If the question is not text, empty or too long
                (also counted in NFKC: ﷺ spells 18 characters), ``top_k`` is
                not a whole number from 1 to 50, ``article_ids`` is not a list
                of ids, ``history`` is not a list (its turns are read as
                :func:`assistant.conversation.turns` reads them), or ``mode`` is unknown.
        """
        if not isinstance(question, str):
            raise AssistantError(f"the question must be text, not {type(question).__name__}")
        top_k = None if top_k is None else passages_count(top_k, "top_k")
        ids = article_ids_of(article_ids)
        if history is not None and (isinstance(history, (str, bytes)) or not isinstance(history, Sequence)):
            raise AssistantError(
                f"history is {type(history).__name__} {str(history)[:40]!r}: give a list of earlier turns, as "
                '{"role", "content"} dicts, (user, assistant) pairs or LangChain messages'
            )
        if mode not in (None, "extractive", "generative"):
            raise AssistantError(f"mode is {mode!r}: use 'extractive' or 'generative'")
        text = replace_surrogates(remove_invisible(question)).strip()
        if not text:
            raise AssistantError("the question is empty: type a question about the article")
        if len(text) > MAX_QUESTION_CHARS:
            raise AssistantError(f"the question is {len(text):,} characters long; keep it under {MAX_QUESTION_CHARS:,}")
        spelt = spelt_length(text)  # what the embedding model reads: ﷺ is 18
        if spelt > MAX_QUESTION_CHARS:
            raise AssistantError(
                f"the question is {spelt:,} characters long once its compatibility characters (such as ﷺ) are "
                f"spelt out; keep it under {MAX_QUESTION_CHARS:,}"
            )
        return cls(text, detect_language(text), history or (), ids, top_k, mode)
