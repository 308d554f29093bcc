"""One writer at a time per store, across threads and processes.

Chroma is thread-safe but not process-safe (its "system constraints"
page): two processes writing one embedded store at once lose vectors (the
records stay in SQLite, their index entries are gone: ``Error finding id``),
and two writers of one article, each sweeping what is not its own version,
delete each other's new passages. So every write holds a lock:

* **embedded store** (:class:`FileWriterLock`): an OS file lock (``flock``,
  through the ``filelock`` package) on :data:`LOCK_FILE` in the store
  directory. The OS releases it when its process ends, even by ``kill -9``.
* **Chroma server** (:class:`LeaseWriterLock`): a lease record in the
  ``{collection}-locks`` collection, taken with Chroma's ``add``, which never
  overwrites a record that exists (so exactly one writer's add creates it).
  A lease lasts :data:`LEASE_TTL_S` seconds and is renewed at each batch
  (:meth:`LeaseWriterLock.confirm`); a writer that died leaves a lease that
  expires, and exactly one waiter takes it over. A writer confirms it still
  holds the lease just before switching an article record, so a writer
  paused past its lease loses, leaving only unreachable records.

A writer waiting for another logs one warning naming the holder
("waiting for another writer ...") and gives up after its timeout with a
:class:`vectorstore.errors.StoreError` that says who holds the store.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from vectorstore.errors import StoreError

log = logging.getLogger(__name__)

#: The lock file in an embedded store's directory.
LOCK_FILE = "article-qa.lock"
#: Most seconds a writer waits for another before it gives up.
LOCK_TIMEOUT_S = 300.0
#: Seconds a writer waits quietly before it says it is waiting.
WAIT_NOTICE_S = 1.0
#: Seconds a shared hold of an embedded store's lock (:meth:`FileWriterLock.shared`) admits more
#: reading threads; then it ends once those inside are done (each in one call to Chroma, a few ms),
#: so that a writer of another process, which polls the lock every 50 ms, finds it free in turn.
SHARE_S = 0.05
#: Seconds a lease on a Chroma server lasts unless renewed; a waiter takes
#: over a lease this long past its last renewal (its writer died or hung).
#: A writer renews it before each batch of at most
#: :data:`vectorstore.chroma.WRITE_BATCH` records, which takes a few seconds.
LEASE_TTL_S = 15.0
#: Seconds between two looks at a lease held by another writer.
LEASE_POLL_S = 0.25
#: Id of the lease record.
LEASE_ID = "writer"
#: Lease and take-over records are given this one-dimensional vector: Chroma
#: wants one per record, and nothing ever searches the lock collection.
_NO_VECTOR = [[1.0]]


def holder_description() -> str:
    """Who this writer is, for the messages of writers waiting for it: ``pid 123 on host: article-qa ingest``."""
    command = " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:2]) if sys.argv and sys.argv[0] else "python"
    return f"pid {os.getpid()} on {socket.gethostname()}: {command}"


class WriterLock(Protocol):
    """What :class:`vectorstore.PassageStore` needs of a lock: hold it, and check it is still held.

    Attributes:
        token: Names the current hold (a lease's token), recorded with what is written; ``None`` for locks that cannot be lost.
        taken_from: The token of a lease this hold took over from a writer that went silent, else ``None``:
            that writer may still be writing, so what it wrote is not swept.
    """

    token: str | None
    taken_from: str | None

    def held(self) -> Any:
        """A context manager that holds the lock; it yields the time it was taken (``time.time()``, seconds)."""
        ...

    def confirm(self) -> None:
        """Raise :class:`StoreError` if the lock was lost (a lease taken over); renew it otherwise."""
        ...


class ThreadWriterLock:
    """Writers of an in-memory Chroma client: one process, so a thread lock suffices."""

    token: str | None = None
    taken_from: str | None = None

    def __init__(self, timeout: float = LOCK_TIMEOUT_S) -> None:
        self.timeout = timeout
        self._thread = threading.RLock()

    @contextmanager
    def held(self) -> Iterator[float]:
        """Hold the lock (see :class:`WriterLock`)."""
        if not self._thread.acquire(timeout=self.timeout):
            raise StoreError(
                f"another thread has been writing to the store for over {self.timeout:g} s: try again", busy=True
            )
        try:
            yield time.time()
        finally:
            self._thread.release()

    def confirm(self) -> None:
        """A thread lock cannot be lost."""


class FileWriterLock:
    """An embedded store's lock: ``flock`` on :data:`LOCK_FILE` in its directory (``filelock``).

    Across processes it is exclusive, for readers too (an embedded store
    must not be read while another process writes it: see
    :mod:`vectorstore.embedded`). Within a process, writers (:meth:`held`)
    take turns and exclude everything else, while readers (:meth:`shared`)
    share one hold of the OS lock: the first reader takes it, later ones
    join while the hold is younger than :data:`SHARE_S` and no writer of this
    process waits, and the last one out releases it. A writer of this process
    waits for the readers inside to finish; readers arriving meanwhile wait
    for the writer.

    The holder writes who it is into the file, so a waiting writer can say
    whom it waits for. An OS lock cannot be lost, so ``token`` and
    ``taken_from`` are ``None``. The in-process part is a condition
    variable rather than a reader-writer lock package (``fasteners``,
    ``readerwriterlock``): the hold of the OS lock has to start with the
    first reader and end with the last, whichever threads they are.

    Args:
        directory: The store directory (created if missing).
        timeout: Most seconds a writer waits for another.
    """

    token: str | None = None
    taken_from: str | None = None

    def __init__(self, directory: str | Path, timeout: float = LOCK_TIMEOUT_S) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_FILE
        self.timeout = timeout
        self._thread = threading.RLock()  # writers of this process, one at a time
        self._state = threading.Condition()  # guards the four counts below
        self._readers = 0  # threads inside the shared hold
        self._shared_since: float | None = None  # time.monotonic() the shared hold began; None: no shared hold
        self._starting = False  # a reader is taking the OS lock (and running on_start) for a new shared hold
        self._writers = 0  # writers of this process holding or waiting for the lock (depth included)
        self._file: Any = None

    def _lock(self) -> Any:
        if self._file is None:
            import filelock

            def write_holder(fd: int) -> None:
                os.ftruncate(fd, 0)
                os.write(fd, holder_description().encode())

            # Not bound to a thread: a shared hold is released by whichever reader leaves last.
            self._file = filelock.FileLock(self.path, on_acquired=write_holder, thread_local=False)
        return self._file

    def holder(self) -> str:
        """Who holds the lock, as the holder wrote it (``"unknown"`` if it cannot be read)."""
        try:
            return self.path.read_text(encoding="utf-8", errors="replace").strip() or "unknown"
        except OSError:
            return "unknown"

    def _acquire_os(self, timeout: float, *, quiet: bool) -> Any:
        """Take the OS lock within ``timeout`` seconds; the ``filelock`` lock, to release.

        Raises:
            StoreError: If another process holds it longer, or the directory is read-only.
        """
        import filelock

        start = time.monotonic()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            lock = self._lock()
            try:
                lock.acquire(timeout=min(WAIT_NOTICE_S, timeout))
            except filelock.Timeout:
                if not quiet:
                    log.warning("waiting for another writer of the store at %s (%s)", self.directory, self.holder())
                try:
                    lock.acquire(timeout=max(0.0, timeout - (time.monotonic() - start)))
                except filelock.Timeout:
                    raise StoreError(
                        f"another process has been writing to the store at {self.directory} for over "
                        f"{timeout:g} s ({self.holder()}): let it finish or stop it, then run this again",
                        busy=True,
                    ) from None
        except OSError as exc:
            raise StoreError(
                f"the store at {self.directory} is read-only or cannot be locked for writing ({exc.strerror or exc}): "
                "make it writable for this user, or use a copy in a writable place",
                path=self.directory,
                setting="store",
            ) from exc
        return lock

    def _busy(self, timeout: float) -> StoreError:
        return StoreError(f"another thread has been writing to the store at {self.directory} for over "
                          f"{timeout:g} s: try again", busy=True)  # fmt: skip

    @contextmanager
    def held(self, timeout: float | None = None, *, quiet: bool = False) -> Iterator[float]:
        """Hold the lock alone, waiting for another writer and for this process's readers (see :class:`WriterLock`).

        Reentrant in one thread.

        Args:
            timeout: Most seconds to wait; by default the lock's ``timeout``.
            quiet: Do not log that it waits (a reader that gives up soon).

        Raises:
            StoreError: If another writer holds it longer, or the directory is read-only.
        """
        start, timeout = time.monotonic(), self.timeout if timeout is None else timeout
        if not self._thread.acquire(timeout=timeout):
            raise self._busy(timeout)
        try:
            with self._state:
                self._writers += 1  # from now on no reader joins or starts a shared hold
                if not self._state.wait_for(
                    lambda: not self._readers and not self._starting, max(0.0, timeout - (time.monotonic() - start))
                ):
                    self._writers -= 1
                    self._state.notify_all()
                    raise self._busy(timeout)
            try:
                lock = self._acquire_os(max(0.0, timeout - (time.monotonic() - start)), quiet=quiet)
                try:
                    yield time.time()
                finally:
                    lock.release()
            finally:
                with self._state:
                    self._writers -= 1
                    self._state.notify_all()
        finally:
            self._thread.release()

    @contextmanager
    def shared(self, timeout: float, *, on_start: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the lock with the other reading threads of this process (class docstring).

        Not reentrant: a thread inside :meth:`shared` or :meth:`held` must not
        call it again (:class:`vectorstore.embedded.EmbeddedStore` keeps count).

        Args:
            timeout: Most seconds to wait for a writer, of this process or another.
            on_start: Called when this reader begins a new hold, with the OS lock
                taken and before any other reader joins (reopening a stale copy
                of the store); if it raises, the hold is given up.

        Raises:
            StoreError: If a writer holds the lock over ``timeout``, or the directory is read-only.
        """
        deadline, opener = time.monotonic() + timeout, False
        with self._state:
            while True:
                if not self._writers and not self._starting:
                    if not self._readers:
                        self._starting = opener = True  # this thread takes the OS lock
                        break
                    assert self._shared_since is not None
                    if time.monotonic() - self._shared_since < SHARE_S:
                        self._readers += 1  # joins the hold
                        break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._state.wait(remaining):
                    if self._writers:
                        raise self._busy(timeout)
                    if self._starting:  # another reader waits for another process's writer
                        raise StoreError(
                            f"another process has been writing to the store at {self.directory} for over "
                            f"{timeout:g} s ({self.holder()}): let it finish or stop it, then run this again",
                            busy=True,
                        )
        if opener:
            try:
                lock = self._acquire_os(max(0.0, deadline - time.monotonic()), quiet=True)
                try:
                    if on_start is not None:
                        on_start()
                except BaseException:
                    lock.release()
                    raise
            except BaseException:
                with self._state:
                    self._starting = False
                    self._state.notify_all()
                raise
            with self._state:
                self._starting, self._readers, self._shared_since = False, 1, time.monotonic()
                self._state.notify_all()  # readers waiting may join now
        try:
            yield
        finally:
            with self._state:
                self._readers -= 1
                if not self._readers:
                    self._shared_since = None
                    self._lock().release()
                    self._state.notify_all()

    def confirm(self) -> None:
        """An OS file lock is held until released or its process ends: nothing to check."""


class LeaseWriterLock:
    """A Chroma server store's writer lock: a lease record in a collection of the store (module docstring).

    Args:
        collection: The ``{collection}-locks`` Chroma collection.
        where: How messages name the store (``chroma://host:port/collection``).
        timeout: Most seconds to wait for another writer.
        ttl: Seconds a lease lasts unless renewed (:data:`LEASE_TTL_S`).

    Writers' clocks must agree to within ``ttl``: a lease's expiry is a wall-clock time.
    """

    def __init__(self, collection: Any, where: str, timeout: float = LOCK_TIMEOUT_S, ttl: float = LEASE_TTL_S) -> None:
        self._collection = collection
        self.where = where
        self.timeout = timeout
        self.ttl = ttl
        self._thread = threading.RLock()
        self._token: str | None = None
        self.taken_from: str | None = None
        self._depth = 0

    @property
    def token(self) -> str | None:
        """The token of the lease held now, ``None`` when none is."""
        return self._token

    def _lease(self) -> tuple[str | None, dict[str, Any]]:
        got = self._collection.get(ids=[LEASE_ID], include=["documents", "metadatas"])
        if not got["ids"]:
            return None, {}
        return got["documents"][0], dict(got["metadatas"][0] or {})

    def _record(self, token: str, since: float) -> dict[str, Any]:
        return {"ids": [LEASE_ID], "documents": [token], "embeddings": _NO_VECTOR,
                "metadatas": [{"holder": holder_description(), "since": since, "expires": time.time() + self.ttl}]}  # fmt: skip

    def _acquire(self) -> float:
        token, start, warned = uuid.uuid4().hex, time.monotonic(), False
        self.taken_from = None
        while True:
            now = time.time()
            self._collection.add(**self._record(token, now))  # creates the lease only if there is none
            owner, lease = self._lease()
            if owner == token:
                break
            if owner is not None and float(lease.get("expires", 0.0)) < now:
                # Its writer died or hung. Exactly one waiter's add creates the take-over record
                # named after that lease, and only that waiter replaces the lease.
                claim = f"takeover-{owner}"
                self._collection.add(ids=[claim], documents=[token], embeddings=_NO_VECTOR, metadatas=[{"at": now}])
                if self._collection.get(ids=[claim], include=["documents"])["documents"] == [token]:
                    self._collection.upsert(**self._record(token, now))
                    self.taken_from = owner
                    log.warning("took over the write lease of the store at %s from %s, %.0f s past its expiry",
                                self.where, lease.get("holder", "unknown"), now - float(lease.get("expires", now)))  # fmt: skip
                    break
            if owner is not None and not warned:
                log.warning(
                    "waiting for another writer of the store at %s (%s)", self.where, lease.get("holder", "unknown")
                )
                warned = True
            if time.monotonic() - start > self.timeout:
                raise StoreError(
                    f"another process has been writing to the store at {self.where} for over {self.timeout:g} s "
                    f"({lease.get('holder', 'unknown')}): let it finish or stop it, then run this again",
                    busy=True,
                )
            time.sleep(LEASE_POLL_S * (0.5 + random.random()))
        self._token = token
        stale = self._collection.get(where={"at": {"$lt": now - 3600.0}}, include=[])["ids"]
        if stale:  # take-over records of leases long gone
            self._collection.delete(ids=stale)
        return now

    @contextmanager
    def held(self) -> Iterator[float]:
        """Hold the lease, waiting up to ``timeout`` seconds for another writer (see :class:`WriterLock`).

        Raises:
            StoreError: If another writer holds it longer.
        """
        if not self._thread.acquire(timeout=self.timeout):
            raise StoreError(f"another thread has been writing to the store at {self.where} for over "
                             f"{self.timeout:g} s: try again", busy=True)  # fmt: skip
        try:
            if self._depth:  # held already by this thread
                self._depth += 1
                yield time.time()
                return
            since = self._acquire()
            self._depth = 1
            try:
                yield since
            finally:
                self._depth = 0
                token, self._token, self.taken_from = self._token, None, None
                try:
                    owner, lease = self._lease()
                    if owner == token and float(lease.get("expires", 0.0)) > time.time():
                        self._collection.delete(ids=[LEASE_ID])
                except Exception:  # the lease then expires by itself
                    log.warning("could not release the write lease of the store at %s", self.where, exc_info=True)
        finally:
            self._thread.release()

    def confirm(self) -> None:
        """Renew the lease; raise if another writer took it over (this one was paused past its expiry).

        Raises:
            StoreError: If the lease is no longer this writer's.
        """
        owner, lease = self._lease()
        if self._token is None or owner != self._token:
            raise StoreError(
                f"another writer took over the store at {self.where} after this one went more than {self.ttl:g} s "
                f"without renewing its lease ({lease.get('holder', 'no lease')} holds it now): nothing was "
                "switched; run the command again"
            )
        self._collection.upsert(**self._record(self._token, float(lease.get("since", time.time()))))
