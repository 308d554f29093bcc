"""LangChain wiring: the hybrid ranking as a ``BaseRetriever``, and the assistant as a ``Runnable``.

Both compose like LangChain's own pieces::

    retriever = qa.as_retriever(k=3)
    chain = {"context": retriever | format_docs, "question": RunnablePassthrough()} | prompt | model

    qa.as_runnable() | StrOutputParser()      # the answer's text
    qa.as_runnable().stream({"question": "...", "mode": "generative"})   # drafts, then the answer
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Literal, Protocol

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import (
    ensure_config,
    get_callback_manager_for_config,
    patch_config,
    run_in_executor,
    set_config_context,
)
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError
from typing_extensions import Unpack

from assistant.errors import AssistantError
from assistant.request import MAX_TOP_K, AskOptions, passages_count
from assistant.retrieval import HybridRetriever
from assistant.types import Answer, Draft
from ingest.normalize import for_embedding, remove_invisible, replace_surrogates


class ArticleRetriever(BaseRetriever):
    """The assistant's hybrid ranking (:class:`assistant.retrieval.HybridRetriever`) as a LangChain retriever.

    ``invoke(query)`` returns the ``k`` best passages as ``Document`` s, best
    first: ``id`` is the passage id; ``metadata`` holds ``article_id``,
    ``passage_id``, ``passage_idx``, ``char_start`` and ``char_end`` (offsets
    of the passage in the article text, characters), ``title`` (the article's,
    or ``None``), ``section`` (or ``None``), ``rank`` (1-based) and ``score``
    (cosine similarity of the query and passage embeddings, in [-1, 1]).
    ``invoke(query, k=1)`` overrides ``k`` for one call.

    Attributes:
        retriever: The hybrid retriever (``Assistant.retriever``).
        k: Passages per query, 1 to 50.
        article_ids: Search only these articles; ``None`` (or ``[]``) for all.

    Raises:
        UnknownArticleError: On invoke, if an id of ``article_ids`` is not stored.
        StoreError: On invoke, if the store cannot be read.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: HybridRetriever
    k: int = Field(default=3, ge=1, le=MAX_TOP_K)
    article_ids: list[str] | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        if not isinstance(query, str):
            raise AssistantError(f"the retriever's query must be text, not {type(query).__name__}")
        k = None if k is None else passages_count(k, "k")
        text = for_embedding(replace_surrogates(remove_invisible(query)).strip())
        if not text:
            return []
        found = self.retriever.retrieve(text, self.article_ids)
        titles: dict[str, str | None] = {}
        documents = []
        for rank, hit in enumerate(found.passages[: k or self.k], start=1):
            p = hit.passage
            if p.article_id not in titles:
                titles[p.article_id] = (self.retriever.store.article_metadata(p.article_id) or {}).get("title")
            metadata = {
                "article_id": p.article_id, "passage_id": p.passage_id, "passage_idx": p.passage_idx,
                "char_start": p.char_start, "char_end": p.char_end, "title": titles[p.article_id],
                "section": p.section, "rank": rank, "score": hit.score,
            }  # fmt: skip
            documents.append(Document(page_content=p.text, id=p.passage_id, metadata=metadata))
        return documents


class QuestionInput(BaseModel):
    """The input of :func:`make_runnable` (a plain string is taken as ``question``).

    Attributes:
        question: The question, Arabic or English.
        history: Earlier turns: LangChain messages (``HumanMessage``/``AIMessage``),
            ``{"role", "content"}`` dicts or ``(user, assistant)`` pairs.
        article_ids: Ask about these articles only; ``None`` or ``[]`` for all.
        top_k: Best passages to answer from, 1 to 50 (default: the assistant's).
        mode: ``"extractive"`` or ``"generative"`` (default: generative when the assistant has a chat model).
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    question: StrictStr
    history: list[BaseMessage | dict[str, Any] | tuple[str, str]] | None = None
    article_ids: list[StrictStr] | None = None
    top_k: StrictInt | None = Field(default=None, ge=1, le=MAX_TOP_K)
    mode: Literal["extractive", "generative"] | None = None


class _Asks(Protocol):
    """What the runnable needs of an assistant (``assistant.Assistant``)."""

    def stream(
        self, question: str, history: Sequence[Any] | None = None, **options: Unpack[AskOptions]
    ) -> Iterator[Draft | Answer]: ...


def answer_of(message: BaseMessage) -> Answer:
    """The :class:`Answer` an output message of :func:`make_runnable` carries.

    Raises:
        AssistantError: If the message is a draft, or did not come from the runnable.
    """
    answer = message.response_metadata.get("answer")
    if not isinstance(answer, Answer):
        raise AssistantError("this message carries no answer: it is a draft, or it did not come from as_runnable()")
    return answer


class AnswerMessage(AIMessage):
    """An output message of :class:`AssistantRunnable`: a draft or the answer, each the whole text so far.

    Adding a later one replaces the earlier (``a + b`` is ``b``), so that
    LangChain steps that gather a stream by adding its pieces (a lambda, a
    ``RunnableParallel`` after the runnable) get the answer, as with ``invoke``.
    """

    def __add__(self, other: Any) -> Any:
        return other if isinstance(other, AnswerMessage) else super().__add__(other)


def _message(event: Draft | Answer) -> AnswerMessage:
    if isinstance(event, Draft):
        return AnswerMessage(content=event.text, response_metadata={"draft": True, "attempt": event.attempt})
    return AnswerMessage(content=event.text, response_metadata={"answer": event, "draft": False})


def _parse(inputs: Any) -> QuestionInput:
    """The runnable's input as a :class:`QuestionInput`; every problem is an :class:`AssistantError`."""
    if isinstance(inputs, str):
        return QuestionInput(question=inputs)
    if isinstance(inputs, QuestionInput):
        return inputs
    if not isinstance(inputs, dict):
        raise AssistantError(
            f'the runnable takes a question, or a dict {{"question": ...}}; not {type(inputs).__name__}'
        )
    unknown = sorted(set(inputs) - set(QuestionInput.model_fields))
    if unknown:
        raise AssistantError(
            f"unknown input key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}: "
            f"the runnable takes {', '.join(QuestionInput.model_fields)}"
        )
    try:
        return QuestionInput.model_validate(inputs)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        raise AssistantError(f"the runnable's input is not usable ({problems})") from None


