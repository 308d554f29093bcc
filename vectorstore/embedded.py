"""This process's connection to an embedded Chroma store, renewed when another process wrote to it.

Chroma keeps an embedded store's vector index in memory, one copy per
process, loaded when the process first opens the store. A process whose copy
is older than the store must not write: its copy, persisted, drops the other
process's vectors (measured with chromadb 1.5.9: a process that opened a
store, waited while another added 1,100 records, then added 1,100 itself,
left 800 records whose vectors could not be read). So a writer, holding the
store's :class:`vectorstore.locking.FileWriterLock`, first compares the
store's write token (:data:`WRITES_FILE`, which every writer changes before it
writes) with the token its copy was loaded at, and opens a new copy (a new
Chroma client on a fresh Chroma system) when they differ.

Readers take the same lock, for each call to Chroma (:meth:`EmbeddedStore.reading`; the reading
threads of one process share one hold of it, :meth:`vectorstore.locking.FileWriterLock.shared`):
Chroma writes to an embedded store even to answer a query (it applies its
write-ahead log to the vector index), so a process querying while another
writes can corrupt the store (seen: both processes killed by SIGSEGV, then
every later open failing with "Error in compaction: Failed to apply logs to
the hnsw segment writer"). A reader waits for a writer's article at most
:data:`READ_WAIT_S`.

One :class:`EmbeddedStore` per store directory per process
(:meth:`EmbeddedStore.at`), shared by every :class:`vectorstore.PassageStore`
on that directory, as Chroma shares one system per directory.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from vectorstore.errors import StoreError
from vectorstore.locking import LOCK_TIMEOUT_S, FileWriterLock

log = logging.getLogger(__name__)
#: The database file Chroma keeps in a store directory.
CHROMA_DATABASE = "chroma.sqlite3"

#: The file, in the store directory, holding the token of the store's latest write.
WRITES_FILE = "article-qa.writes"
#: Most seconds a reader (a question, a listing) waits for a writer, which holds the lock while it
#: writes one article (measured: an article of 800 passages and their sentences, about 6 s).
READ_WAIT_S = 30.0
#: What a copy of unknown age is loaded at: a client handed in, not opened here.
_UNKNOWN = "unknown"


def _new_client(path: Path) -> Any:
    """A ``chromadb.PersistentClient`` on a Chroma system of its own, telemetry off (the caller holds the lock).

    Chroma hands every client of one directory the process's cached system;
    clearing the cache (``SharedSystemClient.clear_system_cache``, the way
    Chroma's maintainers give to reopen a store) makes the next one load the
    store from disk. Clients already open keep their own systems.
    """
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from chromadb.config import Settings

    SharedSystemClient.clear_system_cache()
    try:
        return chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
    except Exception as exc:
        if "readonly" in str(exc).replace("-", "").replace(" ", "").lower():
            raise StoreError(
                f"the store at {path} is read-only (Chroma must write to it even to read): make it writable for this "
                "user, or use a copy in a writable place",
                path=path,
                setting="store",
            ) from exc
        raise StoreError(f"cannot open the store at {path} ({exc})", path=path, setting="store") from exc


class EmbeddedStore:
    """One embedded store directory as this process sees it: its Chroma client, writer lock and write token.

    Use :meth:`at` (one instance per directory per process), not the constructor.

    Attributes:
        path: The store directory.
        lock: Its :class:`FileWriterLock`.
        epoch: Counts the clients opened; a holder of collections re-reads them when it changes.
    """

    _open: ClassVar[dict[str, EmbeddedStore]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path, timeout: float = LOCK_TIMEOUT_S) -> None:
        self.path = path
        self.lock = FileWriterLock(path, timeout=timeout)
        self.epoch = 0
        self._client: Any = None
        self._loaded_at: str | None = None  # the write token the client's copy of the index reflects
        self._mutex = threading.Lock()  # the first open of the client
        self._held = threading.local()  # depth: 1 in reading(), 2 in writing()

    @classmethod
    def at(cls, path: str | Path) -> EmbeddedStore:
        """The store at ``path`` (created on first use, under its lock).

        Raises:
            StoreError: If the directory cannot be created, opened or locked.
        """
        resolved = Path(path).expanduser().resolve()
        with cls._registry_lock:
            store = cls._open.get(str(resolved))
            if store is None:
                store = cls._open[str(resolved)] = cls(resolved)
        store.client  # noqa: B018 - opened now, so that errors surface here
        return store

    @classmethod
    def adopt(cls, client: Any) -> EmbeddedStore:
        """The store a ``chromadb.PersistentClient`` made elsewhere points at; if this process has not
        opened it yet, the client is used, as a copy of unknown age (the first write opens a new one)."""
        resolved = Path(client.get_settings().persist_directory).expanduser().resolve()
        with cls._registry_lock:
            store = cls._open.get(str(resolved))
            if store is None:
                store = cls._open[str(resolved)] = cls(resolved)
                store._client, store._loaded_at, store.epoch = client, _UNKNOWN, 1
        return store

    def _read_token(self) -> str | None:
        try:
            return (self.path / WRITES_FILE).read_text(encoding="ascii").strip() or None
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(
                f"cannot read {self.path / WRITES_FILE} ({exc.strerror or exc}): check the store's permissions"
            ) from exc

    def _reopen(self) -> None:
        """Open a new client, loading the store as it is on disk now (the caller holds the lock).

        The old client's Chroma system (its copy of the index) is not stopped:
        another thread may still be reading through it. It is freed once
        unreferenced; its objects hold reference cycles, so a garbage
        collection runs now (measured: 11 MiB kept per reopen of a store of
        1,000 records without it, about 1 MiB with it).
        """
        reopening = self._client is not None
        self._client = _new_client(self.path)
        self._loaded_at = self._read_token()
        self.epoch += 1
        if reopening:
            gc.collect()

    @property
    def client(self) -> Any:
        """The Chroma client of this process, opened on first use.

        A new store is created under the writer lock (a second process
        creating it waits, then opens it); an existing one is opened under the
        lock too, waiting at most :data:`READ_WAIT_S`.

        Raises:
            StoreError: If the directory cannot be created or opened, or a writer holds the lock too long.
        """
        if self._client is None:
            with self._mutex:  # the first use opens it, once
                if self._client is None:
                    try:
                        self.path.mkdir(parents=True, exist_ok=True)
                    except OSError as exc:
                        raise StoreError(
                            f"cannot open the store at {self.path} ({exc.strerror or exc})",
                            path=self.path,
                            setting="store",
                        ) from exc
                    if not (self.path / CHROMA_DATABASE).is_file():
                        with self.lock.held():
                            self._reopen()
                    else:
                        with self.reading():
                            pass
        return self._client

    @property
    def write_token(self) -> str | None:
        """The store's write token that this process's copy reflects: it changes with every write, of any process."""
        return self._loaded_at

    def is_stale(self) -> bool:
        """Whether another process wrote to the store since this process's copy of it was loaded (one small file read)."""
        return self._loaded_at != self._read_token()

    def _load_current(self) -> None:
        """Open the store, or a new copy of it if another process wrote since this one was loaded (the caller holds the lock)."""
        if self._client is None or self.is_stale():
            self._reopen()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the store's lock for one read, with a copy of the store that is up to date.

        Reading threads of this process share one hold of the lock
        (:meth:`FileWriterLock.shared`: Chroma's own locks make its calls from
        threads of one process safe together); a writer of this process or
        another excludes them. The thread that begins a hold checks the store's
        write token (one small file read) and, if another process wrote since
        this copy was loaded, loads a new copy before any other reader joins;
        threads joining a hold check nothing, since no other process can write
        while it lasts. Nested in :meth:`reading` or :meth:`writing` of the
        same thread, it holds nothing more.

        Raises:
            StoreError: If a writer holds the lock over :data:`READ_WAIT_S`, or the store is read-only.
        """
        if getattr(self._held, "depth", 0):
            yield
            return
        with self.lock.shared(READ_WAIT_S, on_start=self._load_current):
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0

    @contextmanager
    def writing(self) -> Iterator[float]:
        """Hold the writer lock with a copy of the store that is up to date; yields when it was taken (``time.time()``).

        The store's write token changes before the caller writes anything,
        so a writer killed half-way still makes other processes reopen.

        Raises:
            StoreError: If the lock cannot be had (see :meth:`FileWriterLock.held`).
        """
        if getattr(self._held, "depth", 0) == 1:
            raise RuntimeError("a write cannot start inside a read: take writing() first")  # a bug, not a user's error
        with self.lock.held() as since:
            self._held.depth = 2
            try:
                self._load_current()
                token = uuid.uuid4().hex
                target = self.path / WRITES_FILE
                partial = target.with_name(f"{WRITES_FILE}.{os.getpid()}")
                partial.write_text(token, encoding="ascii")
                os.replace(partial, target)  # readers never see half a token
                self._loaded_at = token
                yield since
            finally:
                self._held.depth = 0
