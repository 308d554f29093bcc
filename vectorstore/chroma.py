"""Passages and articles in Chroma, with the embedding model recorded and checked.

One store is three Chroma collections: ``{collection}`` holds one record per
passage (its text, metadata and embedding), ``{collection}-sentences`` one
per sentence of a passage (embedded at ingestion, so answers pick sentences
without embedding them per question), and ``{collection}-articles`` one
record per article (its full text, so citations and the UI can show context).
All use cosine distance, set explicitly, and are given embeddings by the
caller: Chroma's own default embedding function is never used.

Each passage and sentence records ``article_version`` (``{article_id}@{version}``) and each
article record its current ``version``; queries see only current versions,
which makes replacing an article atomic from a reader's point of view (see
:meth:`PassageStore.put_article`).

Writers are serialised, across threads and processes (:mod:`vectorstore.locking`):
an embedded store by a file lock in its directory, with this process's copy of
the store reopened first if another process wrote to it
(:mod:`vectorstore.embedded`); a store on a Chroma server by a lease record in
a fourth collection, ``{collection}-locks``. Under the lock a writer deletes
only records of its article written before it took the lock, so it never
deletes another writer's new passages; :meth:`PassageStore.check` verifies
every article record against its passages and sentences.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from vectorstore.embedded import CHROMA_DATABASE, EmbeddedStore
from vectorstore.errors import ModelMismatchError, SourceConflictError, StoreError
from vectorstore.locking import LOCK_TIMEOUT_S, LeaseWriterLock, ThreadWriterLock

#: Name of the passage collection when none is given.
DEFAULT_COLLECTION = "articles"
#: Layout of the records; a store of another layout is refused, not misread.
#: 2: passages carry ``article_version``, article records ``version`` (atomic re-ingestion).
#: 3: a sentence collection with the sentences' embeddings.
SCHEMA_VERSION = 3
#: Suffix of the article collection beside a passage collection.
ARTICLES_SUFFIX = "-articles"
#: Suffix of the sentence collection beside a passage collection.
SENTENCES_SUFFIX = "-sentences"
#: Suffix of the collection holding the writer lease of a store on a Chroma server.
LOCKS_SUFFIX = "-locks"
_RESERVED = (ARTICLES_SUFFIX, SENTENCES_SUFFIX, LOCKS_SUFFIX)

Metadata = Mapping[str, str | int | float | bool]
_T = TypeVar("_T")
log = logging.getLogger(__name__)

#: A version list longer than this is not sent to Chroma as a ``$in`` filter
#: (its cost grows with the list): the query fetches more neighbours
#: unfiltered and keeps the current ones (see :meth:`PassageStore.query`).
IN_FILTER_MAX = 64
#: Attempts of one write (a batch of records) before it fails, and the first
#: pause between them in seconds (doubling): a Chroma server may refuse a
#: request for a moment (busy, restarting). The records are already
#: embedded, so a retry costs no embedding.
WRITE_ATTEMPTS, WRITE_BACKOFF_S = 3, 0.5
#: Records read per request when reading every passage (the lexical index).
READ_PAGE = 5000
#: Most records written per request (fewer if the client allows fewer): a
#: writer renews its lease on a Chroma server between two requests.
WRITE_BATCH = 2000
#: Key of the article collection's metadata that changes with every write.
_GENERATION = "generation"


@dataclass(frozen=True, slots=True)
class Hit:
    """One passage found by :meth:`PassageStore.query`.

    Attributes:
        id: The passage id.
        text: The passage text.
        metadata: What was stored with it (``article_id``, offsets, ...).
        score: Cosine similarity to the query embedding, ``1 - cosine distance``
            as Chroma reports it; in [-1, 1], higher is closer.
    """

    id: str
    text: str
    metadata: dict[str, Any]
    score: float


def open_client(path: str | Path) -> Any:
    """This process's client of the embedded Chroma store at ``path`` (``chromadb.PersistentClient``), telemetry off.

    The store is opened under its writer lock (so two processes creating one
    store take turns), once per process: every call for one directory gives
    the same client until a write finds that another process changed the
    store (:class:`vectorstore.embedded.EmbeddedStore`).

    Args:
        path: Directory of the store; created if missing.

    Raises:
        StoreError: If the directory cannot be created, opened or locked.
    """
    return EmbeddedStore.at(path).client


def _retrying(write: Callable[[], _T]) -> _T:
    """Run a write, retrying it up to :data:`WRITE_ATTEMPTS` times with exponential backoff."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return write()
        except Exception as exc:
            if attempt == WRITE_ATTEMPTS - 1:
                raise
            pause = WRITE_BACKOFF_S * 2**attempt
            log.warning("a write to the store failed (%s); trying again in %.1f s", exc, pause)
            time.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


def open_http_client(host: str, port: int = 8000) -> Any:
    """Connect to a Chroma server (``chroma run``) as ``chromadb.HttpClient``, telemetry off.

    Args:
        host: The server's address, e.g. ``127.0.0.1``.
        port: Its port (``chroma run`` listens on 8000 by default).

    Raises:
        StoreError: If no Chroma server answers there (the message says how to start one).
    """
    import chromadb
    from chromadb.config import Settings

    try:
        client = chromadb.HttpClient(host=host, port=port, settings=Settings(anonymized_telemetry=False))
        client.heartbeat()
    except Exception as exc:
        raise StoreError(
            f"no Chroma server answers at {host}:{port}: start one with "
            f"`chroma run --path DIR --host {host} --port {port}`, or use the embedded store",
            setting="chroma_host",
        ) from exc
    return client


def open_store_client(path: str | Path | None = None, host: str | None = None, port: int = 8000) -> Any:
    """The Chroma client of a store: a server's (``host``, ``port``) when ``host`` is given, else the embedded store at ``path``.

    This is the one place that makes that choice (the assistant and the
    evaluation harness both open stores through it).

    Raises:
        StoreError: If the directory cannot be created, opened or locked, or no
            Chroma server answers at ``host:port``.
        ValueError: If neither ``path`` nor ``host`` is given.
    """
    if host:
        return open_http_client(host, port)
    if path is None:
        raise ValueError("open_store_client needs a store directory (path) or a Chroma server (host, port)")
    return open_client(path)


def store_location(path: str | Path | None = None, host: str | None = None, port: int = 8000) -> str:
    """Where :func:`open_store_client` would open, for messages: the directory, or ``chroma://host:port``."""
    return f"chroma://{host}:{port}" if host else str(path)


