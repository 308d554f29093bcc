"""A passage store opened on first use, once, however many threads ask for it at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from vectorstore.chroma import DEFAULT_COLLECTION, PassageStore, open_store_client, store_location


class LazyStore:
    """Opens a :class:`PassageStore` on the first call, and gives the same one after.

    Calling it is what the indexer and the retriever do at each use; nothing
    is opened at construction.

    Args:
        path: Directory of the embedded store (unused when ``host`` is given).
        host: Address of a Chroma server (``chroma run``), or ``None`` for the embedded store.
        port: The server's port.
        embedding_model: Name of the model whose embeddings the store holds.
        dimension: Size of those embeddings, or what gives it when the store is opened
            (an embedding server's model is known at its first answer).
        collection: Name of the passage collection.
    """

    def __init__(
        self,
        path: str | Path | None,
        *,
        host: str | None = None,
        port: int = 8000,
        embedding_model: str,
        dimension: int | Callable[[], int],
        collection: str = DEFAULT_COLLECTION,
    ) -> None:
        self.path = None if path is None else Path(path)
        self.host, self.port = host or None, port
        self.embedding_model, self._dimension, self.collection = embedding_model, dimension, collection
        self._store: PassageStore | None = None
        self._lock = threading.Lock()

    @property
    def location(self) -> str:
        """Where the store is, for messages: its directory, or ``chroma://host:port`` for a server."""
        return store_location(self.path, self.host, self.port)

    def __call__(self) -> PassageStore:
        """The store, opened now if it is not yet.

        Raises:
            StoreError: If it cannot be opened.
            ModelMismatchError: If it was built with another embedding model.
        """
        if self._store is None:
            with self._lock:  # two first questions at once open it once
                if self._store is None:
                    dimension = self._dimension if isinstance(self._dimension, int) else self._dimension()
                    client = open_store_client(self.path, self.host, self.port)
                    self._store = PassageStore(
                        client, embedding_model=self.embedding_model, dimension=dimension, collection=self.collection
                    )
        return self._store
