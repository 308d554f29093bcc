"""Passages and articles in Chroma, with the embedding model recorded and checked.

One store is two Chroma collections: ``{collection}`` holds one record per
passage (its text, metadata and embedding), ``{collection}-articles`` one
record per article (its full text, so citations and the UI can show context).
Both use cosine distance, set explicitly, and are given embeddings by the
caller: Chroma's own default embedding function is never used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vectorstore.errors import ModelMismatchError, StoreError

#: Name of the passage collection when none is given.
DEFAULT_COLLECTION = "articles"
#: Suffix of the article collection beside a passage collection.
ARTICLES_SUFFIX = "-articles"

Metadata = Mapping[str, str | int | float | bool]


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
    """Open an embedded Chroma store (``chromadb.PersistentClient``), telemetry off.

    Args:
        path: Directory of the store; created if missing.

    Raises:
        StoreError: If the directory cannot be created or opened.
    """
    import chromadb
    from chromadb.config import Settings

    path = Path(path).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
    except Exception as exc:
        raise StoreError(
            f"cannot open the store at {path} ({exc}): choose another directory with --store "
            "or ARTICLE_QA_STORE"
        ) from exc


class PassageStore:
    """Passage and article records of one embedding model, in a Chroma client.

    The passage collection's metadata records ``embedding_model`` and
    ``embedding_dim``; opening it with another model raises
    :class:`ModelMismatchError`, so vectors of two models never mix.

    Args:
        client: A Chroma client (``open_client(path)`` or a ``chromadb.HttpClient``).
        embedding_model: Name of the model whose embeddings are stored.
        dimension: Size of those embeddings.
        collection: Name of the passage collection (3-512 characters of
            ``[a-zA-Z0-9._-]``, Chroma's rule).

    Raises:
        ModelMismatchError: If the collection exists with another model or size.
        StoreError: If Chroma refuses the collection name, the name ends in
            ``-articles`` (reserved), or Chroma cannot be reached.
    """

    def __init__(self, client: Any, embedding_model: str, dimension: int, collection: str = DEFAULT_COLLECTION):
        if collection.endswith(ARTICLES_SUFFIX):
            raise StoreError(
                f"collection names ending in {ARTICLES_SUFFIX!r} are reserved for article records: "
                f"choose another name than {collection!r}"
            )
        self._client = client
        self.embedding_model = embedding_model
        self.dimension = dimension
        self.collection_name = collection
        metadata = {"embedding_model": embedding_model, "embedding_dim": dimension}
        try:
            self._passages = client.get_or_create_collection(
                collection,
                configuration={"hnsw": {"space": "cosine"}},
                metadata=metadata,
                embedding_function=None,
            )
            self._articles = client.get_or_create_collection(
                collection + ARTICLES_SUFFIX,
                configuration={"hnsw": {"space": "cosine"}},
                metadata=metadata,
                embedding_function=None,
            )
        except Exception as exc:
            raise StoreError(f"cannot open collection {collection!r}: {exc}") from exc
        stored = self._passages.metadata or {}
        if (stored.get("embedding_model"), stored.get("embedding_dim")) != (embedding_model, dimension):
            raise ModelMismatchError(
                f"collection {collection!r} was built with model {stored.get('embedding_model')} "
                f"({stored.get('embedding_dim')}-d); this run uses {embedding_model} ({dimension}-d). "
                f"Use the model it was built with (--embedding-model), or pick another collection "
                f"(--collection NAME) and ingest again."
            )

    def count(self) -> int:
        """Number of passages stored."""
        return self._passages.count()

    def article_ids(self) -> list[str]:
        """Ids of the stored articles, sorted."""
        return sorted(self._articles.get(include=[])["ids"])

    def _check(self, embeddings: np.ndarray, n: int) -> np.ndarray:
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if embeddings.shape != (n, self.dimension):
            raise StoreError(
                f"expected embeddings of shape ({n}, {self.dimension}), got {embeddings.shape}"
            )
        return embeddings

    def put_article(
        self,
        article_id: str,
        text: str,
        metadata: Metadata,
        embedding: np.ndarray,
        passage_ids: Sequence[str],
        passage_texts: Sequence[str],
        passage_metadatas: Sequence[Metadata],
        passage_embeddings: np.ndarray,
    ) -> int:
        """Store an article and its passages, replacing an earlier version of it.

        Passages are upserted by id, then passages of ``article_id`` that the new
        version no longer has are deleted; storing the same article twice leaves
        the store as it was. Writes go in batches of the client's maximum batch size.

        Args:
            article_id: Id of the article.
            text: Full article text.
            metadata: Article metadata (``title``, ``source``...; no ``None`` values).
            embedding: ``(dimension,)`` embedding of the article.
            passage_ids: One id per passage.
            passage_texts: One text per passage.
            passage_metadatas: One metadata mapping per passage; ``article_id`` is set here.
            passage_embeddings: ``(n, dimension)`` float32 embeddings of the passages.

        Returns:
            Number of stale passages deleted.

        Raises:
            StoreError: On shapes that do not match or a write Chroma refuses.
        """
        n = len(passage_ids)
        if not (len(passage_texts) == len(passage_metadatas) == n):
            raise StoreError("passage ids, texts and metadatas differ in length")
        vectors = self._check(passage_embeddings, n)
        article_vector = self._check(np.asarray(embedding)[None, :], 1)
        metadatas = [{**m, "article_id": article_id} for m in passage_metadatas]
        try:
            batch = self._client.get_max_batch_size()
            for i in range(0, n, batch):
                self._passages.upsert(
                    ids=list(passage_ids[i : i + batch]),
                    documents=list(passage_texts[i : i + batch]),
                    metadatas=metadatas[i : i + batch],
                    embeddings=vectors[i : i + batch],
                )
            self._articles.upsert(
                ids=[article_id], documents=[text], metadatas=[dict(metadata)], embeddings=article_vector
            )
            old = set(self._passages.get(where={"article_id": article_id}, include=[])["ids"])
            stale = sorted(old - set(passage_ids))
            if stale:
                self._passages.delete(ids=stale)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"could not write article {article_id!r} to the store: {exc}") from exc
        return len(stale)

    def get_article(self, article_id: str) -> tuple[str, dict[str, Any]] | None:
        """The stored text and metadata of an article, or ``None`` if absent."""
        got = self._articles.get(ids=[article_id], include=["documents", "metadatas"])
        if not got["ids"]:
            return None
        return got["documents"][0], dict(got["metadatas"][0] or {})

    def query(self, embedding: np.ndarray, k: int, article_ids: Sequence[str] | None = None) -> list[Hit]:
        """Find the ``k`` passages nearest to a query embedding.

        Args:
            embedding: ``(dimension,)`` query embedding.
            k: Number of passages wanted (fewer come back if fewer are stored).
            article_ids: Search only these articles; ``None`` for all.

        Returns:
            Hits, highest cosine similarity first.
        """
        vector = self._check(np.asarray(embedding)[None, :], 1)
        if k <= 0 or self.count() == 0:
            return []
        where = None
        if article_ids:
            where = {"article_id": {"$in": list(article_ids)}}
        result = self._passages.query(
            query_embeddings=vector,
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        # A record deleted by another process can linger in this process's
        # index with no document or metadata left: skip it.
        return [
            Hit(id=i, text=d, metadata=dict(m), score=1.0 - float(dist))
            for i, d, m, dist in zip(
                result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0]
            )
            if d is not None and m and "article_id" in m
        ]