def has_collection(path: str | Path | None, collection: str, *, host: str | None = None, port: int = 8000) -> bool:
    """Whether the store (embedded at ``path``, or on a server when ``host`` is given) holds ``collection``,
    without creating the store or the collection.

    Raises:
        StoreError: If the store exists but cannot be opened, or no server answers at ``host:port``.
    """
    if not host and (path is None or not (Path(path).expanduser() / CHROMA_DATABASE).is_file()):
        return False
    try:
        return collection in {c.name for c in open_store_client(path, host, port).list_collections()}
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"cannot read the store at {store_location(path, host, port)} ({exc})", path=path) from exc


def _store_failed(exc: Exception, remote: bool) -> StoreError:
    """The error the user sees when a Chroma call fails: for a server, whether it is still running.

    Chroma's own message (``InternalError: Error executing plan: ...``) goes to the log, not to the user.
    """
    log.warning("a call to Chroma failed: %s: %s", type(exc).__name__, exc)
    if remote:
        return StoreError(
            "the Chroma server did not answer (the log says why): is `chroma run` still running? Nothing half-written is shown: "
            "run the command again once it is",
            busy=True,
        )
    return StoreError(
        "the store could not be read (the log says why): ask again in a moment; if it keeps failing, run "
        "`article-qa check`",
        busy=True,
    )


