"""The usual collaborators of an :class:`assistant.Assistant`, wired around one store (its one place of wiring)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.abstention import MIN_CONFIDENCE, AbstentionModel
from assistant.answer import ExtractiveAnswerer
from assistant.generative import GenerativeAnswerer
from assistant.indexer import Indexer
from assistant.lexical import index_directory
from assistant.retrieval import HybridRetriever
from assistant.span import SpanChooser
from ingest.embeddings import Embedder
from vectorstore.chroma import DEFAULT_COLLECTION
from vectorstore.lazy import LazyStore

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.settings import Settings


def components(
    embeddings: Embedder,
    store_path: str | Path | None = None,
    collection: str = DEFAULT_COLLECTION,
    *,
    chroma_host: str | None = None,
    chroma_port: int = 8000,
    top_k: int = 3,
    min_confidence: float = MIN_CONFIDENCE,
    max_quotes: int = 2,
    passage_tokens: int = 256,
    overlap_sentences: int = 0,
    chat_model: BaseChatModel | None = None,
    chat_model_name: str | None = None,
    chat_timeout: float | None = None,
    first_token_timeout: float | None = None,
    context_tokens: int | Callable[[], int | None] | None = None,
) -> dict[str, Any]:
    """The keyword arguments of ``Assistant(...)``: indexer, retriever and answerers over one lazily opened store.

    Args:
        embeddings: Embedding model (:func:`ingest.make_embeddings`, or any :class:`ingest.Embedder`).
        store_path: Directory of the embedded Chroma store (unused with ``chroma_host``).
        collection: Name of the passage collection.
        chroma_host: Address of a Chroma server (``chroma run``) to use instead; ``chroma_port`` its port.
        top_k: Best passages whose sentences may be quoted.
        min_confidence: Lowest probability that the articles answer the question
            (:mod:`assistant.abstention`, calibrated for multilingual-e5-small) to answer at all, else abstain.
        max_quotes: Most sentences quoted in one answer.
        passage_tokens: Largest passage, in tokens of the embedding model's
            tokenizer, prefix included (capped at the model's limit, 512 for E5).
        overlap_sentences: Sentences repeated from one passage into the next.
        chat_model: A LangChain chat model (:func:`assistant.llm.make_chat_model`, or any
            ``BaseChatModel``): answers are then written by it from the retrieved passages and
            checked (:mod:`assistant.grounding`).
        chat_model_name: How messages name the endpoint; by default the model's class and name.
        chat_timeout: Most seconds one streamed reply may take; ``None``: the client's own timeouts only.
        first_token_timeout: Most seconds to wait for the reply's first token (``None``: ``chat_timeout``).
        context_tokens: The chat model's context size in tokens, or a callable asking its server
            (:class:`assistant.generative.GenerativeAnswerer`); the passages are cut to fit.

    Raises:
        ValueError: If neither ``store_path`` nor ``chroma_host`` is given.
    """
    if store_path is None and not chroma_host:
        raise ValueError("an assistant needs a store directory (store_path) or a Chroma server (chroma_host)")
    store = LazyStore(
        store_path, host=chroma_host, port=chroma_port, embedding_model=embeddings.model_name,
        dimension=lambda: embeddings.dimension, collection=collection,  # a server's model: known at its first answer
    )  # fmt: skip
    generative = None
    if chat_model is not None:
        generative = GenerativeAnswerer(
            chat_model, embeddings, name=chat_model_name, timeout=chat_timeout,
            first_token_timeout=first_token_timeout, context_tokens=context_tokens,
        )  # fmt: skip
    index_dir = index_directory(store_path, collection, host=chroma_host, port=chroma_port)
    retriever = HybridRetriever(embeddings, store, index_dir)
    indexer = Indexer(
        embeddings, store, passage_tokens=passage_tokens, overlap_sentences=overlap_sentences,
        on_rewritten=retriever.reread,  # a repaired version: the lexical index reads its passages again
    )  # fmt: skip
    return {
        "indexer": indexer,
        "retriever": retriever,
        "extractive": ExtractiveAnswerer(max_quotes=max_quotes),
        "abstention": AbstentionModel(min_confidence),
        "spans": SpanChooser(),
        "generative": generative,
        "top_k": top_k,
        "store_location": store.location,
        "store_path": None if chroma_host else store.path,
    }


def settings_components(settings: Settings) -> dict[str, Any]:
    """:func:`components` as ``settings`` describe them (the embedding model and chat model are built, not loaded)."""
    from ingest.embeddings import make_embeddings

    s = settings
    chat_model, name = None, None
    context: int | Callable[[], int | None] | None = s.llm_context_tokens
    if s.llm != "none":
        from assistant.llm import DEFAULT_BASE_URL, make_chat_model, server_context_tokens

        if context is None and s.llm == "openai-compatible" and s.llm_base_url:
            context = functools.partial(server_context_tokens, s.llm_base_url)  # asked at the first answer

        chat_model = make_chat_model(
            s.llm,
            s.llm_model or "",
            base_url=s.llm_base_url,
            api_key=s.llm_api_key.get_secret_value() if s.llm_api_key else None,
            timeout=s.llm_timeout,
            max_retries=s.llm_max_retries,
            max_tokens=s.llm_max_tokens,
        )
        name = f"{s.llm} {s.llm_model} at {s.llm_base_url or DEFAULT_BASE_URL[s.llm] or 'api.openai.com'}"
    return components(
        make_embeddings(
            s.embedding_model, threads=s.embedding_threads, base_url=s.embedding_base_url,
            api_key=s.embedding_api_key.get_secret_value() if s.embedding_api_key else None,
        ), s.store, s.collection, chroma_host=s.chroma_host,
        chroma_port=s.chroma_port, top_k=s.top_k, min_confidence=s.min_confidence, max_quotes=s.max_quotes,
        passage_tokens=s.passage_tokens, overlap_sentences=s.overlap_sentences, chat_model=chat_model,
        chat_model_name=name, chat_timeout=s.llm_timeout if chat_model is not None else None,
        first_token_timeout=s.llm_first_token_timeout if chat_model is not None else None,
        context_tokens=context,
    )  # fmt: skip