class AssistantRunnable(Runnable[Any, AIMessage]):
    """An assistant as a LangChain ``Runnable``: a question (``str`` or :class:`QuestionInput`) in, an ``AIMessage`` out.

    ``invoke`` returns one ``AIMessage`` whose ``content`` is ``Answer.text``
    and whose ``response_metadata["answer"]`` is the :class:`Answer`
    (:func:`answer_of`), so ``runnable | StrOutputParser()`` gives the
    answer's text. ``stream``/``astream`` yield, while a chat model writes, a
    message per draft (``response_metadata["draft"]`` true; each the whole
    text so far, not a delta: a retry or the checks may change it), then the
    answer's message, last; they are :class:`AnswerMessage` s, of which a later
    one added to an earlier one replaces it, so a step after the runnable that
    gathers the stream gets the answer. (``| StrOutputParser()`` streams whole
    texts too: a step after the parser would join them; end a streamed chain
    with the parser, or invoke it.)

    Raises:
        AssistantError: On invoke, for an unknown input key or a bad value (and as ``Assistant.ask``).
    """

    name = "article_qa"

    def __init__(self, assistant: _Asks) -> None:
        self.assistant = assistant

    @property
    def InputType(self) -> Any:
        return QuestionInput | str

    @property
    def OutputType(self) -> type[AIMessage]:
        return AIMessage

    def get_input_schema(self, config: RunnableConfig | None = None) -> type[BaseModel]:
        """The typed input: :class:`QuestionInput`."""
        return QuestionInput

    def _events(self, inputs: Any) -> Iterator[Draft | Answer]:
        q = _parse(inputs)
        return self.assistant.stream(q.question, q.history, article_ids=q.article_ids, top_k=q.top_k, mode=q.mode)

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> AIMessage:
        """The answer to one question, as an ``AIMessage`` carrying the :class:`Answer`."""
        *_, answer = self.stream(input, config, **kwargs)  # the assistant's stream always ends with its answer
        return answer

    def stream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[AIMessage]:
        """Drafts of a generated answer, then the answer, each as an ``AIMessage``.

        The chat model's calls run as children of this run (callbacks and tracing see them).
        """
        config = ensure_config(config)
        run = get_callback_manager_for_config(config).on_chain_start(
            None, input if isinstance(input, dict) else {"input": input}, name=config.get("run_name") or self.get_name(),
            run_id=config.pop("run_id", None),
        )  # fmt: skip
        message = None
        with set_config_context(patch_config(config, callbacks=run.get_child())) as context:
            try:
                events = context.run(self._events, input)
                while (event := context.run(next, events, None)) is not None:
                    message = _message(event)
                    yield message
            except GeneratorExit:  # the caller stopped reading: not a failure
                run.on_chain_end({"output": message})
                raise
            except BaseException as exc:
                run.on_chain_error(exc)
                raise
        run.on_chain_end({"output": message})

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> AIMessage:
        """:meth:`invoke` in a worker thread (the embedding model and the store are synchronous)."""
        return await run_in_executor(config, self.invoke, input, config, **kwargs)

    async def astream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[AIMessage]:
        """:meth:`stream`, each step in a worker thread."""
        events = self.stream(input, config, **kwargs)
        done = object()
        while (message := await asyncio.to_thread(next, events, done)) is not done:
            yield message  # type: ignore[misc]


def make_runnable(assistant: _Asks) -> AssistantRunnable:
    """Wrap an assistant as a LangChain Runnable (:class:`AssistantRunnable`)."""
    return AssistantRunnable(assistant)