class _Guarded:
    """A Chroma collection whose calls raise :class:`StoreError` (with what to do) instead of client errors.

    Args:
        resolve: Gives the collection object to call (on an embedded store, the
            one of this process's current copy, known only once the lock is held).
        remote: Whether it lives on a Chroma server (for messages).
        guard: Held around each call (an embedded store's :meth:`EmbeddedStore.reading`).
        rebind: Takes the collections again by name; called once, and the call retried, when the
            server no longer knows the collection object (``NotFoundError``: the server was started
            on another directory, or the collection deleted and made again).
    """

    def __init__(
        self,
        resolve: Callable[[], Any],
        remote: bool,
        guard: Callable[[], Any] = nullcontext,
        rebind: Callable[[], None] | None = None,
    ) -> None:
        self._resolve, self._remote, self._guard, self._rebind = resolve, remote, guard, rebind

    def __getattr__(self, name: str) -> Any:
        with self._guard():  # resolving may re-read the collection from a copy just reopened
            attr = getattr(self._resolve(), name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(2):
                try:
                    with self._guard():
                        return getattr(self._resolve(), name)(*args, **kwargs)
                except StoreError:
                    raise
                except Exception as exc:
                    if attempt or self._rebind is None or type(exc).__name__ != "NotFoundError":
                        raise _store_failed(exc, self._remote) from exc
                    log.warning("the Chroma server no longer knows this collection (%s): taking it again by name", exc)
                    self._rebind()  # a StoreError if the server has no collection of that name any more
            raise AssertionError("unreachable")

        return call


class _RecordCache(Generic[_T]):
    """Records read from Chroma, by id, kept until the store changes: at most ``size``, least recently used out.

    Every entry belongs to one state of the store (:meth:`PassageStore._state`); a read
    with another state empties the cache first. Safe for threads.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, _T] = OrderedDict()
        self._state: object = None
        self._mutex = threading.Lock()

    def get(self, state: object, keys: Iterable[str]) -> dict[str, _T]:
        """The entries of ``keys`` held for ``state`` (each made the most recent)."""
        with self._mutex:
            if state != self._state:
                self._items.clear()
                self._state = state
                return {}
            found = {}
            for key in keys:
                if key in self._items:
                    self._items.move_to_end(key)
                    found[key] = self._items[key]
            return found

    def put(self, state: object, items: Mapping[str, _T]) -> None:
        """Keep ``items``, read at ``state`` (nothing is kept if the store changed meanwhile)."""
        with self._mutex:
            if state != self._state:
                return
            self._items.update(items)
            for key in items:
                self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


#: Records :class:`PassageStore` keeps in memory between reads, until the store changes: metadata
#: of passages and of sentences met by queries (each about 0.5 KB), texts of passages, and the
#: stored sentences of passages (about 1.5 KB per sentence, embedding included).
CACHED_METADATA, CACHED_PASSAGES = 65_536, 8_192


@dataclass(frozen=True, slots=True)
class ArticleRecords:
    """One version of an article as :meth:`PassageStore.put_articles` stores it (fields as in :meth:`PassageStore.put_article`)."""

    article_id: str
    version: str
    text: str
    metadata: Metadata
    embedding: np.ndarray
    passage_ids: Sequence[str]
    passage_texts: Sequence[str]
    passage_metadatas: Sequence[Metadata]
    passage_embeddings: np.ndarray
    sentence_ids: Sequence[str] = ()
    sentence_texts: Sequence[str] = ()
    sentence_metadatas: Sequence[Metadata] = ()
    sentence_embeddings: np.ndarray | None = None


def _encodable(r: ArticleRecords) -> None:
    """Refuse, before anything is written, text Chroma cannot store (a lone surrogate is not UTF-8).

    Raises:
        StoreError: Naming the article.
    """
    metadata = [r.metadata, *r.passage_metadatas, *r.sentence_metadatas]
    texts = [r.article_id, r.text, *r.passage_ids, *r.passage_texts, *r.sentence_ids, *r.sentence_texts]
    for text in (*texts, *(v for m in metadata for v in m.values() if isinstance(v, str))):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise StoreError(
                f"article {r.article_id.encode('utf-8', 'replace').decode()!r} holds text that is not valid Unicode "
                "(a lone surrogate): nothing was written; clean its text or its source's name"
            ) from None


@dataclass(frozen=True, slots=True)
class StoreCheck:
    """What :meth:`PassageStore.check` found.

    Attributes:
        articles: Article records read.
        passages: Passage records read (current versions and leftovers).
        sentences: Sentence records read.
        problems: ``article_id -> what is wrong`` (one line each) for every
            article whose record disagrees with its passages or sentences: a
            count short of what the record says, vectors that cannot be read,
            offsets outside its text or not matching it, sentences of
            passages that are not stored.
        orphans: Ids of passage and sentence records of no current version
            (leftovers of writes that died or lost their lease); queries never see them.
        removed_orphans: How many of ``orphans`` were deleted (``check(delete_orphans=True)``).
    """

    articles: int
    passages: int
    sentences: int
    problems: dict[str, list[str]] = field(default_factory=dict)
    orphans: list[str] = field(default_factory=list)
    removed_orphans: int = 0

    @property
    def consistent(self) -> bool:
        """Every article whole (orphans are leftovers queries never see: reported, not counted against it)."""
        return not self.problems


def _article_problems(
    text: str,
    metadata: Mapping[str, Any],
    passages: Sequence[tuple[str, str | None, Mapping[str, Any]]],
    sentences: Sequence[tuple[str, str | None, Mapping[str, Any]]],
    unreadable: set[str],
) -> list[str]:
    """What is wrong with one article: its record (``text``, ``metadata``) against the ``(id, text, metadata)``
    records of its current version; ``unreadable`` holds the ids (the article's own too) whose vector cannot be read."""
    problems = []
    for kind, records, expected in (
        ("passage", passages, metadata.get("passages")),
        ("sentence", sentences, metadata.get("sentences")),
    ):
        if expected is not None and len(records) != int(expected):
            problems.append(f"holds {len(records)} of its {int(expected)} {kind}s")
        elif kind == "passage" and not records:
            problems.append("holds no passage")
        mismatched = 0
        for _, document, m in records:
            a, b = m.get("char_start"), m.get("char_end")
            if not (isinstance(a, int) and isinstance(b, int) and 0 <= a < b <= len(text)) or text[a:b] != document:
                mismatched += 1
        if mismatched:
            problems.append(
                f"{mismatched} {kind}{'s do' if mismatched > 1 else ' does'} not match the article text at their offsets"
            )
        lost = sum(rid in unreadable for rid, _, _ in records)
        if lost:
            problems.append(f"{lost} {kind} vector{'s' if lost > 1 else ''} cannot be read")
    passage_ids = {rid for rid, _, _ in passages}
    homeless = sum(m.get("passage_id") not in passage_ids for _, _, m in sentences)
    if homeless:
        problems.append(f"{homeless} sentence{'s belong' if homeless > 1 else ' belongs'} to no stored passage")
    return problems


class PassageStore:
    """Passage and article records of one embedding model, in a Chroma client.

    The passage collection's metadata records ``embedding_model`` and
    ``embedding_dim``; opening it with another model raises
    :class:`ModelMismatchError`, so vectors of two models never mix.

    Writes (:meth:`put_articles`, :meth:`remove_article`, :meth:`check` with
    ``delete_orphans``) hold the store's writer lock (module docstring); reads take no lock.

    Args:
        client: A Chroma client (``open_client(path)`` or a ``chromadb.HttpClient``;
            a ``chromadb.PersistentClient`` made elsewhere works too, and is
            reopened before its first write).
        embedding_model: Name of the model whose embeddings are stored.
        dimension: Size of those embeddings.
        collection: Name of the passage collection (3-512 characters of
            ``[a-zA-Z0-9._-]``, Chroma's rule).
        lock_timeout: Most seconds a write waits for another writer of a
            store on a Chroma server (an embedded store's lock has its own,
            :data:`vectorstore.locking.LOCK_TIMEOUT_S`).

    Raises:
        ModelMismatchError: If the collection exists with another model or size.
        StoreError: If Chroma refuses the collection name, the name ends in
            ``-articles``, ``-sentences`` or ``-locks`` (reserved), or Chroma cannot be reached.
    """

    def __init__(
        self,
        client: Any,
        embedding_model: str,
        dimension: int,
        collection: str = DEFAULT_COLLECTION,
        *,
        lock_timeout: float = LOCK_TIMEOUT_S,
    ):
        if collection.endswith(_RESERVED):
            raise StoreError(
                f"collection names ending in {', '.join(map(repr, _RESERVED))} are reserved for article, "
                f"sentence and lock records, so {collection!r} cannot be used",
                setting="collection_name",
            )
        # (generation, article id -> version, every "{article_id}@{version}" sorted)
        self._versions: tuple[str | None, dict[str, str], tuple[str, ...]] | None = None
        self._counts: dict[str, int] = {}  # passages per current version, read with self._versions
        self._writes = 0  # writes by this object: they change the store for its caches at once
        self._metadata = (_RecordCache[dict[str, Any]](CACHED_METADATA), _RecordCache[dict[str, Any]](CACHED_METADATA))
        self._texts = _RecordCache[Hit](CACHED_PASSAGES)
        self._sentences_by_passage = _RecordCache[list[tuple[Hit, np.ndarray]]](CACHED_PASSAGES)
        self.embedding_model = embedding_model
        self.dimension = dimension
        self.collection_name = collection
        settings = client.get_settings()
        self._remote = "fastapi" in str(getattr(settings, "chroma_api_impl", "")).lower()
        # An embedded store is shared by this process's stores on its directory and reopened after
        # another process wrote to it; a client of a server or of memory is used as it is.
        self._local = EmbeddedStore.adopt(client) if not self._remote and settings.is_persistent else None
        self._handed = client
        self._epoch = -1
        names = {collection + suffix for suffix in ("", ARTICLES_SUFFIX, SENTENCES_SUFFIX)}
        rebind = partial(self._bind, create=False) if self._remote else None
        self._collections = tuple(
            _Guarded(partial(self._raw_collection, i), self._remote, self._reading, rebind) for i in range(3)
        )
        try:
            with self._reading():
                missing = not names <= {c.name for c in self._client.list_collections()}
        except StoreError:
            raise
        except Exception as exc:
            raise _store_failed(exc, self._remote) from exc
        with self._local.writing() if self._local and missing else self._reading():  # created by one process
            self._bind(create=True)
        if self._remote:
            try:
                locks = client.get_or_create_collection(
                    collection + LOCKS_SUFFIX, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
                )
            except Exception as exc:
                raise StoreError(f"cannot open collection {collection + LOCKS_SUFFIX!r}: {exc}") from exc
            where = f"{getattr(settings, 'chroma_server_host', '')}:{getattr(settings, 'chroma_server_http_port', '')}"
            self._lock: Any = LeaseWriterLock(
                _Guarded(lambda: locks, True), f"chroma://{where}/{collection}", lock_timeout
            )
        else:
            self._lock = self._local.lock if self._local else ThreadWriterLock(lock_timeout)
        stored = self._passages.metadata or {}
        if stored.get("schema") != SCHEMA_VERSION:
            raise StoreError(
                f"collection {collection!r} was written by an older article-qa (schema "
                f"{stored.get('schema', 1)}, this one reads {SCHEMA_VERSION}): ingest into a new store "
                "or collection",
                setting="collection",
            )
        if (stored.get("embedding_model"), stored.get("embedding_dim")) != (embedding_model, dimension):
            raise ModelMismatchError(
                f"collection {collection!r} was built with model {stored.get('embedding_model')} "
                f"({stored.get('embedding_dim')}-d); this run uses {embedding_model} ({dimension}-d)",
                setting="embedding_model",
            )

    @property
    def _client(self) -> Any:
        """The Chroma client in use: this process's current one for an embedded store."""
        return self._local.client if self._local is not None else self._handed

    def _bind(self, *, create: bool) -> None:
        """Take the three collections from the client in use (creating them if ``create``)."""
        epoch = self._local.epoch if self._local is not None else 0
        client = self._client
        metadata = {"embedding_model": self.embedding_model, "embedding_dim": self.dimension, "schema": SCHEMA_VERSION}
        names = [self.collection_name + suffix for suffix in ("", ARTICLES_SUFFIX, SENTENCES_SUFFIX)]
        try:
            if create:
                found = [
                    client.get_or_create_collection(
                        n, configuration={"hnsw": {"space": "cosine"}}, metadata=metadata, embedding_function=None
                    )
                    for n in names
                ]
            else:
                found = [client.get_collection(n, embedding_function=None) for n in names]
        except Exception as exc:
            raise StoreError(f"cannot open collection {self.collection_name!r}: {exc}") from exc
        self._raw = tuple(found)
        self._epoch = epoch

    def _current_raw(self) -> tuple[Any, Any, Any]:
        """The Chroma collection objects, re-read if this process reopened the store (the caller holds :meth:`_reading`)."""
        if self._local is not None and self._epoch != self._local.epoch:
            self._bind(create=False)
        return self._raw

    def _raw_collection(self, i: int) -> Any:
        """The ``i``-th Chroma collection object of :meth:`_current_raw` (passages, articles, sentences)."""
        return self._current_raw()[i]

    def _reading(self) -> Any:
        """Held around each call to Chroma: an embedded store's lock (:meth:`EmbeddedStore.reading`), else nothing."""
        return self._local.reading() if self._local is not None else nullcontext()

    def reading(self) -> Any:
        """A context holding the store for a series of reads, e.g. everything one question reads.

        On an embedded store it is one hold of the store's lock (:meth:`EmbeddedStore.reading`)
        around all the reads inside, instead of one per call: another process's write waits
        for it, and all the reads see one copy of the store. On a Chroma server it holds
        nothing. No write may start inside it (``RuntimeError``: a bug of the caller).

        Raises:
            StoreError: If a writer holds the lock over :data:`vectorstore.embedded.READ_WAIT_S`.
        """
        return self._reading()

    def _current(self) -> tuple[_Guarded, ...]:
        """The passage, article and sentence collections (each call to them holds :meth:`_reading`)."""
        return self._collections

    @property
    def _passages(self) -> Any:
        return self._current()[0]

    @property
    def _articles(self) -> Any:
        return self._current()[1]

    @property
    def _sentences(self) -> Any:
        return self._current()[2]

    @contextmanager
    def _writing(self) -> Iterator[float]:
        """Hold the writer lock (embedded: with this process's copy of the store up to date); yields when it was taken."""
        with self._local.writing() if self._local is not None else self._lock.held() as since:
            self._writes += 1
            try:
                yield since
            finally:
                self._writes += 1

    def _state(self) -> object:
        """What the records cached in memory were read from: an embedded store's write token (it changes with
        every write of any process, and the copy of the store with it); otherwise the generation last read
        (:meth:`current_versions`, once per question) and this object's own writes."""
        if self._local is not None:
            return (self._local.epoch, self._local.write_token, self._writes)
        return (self._versions[0] if self._versions else None, self._writes)

    def count(self) -> int:
        """Number of passage records stored (an interrupted write may leave some not yet visible)."""
        count: int = self._passages.count()
        return count

    def article_ids(self) -> list[str]:
        """Ids of the stored articles, sorted."""
        return sorted(self._articles.get(include=[])["ids"])

    def list_articles(self) -> list[dict[str, Any]]:
        """Every stored article as ``{"article_id", **metadata}``, sorted by id."""
        got = self._articles.get(include=["metadatas"])
        rows = [{"article_id": i, **(m or {})} for i, m in zip(got["ids"], got["metadatas"])]
        return sorted(rows, key=lambda r: r["article_id"])

    def _check(self, embeddings: np.ndarray, n: int) -> np.ndarray:
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if embeddings.shape != (n, self.dimension):
            raise StoreError(f"expected embeddings of shape ({n}, {self.dimension}), got {embeddings.shape}")
        return embeddings

    def article_metadata(self, article_id: str) -> dict[str, Any] | None:
        """The metadata of a stored article (``version``, ``source``, ``title``...), or ``None``."""
        got = self._articles.get(ids=[article_id], include=["metadatas"])
        return dict(got["metadatas"][0] or {}) if got["ids"] else None

    def stored_version(self, article_id: str) -> str | None:
        """The version of an article that queries see, or ``None`` if it is not stored."""
        metadata = self.article_metadata(article_id)
        return None if metadata is None else metadata.get("version")

    def put_article(
        self,
        article_id: str,
        version: str,
        text: str,
        metadata: Metadata,
        embedding: np.ndarray,
        passage_ids: Sequence[str],
        passage_texts: Sequence[str],
        passage_metadatas: Sequence[Metadata],
        passage_embeddings: np.ndarray,
        sentence_ids: Sequence[str] = (),
        sentence_texts: Sequence[str] = (),
        sentence_metadatas: Sequence[Metadata] = (),
        sentence_embeddings: np.ndarray | None = None,
    ) -> tuple[str, int]:
        """Store a version of an article and its passages; queries switch to it at once.

        Queries see only the passages of each article's current version (the
        one its article record names). A new version is written in three steps,
        under the store's writer lock: its passages are added (under ids of their
        own, invisible so far), the article record is switched to the new
        version (one record: the moment queries change over), then the records
        of the article written before the lock was taken, but for those just
        written, are deleted. A failure before the switch leaves the old version
        whole; after it, only unreachable leftovers, deleted by the next write
        of that article (or by ``check(delete_orphans=True)``).

        Args:
            article_id: Id of the article.
            version: Version of this text and splitting (``ingest.article_version``);
                passage ids must be specific to it.
            text: Full article text.
            metadata: Article metadata (``title``, ``source``...; no ``None`` values).
            embedding: ``(dimension,)`` embedding of the article.
            passage_ids: One id per passage.
            passage_texts: One text per passage.
            passage_metadatas: One metadata mapping per passage.
            passage_embeddings: ``(n, dimension)`` float32 embeddings of the passages.
            sentence_ids, sentence_texts, sentence_metadatas: The same for the
                passages' sentences (metadata with ``passage_id``, ``char_start``,
                ``char_end``), written and switched with the passages.
            sentence_embeddings: ``(m, dimension)`` float32 embeddings of the sentences.

        Returns:
            ``("added" | "replaced" | "repaired" | "unchanged", number of old
            passages deleted)``; ``"unchanged"`` (the same version is stored,
            whole) writes nothing; ``"repaired"``: the same version was stored
            but not whole (:meth:`article_problems`), and is written again.

        Raises:
            StoreError: On shapes that do not match, a write Chroma refuses, or
                another writer holding the store for too long.
        """
        record = ArticleRecords(
            article_id, version, text, metadata, embedding, passage_ids, passage_texts, passage_metadatas,
            passage_embeddings, sentence_ids, sentence_texts, sentence_metadatas, sentence_embeddings,
        )  # fmt: skip
        return self.put_articles([record])[0]

    def put_articles(self, records: Sequence[ArticleRecords], *, rewrite: bool = False) -> list[tuple[str, int]]:
        """Store several articles as :meth:`put_article` does one, in few large writes.

        Under the store's writer lock: all new passages and sentences are
        written first (in batches of the client's ``get_max_batch_size()``),
        then all article records (the switch), then the records of these
        articles that were written before the lock was taken and are not the
        ones just written (the old versions, and leftovers of a write that
        died) are deleted. Each article still switches whole: a failure before
        its record is written leaves its old version; each batch is retried
        (:data:`WRITE_ATTEMPTS`) with the embeddings already computed.

        An article whose stored version is the one given is left alone
        (``"unchanged"``) only if its records are whole
        (:meth:`article_problems`); otherwise it is written again (``"repaired"``).

        Args:
            records: The articles.
            rewrite: Write every article again even where it looks whole (``"repaired"``).

        Returns:
            ``(status, old records deleted)`` per record, in order: status
            ``"added"``, ``"replaced"``, ``"repaired"`` or ``"unchanged"``; the
            count is of passages.

        Raises:
            SourceConflictError: If an id already holds an article of another
                ``source`` (metadata); nothing is written then.
            StoreError: On shapes that do not match, a write Chroma refuses, or
                another writer holding the store for too long.
        """
        for r in records:
            if not (len(r.passage_texts) == len(r.passage_metadatas) == len(r.passage_ids)):
                raise StoreError("passage ids, texts and metadatas differ in length")
            if not (len(r.sentence_texts) == len(r.sentence_metadatas) == len(r.sentence_ids)):
                raise StoreError("sentence ids, texts and metadatas differ in length")
            _encodable(r)
        ids = [r.article_id for r in records]
        with self._writing() as since:
            got = self._articles.get(ids=ids, include=["metadatas"]) if ids else {"ids": [], "metadatas": []}
            previous = {i: (m or {}).get("version") for i, m in zip(got["ids"], got["metadatas"])}
            sources = {i: (m or {}).get("source") for i, m in zip(got["ids"], got["metadatas"])}
            for r in records:  # another writer may have stored another source under this id since it was checked
                old, new = sources.get(r.article_id), r.metadata.get("source")
                if old and new and old != new:
                    raise SourceConflictError(r.article_id, str(old), str(new))
            broken = {
                r.article_id for r in records
                if previous.get(r.article_id) == r.version and (rewrite or self.article_problems(r.article_id))
            }  # fmt: skip
            todo = [r for r in records if previous.get(r.article_id) != r.version or r.article_id in broken]
            removed = self._write(todo, since) if todo else {}

        def status(r: ArticleRecords) -> str:
            if r.article_id in broken:
                return "repaired"
            if previous.get(r.article_id) == r.version:
                return "unchanged"
            return "replaced" if r.article_id in previous else "added"

        return [(status(r), removed.get(r.article_id, 0)) for r in records]

    def _write(self, todo: Sequence[ArticleRecords], since: float) -> dict[str, int]:
        """Write ``todo`` and switch to it (the caller holds the lock, taken at ``since``); old passages deleted per article."""
        p_ids: list[str] = []
        p_texts: list[str] = []
        p_meta: list[dict[str, Any]] = []
        p_vecs: list[np.ndarray] = []
        s_ids: list[str] = []
        s_texts: list[str] = []
        s_meta: list[dict[str, Any]] = []
        s_vecs: list[np.ndarray] = []
        for r in todo:
            tag = {"article_id": r.article_id, "article_version": f"{r.article_id}@{r.version}", "written_at": since,
                   "writer": self._lock.token or ""}  # fmt: skip
            p_ids += r.passage_ids
            p_texts += r.passage_texts
            p_meta += [{**x, **tag} for x in r.passage_metadatas]
            p_vecs.append(self._check(r.passage_embeddings, len(r.passage_ids)))
            s_ids += r.sentence_ids
            s_texts += r.sentence_texts
            s_meta += [{**x, **tag} for x in r.sentence_metadatas]
            s_vecs.append(self._check(
                np.zeros((0, self.dimension)) if r.sentence_embeddings is None else r.sentence_embeddings, len(r.sentence_ids)
            ))  # fmt: skip
        article_vectors = np.concatenate([self._check(np.asarray(r.embedding)[None, :], 1) for r in todo])
        try:
            self._upsert(self._passages, p_ids, p_texts, p_meta, np.concatenate(p_vecs))
            self._upsert(self._sentences, s_ids, s_texts, s_meta, np.concatenate(s_vecs))
            self._lock.confirm()  # a writer that lost its lease must not switch
            # Chroma merges a record's metadata on upsert: a key the new version lacks (a title, a date) is
            # given as None, which removes it, else the old version's would stay.
            before = self._articles.get(ids=[r.article_id for r in todo], include=["metadatas"])
            keys = {i: list(m or {}) for i, m in zip(before["ids"], before["metadatas"])}
            self._upsert(
                self._articles, [r.article_id for r in todo], [r.text for r in todo],
                [{**dict.fromkeys(keys.get(r.article_id, ())), **r.metadata, "version": r.version,
                  "passages": len(r.passage_ids), "sentences": len(r.sentence_ids)} for r in todo],
                article_vectors,
            )  # fmt: skip
            self._touch()
            try:
                self._lock.confirm()
            except StoreError as exc:  # paused past its lease during the switch: the other writer's records stay
                log.warning("%s (after the switch of %s)", exc, ", ".join(r.article_id for r in todo[:3]))
            # What these articles held before the lock was taken and is not what was just written: old
            # versions and leftovers. Records written since (by a writer that lost its lease) are not touched,
            # nor those of a writer whose lease this one took over: it may still switch to them.
            written = set(p_ids) | set(s_ids)
            ids = [r.article_id for r in todo]
            removed = self._delete_older(self._passages, ids, since, written, self._lock.taken_from)
            self._delete_older(self._sentences, ids, since, written, self._lock.taken_from)
            return removed
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(
                f"could not write {', '.join(repr(r.article_id) for r in todo[:3])} to the store: "
                f"{_store_failed(exc, self._remote)}"
            ) from exc

    def _upsert(
        self, collection: Any, ids: Sequence[str], texts: Sequence[str], metadatas: list[Any], vectors: np.ndarray
    ) -> None:
        batch = min(self._client.get_max_batch_size(), WRITE_BATCH)

        def write(i: int) -> None:  # the batch at i; a retry writes the same batch
            collection.upsert(
                ids=list(ids[i : i + batch]),
                documents=list(texts[i : i + batch]),
                metadatas=metadatas[i : i + batch],
                embeddings=vectors[i : i + batch],
            )

        for i in range(0, len(ids), batch):
            if i:
                self._lock.confirm()  # and renew a lease for the next batch
            _retrying(partial(write, i))

    @staticmethod
    def _delete(collection: Any, where: dict[str, Any]) -> int:
        ids = collection.get(where=where, include=[])["ids"]
        if ids:
            collection.delete(ids=ids)
        return len(ids)

    @staticmethod
    def _delete_older(
        collection: Any, article_ids: Sequence[str], since: float, keep: set[str], spare: str | None = None
    ) -> dict[str, int]:
        """Delete the records of these articles written before ``since`` (or by an article-qa that did not
        record when) that are not in ``keep`` nor written by the writer ``spare``; returns how many per article."""
        got = collection.get(where={"article_id": {"$in": list(article_ids)}}, include=["metadatas"])
        doomed, per_article = [], dict.fromkeys(article_ids, 0)
        for record_id, m in zip(got["ids"], got["metadatas"]):
            m = m or {}
            if spare is not None and m.get("writer") == spare:
                continue
            if record_id not in keep and float(m.get("written_at", 0.0)) < since:
                doomed.append(record_id)
                per_article[str(m.get("article_id"))] = per_article.get(str(m.get("article_id")), 0) + 1
        if doomed:
            collection.delete(ids=doomed)
        return per_article

    def remove_article(self, article_id: str) -> int:
        """Delete an article and its passages, under the writer lock.

        The article record goes first, so queries stop seeing its passages at once.

        Returns:
            Number of passages deleted; 0 if the article was not stored.
        """
        try:
            with self._writing():
                self._articles.delete(ids=[article_id])
                self._touch()
                self._delete(self._sentences, {"article_id": article_id})
                return self._delete(self._passages, {"article_id": article_id})
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"could not remove article {article_id!r}: {exc}") from exc

    def article_problems(self, article_id: str) -> list[str]:
        """What is wrong with one stored article (see :attr:`StoreCheck.problems`); ``[]`` if it is whole or absent.

        Cost: the article's record, passages and sentences read once, vectors included.
        """
        got = self._articles.get(ids=[article_id], include=["documents", "metadatas"])
        if not got["ids"]:
            return []
        text, metadata = got["documents"][0] or "", dict(got["metadatas"][0] or {})
        if not metadata.get("version"):
            return ["its record names no version"]
        where = {"article_version": f"{article_id}@{metadata['version']}"}
        passages = self._records(self._passages.get(where=where, include=["documents", "metadatas"]))
        sentences = self._records(self._sentences.get(where=where, include=["documents", "metadatas"]))
        unreadable = self._unreadable(self._articles, [article_id])
        unreadable |= self._unreadable(self._passages, [i for i, _, _ in passages])
        unreadable |= self._unreadable(self._sentences, [i for i, _, _ in sentences])
        problems = _article_problems(text, metadata, passages, sentences, unreadable)
        return (["its own vector cannot be read"] if article_id in unreadable else []) + problems

    @staticmethod
    def _records(got: Mapping[str, Any]) -> list[tuple[str, str | None, dict[str, Any]]]:
        return [(i, d, dict(m or {})) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]

    def _unreadable(self, collection: Any, ids: Sequence[str]) -> set[str]:
        """The ids among ``ids`` whose vector Chroma cannot read (found by halving a read that fails)."""
        bad: set[str] = set()
        chunks = [list(ids[i : i + READ_PAGE]) for i in range(0, len(ids), READ_PAGE)]
        while chunks:
            chunk = chunks.pop()
            try:
                collection.get(ids=chunk, include=["embeddings"])
            except StoreError:
                collection.count()  # a store that does not answer at all raises here, as it should
                if len(chunk) == 1:
                    bad.add(chunk[0])
                else:
                    chunks += [chunk[: len(chunk) // 2], chunk[len(chunk) // 2 :]]
        return bad

    def _all(self, collection: Any) -> list[tuple[str, str | None, dict[str, Any]]]:
        """Every record of a collection (documents and metadata), read in pages of :data:`READ_PAGE`."""
        records, offset = [], 0
        while True:
            page = self._records(collection.get(include=["documents", "metadatas"], limit=READ_PAGE, offset=offset))
            records += page
            if len(page) < READ_PAGE:
                return records
            offset += READ_PAGE

    def check(self, *, delete_orphans: bool = False) -> StoreCheck:
        """Verify every article record against its passages and sentences, under the writer lock.

        For each article: the counts its record gives, every vector readable
        (its own, its passages', its sentences'), passage and sentence offsets
        within its text and matching it, every sentence's passage stored.
        Records of no current version are orphans; with ``delete_orphans``
        they are deleted in the same hold of the lock.

        Cost: every record read once, vectors included, in pages of :data:`READ_PAGE`.

        Raises:
            StoreError: If the store cannot be read, or another writer holds it too long.
        """
        with self._writing():
            articles = self._all(self._articles)
            passages, sentences = self._all(self._passages), self._all(self._sentences)
            unreadable = self._unreadable(self._articles, [i for i, _, _ in articles])
            unreadable |= self._unreadable(self._passages, [i for i, _, _ in passages])
            unreadable |= self._unreadable(self._sentences, [i for i, _, _ in sentences])
            current = {f"{i}@{m.get('version')}": i for i, _, m in articles}
            by_version: dict[str, tuple[list[Any], list[Any]]] = {v: ([], []) for v in current}
            orphans = []
            for side, records in ((0, passages), (1, sentences)):
                for record in records:
                    version = record[2].get("article_version")
                    if version in by_version:
                        by_version[version][side].append(record)
                    else:
                        orphans.append(record[0])
            problems = {}
            for article_id, text, metadata in articles:
                version = f"{article_id}@{metadata.get('version')}"
                found = ["its record names no version"] if not metadata.get("version") else _article_problems(
                    text or "", metadata, *by_version[version], unreadable)  # fmt: skip
                if article_id in unreadable:
                    found.insert(0, "its own vector cannot be read")
                if found:
                    problems[article_id] = found
            removed = 0
            if delete_orphans and orphans:
                doomed = set(orphans)

                def delete_page(collection: Any, ids: list[str], start: int) -> None:
                    collection.delete(ids=ids[start : start + READ_PAGE])

                for collection in (self._passages, self._sentences):
                    ids = [i for i, _, _ in (passages if collection is self._passages else sentences) if i in doomed]
                    for start in range(0, len(ids), READ_PAGE):
                        _retrying(partial(delete_page, collection, ids, start))
                removed = len(orphans)
        return StoreCheck(len(articles), len(passages), len(sentences), problems, orphans, removed)

    def get_article(self, article_id: str) -> tuple[str, dict[str, Any]] | None:
        """The stored text and metadata of an article, or ``None`` if absent."""
        got = self._articles.get(ids=[article_id], include=["documents", "metadatas"])
        if not got["ids"]:
            return None
        return got["documents"][0], dict(got["metadatas"][0] or {})

    def query(
        self,
        embedding: np.ndarray,
        k: int,
        article_ids: Sequence[str] | None = None,
        *,
        versions: Sequence[str] | None = None,
        documents: bool = True,
    ) -> list[Hit]:
        """Find the ``k`` passages nearest to a query embedding, among current versions.

        Args:
            embedding: ``(dimension,)`` query embedding.
            k: Number of passages wanted (fewer come back if fewer are stored).
            article_ids: Search only these articles; ``None`` for all.
            versions: The article versions to search (:meth:`current_versions`),
                when the caller has read them already; ``article_ids`` is then ignored.
            documents: Whether to read the passages' texts; without them (``Hit.text`` is ``""``)
                the query costs less (measured: about half, benchmarks/answer_latency.py).

        Returns:
            Hits, highest cosine similarity first.

        Raises:
            StoreError: If another process changed the store since this one
                opened it (the embedded client's index is per process).

        Cost: besides the vector search, :meth:`current_versions` (one small
        read unless the store changed) when ``versions`` is not given.
        """
        vector = self._check(np.asarray(embedding)[None, :], 1)
        current = list(versions) if versions is not None else self.current_versions(article_ids)
        if k <= 0 or not current:
            return []
        return self._query(self._passages, vector, k, current, documents)

    def generation(self) -> str | None:
        """A token that changes with every write of the article records (any process); ``None`` before the first.

        Cost: one small read (the article collection's metadata).
        """
        try:
            with self._reading():
                return (self._client.get_collection(self._articles.name).metadata or {}).get(_GENERATION)
        except StoreError:
            raise
        except Exception as exc:
            if type(exc).__name__ == "NotFoundError":  # deleted under this client: not a wait, a store gone
                log.warning("a call to Chroma failed: %s: %s", type(exc).__name__, exc)
                raise StoreError(
                    f"collection {self.collection_name!r} is no longer in the store: ingest the articles again",
                    setting="collection",
                ) from exc
            raise _store_failed(exc, self._remote) from exc

    def _touch(self) -> None:
        """Give the store a new generation (a random token: writers never need to agree on a count)."""
        metadata = dict(self._client.get_collection(self._articles.name).metadata or {})
        self._articles.modify(metadata={**metadata, _GENERATION: uuid.uuid4().hex})

    def current_versions(self, article_ids: Sequence[str] | None = None) -> list[str]:
        """``{article_id}@{version}`` of each stored article (of ``article_ids`` only, if given): what queries see.

        Cost: one small read (:meth:`generation`); the article records are read
        again only after a write (by any process or client) changed it. On an
        embedded store another process wrote to, this process first loads a
        new copy of the store (:meth:`vectorstore.embedded.EmbeddedStore.reading`).
        """
        if article_ids is not None and not article_ids:  # an empty selection selects nothing
            return []
        generation = self.generation()
        if self._versions is None or generation is None or self._versions[0] != generation:
            articles = self._articles.get(include=["metadatas"])
            current = {i: str((m or {}).get("version")) for i, m in zip(articles["ids"], articles["metadatas"])}
            self._versions = (generation, current, tuple(sorted(f"{a}@{v}" for a, v in current.items())))
            self._counts = {
                f"{i}@{m.get('version')}": int(m["passages"])
                for i, m in zip(articles["ids"], articles["metadatas"])
                if m and isinstance(m.get("passages"), int)
            }
        if article_ids is None:
            return list(self._versions[2])  # sorted once per generation: 16,000 versions take milliseconds
        current = self._versions[1]
        return sorted(f"{a}@{current[a]}" for a in set(article_ids) if a in current)

    def passage_counts(self) -> tuple[str | None, dict[str, int]]:
        """``(generation, {"{article_id}@{version}": passages})``: how many passages each current version's
        article record says it has (records without the count are left out), as of the last
        :meth:`current_versions` (no read of its own)."""
        if self._versions is None:
            self.current_versions()
        assert self._versions is not None
        return self._versions[0], self._counts

    def passages(self, versions: Sequence[str]) -> list[Hit]:
        """Every passage of the given article versions (:meth:`current_versions`), score 0; for lexical indexes.

        Cost: the whole passage collection is read in pages of :data:`READ_PAGE`
        when more than :data:`IN_FILTER_MAX` versions are asked for.
        """
        if not versions:
            return []
        wanted = set(versions)
        pages = []
        if len(wanted) <= IN_FILTER_MAX:
            pages.append(
                self._passages.get(
                    where={"article_version": {"$in": sorted(wanted)}}, include=["documents", "metadatas"]
                )
            )
        else:
            offset = 0
            while True:
                page = self._passages.get(include=["documents", "metadatas"], limit=READ_PAGE, offset=offset)
                pages.append(page)
                if len(page["ids"]) < READ_PAGE:
                    break
                offset += READ_PAGE
        return [
            Hit(id=i, text=d, metadata=dict(m), score=0.0)
            for got in pages
            for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])
            if d is not None and m and m.get("article_version") in wanted
        ]

    def passages_by_id(self, passage_ids: Sequence[str]) -> list[Hit]:
        """The stored passages of these ids (score 0), in no particular order; ids not stored are left out.

        Cost: one read of the passage collection by id, for the ids not read since the store last
        changed (the last :data:`CACHED_PASSAGES` passages read are kept in memory).
        """
        if not passage_ids:
            return []
        state, wanted = self._state(), list(dict.fromkeys(passage_ids))
        known = self._texts.get(state, wanted)
        unread = [i for i in wanted if i not in known]
        if unread:
            got = self._passages.get(ids=unread, include=["documents", "metadatas"])
            read = {
                i: Hit(id=i, text=d, metadata=dict(m), score=0.0)
                for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])
                if d is not None and m
            }
            self._texts.put(state, read)
            known = {**known, **read}
        return [_copy(known[i]) for i in wanted if i in known]

    def sentences_of(self, passage_ids: Sequence[str]) -> tuple[list[Hit], np.ndarray]:
        """The stored sentences of some passages and their embeddings.

        Returns:
            Sentence records (``metadata`` has ``passage_id``, ``char_start``,
            ``char_end``; score 0) and their ``(n, dimension)`` float32,
            L2-normalised embeddings, in the same order, passage after passage.

        Cost: one read of the sentence collection, for the passages not read since the store
        last changed (those of the last :data:`CACHED_PASSAGES` passages read are kept in memory).
        """
        state, wanted = self._state(), list(dict.fromkeys(passage_ids))
        known = self._sentences_by_passage.get(state, wanted)
        unread = [i for i in wanted if i not in known]
        if unread:
            got = self._sentences.get(
                where={"passage_id": {"$in": unread}}, include=["documents", "metadatas", "embeddings"]
            )
            read: dict[str, list[tuple[Hit, np.ndarray]]] = {i: [] for i in unread}
            vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), self.dimension)
            for i, d, m, v in zip(got["ids"], got["documents"], got["metadatas"], vectors):
                read.setdefault(str(m["passage_id"]), []).append((Hit(id=i, text=d, metadata=dict(m), score=0.0), v))
            self._sentences_by_passage.put(state, read)
            known = {**known, **read}
        rows = [row for i in wanted for row in known.get(i, ())]
        if not rows:
            return [], np.zeros((0, self.dimension), dtype=np.float32)
        return [_copy(h) for h, _ in rows], np.stack([v for _, v in rows])

    def query_sentences(self, embedding: np.ndarray, k: int, versions: Sequence[str]) -> list[Hit]:
        """The ``k`` sentences nearest to a query embedding among the given article versions, best first.

        Their texts are not read (``Hit.text`` is ``""``): a sentence's ``metadata`` (``passage_id``,
        ``char_start``, ``char_end``) locates it in its passage.
        """
        vector = self._check(np.asarray(embedding)[None, :], 1)
        if k <= 0 or not versions:
            return []
        return self._query(self._sentences, vector, k, list(versions), documents=False)

    def _query(
        self, collection: Any, vector: np.ndarray, k: int, versions: list[str], documents: bool = True
    ) -> list[Hit]:
        """The ``k`` nearest records of the given versions: a ``$in`` filter for a few versions; for many, or
        for all the current ones, ``2k + 16`` neighbours unfiltered with the wanted ones kept (old versions are
        deleted right after a switch, so few are ever in the way), and the filter only if that leaves fewer than ``k``."""
        wanted = set(versions)
        # Many versions, or every current one (the usual question; compared only when few): no filter.
        if len(wanted) > IN_FILTER_MAX or (
            self._versions is not None
            and len(wanted) == len(self._versions[2])
            and wanted.issuperset(self._versions[2])
        ):
            n = 2 * k + 16
            hits = self._raw_query(collection, vector, n, None, documents)
            kept = [h for h in hits if h.metadata.get("article_version") in wanted]
            if len(kept) >= k or len(hits) < n:
                return kept[:k]
        return self._raw_query(collection, vector, k, {"article_version": {"$in": sorted(wanted)}}, documents)

    def _raw_query(
        self, collection: Any, vector: np.ndarray, k: int, where: dict[str, Any] | None, documents: bool = True
    ) -> list[Hit]:
        """Chroma's query. Without ``documents``, only ids and distances are asked for, and the
        metadata comes from memory where it was read since the store last changed (reading it
        is most of a query's cost: measured 6.0 against 1.2 ms for 96 sentences at 100,000 passages)."""
        include = ["documents", "metadatas", "distances"] if documents else ["distances"]
        try:
            result = collection.query(query_embeddings=vector, n_results=k, where=where, include=include)
        except Exception as exc:
            if self._remote:  # the server's own message (_Guarded) says what to do
                raise
            # The embedded client keeps its vector index in memory: when another process
            # rewrote the store and this one could not load a new copy yet (the writer held
            # it), ids the store lists are missing from this copy.
            log.warning("query failed on this process's copy of the store: %s", exc)
            raise StoreError("the store is being changed by another process: ask again in a moment", busy=True) from exc
        ids, distances = result["ids"][0], result["distances"][0]
        if documents:
            texts, metadatas = result["documents"][0], result["metadatas"][0]
        else:
            texts, metadatas = [""] * len(ids), self._metadata_of(collection, ids)
        # A record deleted by another process can linger in this process's
        # index with no document or metadata left: skip it.
        return [
            Hit(id=i, text=d, metadata=dict(m), score=1.0 - float(dist))
            for i, d, m, dist in zip(ids, texts, metadatas, distances)
            if d is not None and m and "article_id" in m
        ]

    def _metadata_of(self, collection: Any, ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """The metadata of records of ``collection`` (passages or sentences), from memory or read at once."""
        cache = self._metadata[0 if collection is self._passages else 1]
        state = self._state()
        known = cache.get(state, ids)
        unread = [i for i in ids if i not in known]
        if unread:
            got = collection.get(ids=unread, include=["metadatas"])
            read = {i: dict(m) for i, m in zip(got["ids"], got["metadatas"]) if m}
            cache.put(state, read)
            known = {**known, **read}
        return [known.get(i) for i in ids]


def _copy(hit: Hit) -> Hit:
    """A hit whose metadata the caller may change without changing the one kept in memory."""
    return Hit(id=hit.id, text=hit.text, metadata=dict(hit.metadata), score=hit.score)
