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
#: Layout of the records; a store of another layout is refused, not misread.
#: 2: passages carry ``article_version``, article records ``version`` (atomic re-ingestion).
#: 3: a sentence collection with the sentences' embeddings.
SCHEMA_VERSION = 3
#: Suffix of the article collection beside a passage collection.
ARTICLES_SUFFIX = "-articles"
#: Suffix of the sentence collection beside a passage collection.
SENTENCES_SUFFIX = "-sentences"
_RESERVED = (ARTICLES_SUFFIX, SENTENCES_SUFFIX)

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


#: The database file Chroma keeps in a store directory.
CHROMA_DATABASE = "chroma.sqlite3"


def has_collection(path: str | Path, collection: str) -> bool:
    """Whether an embedded store exists at ``path`` and holds ``collection``, without creating either.

    Raises:
        StoreError: If the store exists but cannot be opened.
    """
    if not (Path(path).expanduser() / CHROMA_DATABASE).is_file():
        return False
    try:
        return collection in {c.name for c in open_client(path).list_collections()}
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"cannot read the store at {path} ({exc})") from exc


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
            ``-articles`` or ``-sentences`` (reserved), or Chroma cannot be reached.
    """

    def __init__(self, client: Any, embedding_model: str, dimension: int, collection: str = DEFAULT_COLLECTION):
        if collection.endswith(_RESERVED):
            raise StoreError(
                f"collection names ending in {' or '.join(map(repr, _RESERVED))} are reserved for article and "
                f"sentence records: choose another name than {collection!r}"
            )
        self._client = client
        self.embedding_model = embedding_model
        self.dimension = dimension
        self.collection_name = collection
        metadata = {"embedding_model": embedding_model, "embedding_dim": dimension, "schema": SCHEMA_VERSION}
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
            self._sentences = client.get_or_create_collection(
                collection + SENTENCES_SUFFIX,
                configuration={"hnsw": {"space": "cosine"}},
                metadata=metadata,
                embedding_function=None,
            )
        except Exception as exc:
            raise StoreError(f"cannot open collection {collection!r}: {exc}") from exc
        stored = self._passages.metadata or {}
        if stored.get("schema") != SCHEMA_VERSION:
            raise StoreError(
                f"collection {collection!r} was written by an older article-qa (schema "
                f"{stored.get('schema', 1)}, this one reads {SCHEMA_VERSION}): ingest into a new store "
                "(--store) or collection (--collection)"
            )
        if (stored.get("embedding_model"), stored.get("embedding_dim")) != (embedding_model, dimension):
            raise ModelMismatchError(
                f"collection {collection!r} was built with model {stored.get('embedding_model')} "
                f"({stored.get('embedding_dim')}-d); this run uses {embedding_model} ({dimension}-d). "
                f"Use the model it was built with (--embedding-model), or pick another collection "
                f"(--collection NAME) and ingest again."
            )

    def count(self) -> int:
        """Number of passage records stored (an interrupted write may leave some not yet visible)."""
        return self._passages.count()

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
            raise StoreError(
                f"expected embeddings of shape ({n}, {self.dimension}), got {embeddings.shape}"
            )
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
        one its article record names). A new version is written in three steps:
        its passages are added (under ids of their own, invisible so far), the
        article record is switched to the new version (one record: the moment
        queries change over), then the old version's passages are deleted. A
        failure before the switch leaves the old version whole; after it, only
        unreachable leftovers, deleted by the next write of that article.

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
            ``("added" | "replaced" | "unchanged", number of old passages deleted)``;
            ``"unchanged"`` (the same version is stored) writes nothing.

        Raises:
            StoreError: On shapes that do not match or a write Chroma refuses.
        """
        n = len(passage_ids)
        if not (len(passage_texts) == len(passage_metadatas) == n):
            raise StoreError("passage ids, texts and metadatas differ in length")
        vectors = self._check(passage_embeddings, n)
        article_vector = self._check(np.asarray(embedding)[None, :], 1)
        previous = self.stored_version(article_id)
        if previous == version:
            return "unchanged", 0
        m = len(sentence_ids)
        if not (len(sentence_texts) == len(sentence_metadatas) == m):
            raise StoreError("sentence ids, texts and metadatas differ in length")
        sentence_vectors = self._check(
            np.zeros((0, self.dimension)) if sentence_embeddings is None else sentence_embeddings, m
        )
        key = f"{article_id}@{version}"
        tag = {"article_id": article_id, "article_version": key}
        try:
            self._upsert(self._passages, passage_ids, passage_texts, [{**x, **tag} for x in passage_metadatas], vectors)
            self._upsert(
                self._sentences, sentence_ids, sentence_texts, [{**x, **tag} for x in sentence_metadatas], sentence_vectors
            )
            self._articles.upsert(
                ids=[article_id],
                documents=[text],
                metadatas=[{**metadata, "version": version}],
                embeddings=article_vector,
            )
            old = {"$and": [{"article_id": article_id}, {"article_version": {"$ne": key}}]}
            removed = self._delete_passages(old)
            self._delete(self._sentences, old)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"could not write article {article_id!r} to the store: {exc}") from exc
        return ("added" if previous is None else "replaced"), removed

    def _upsert(
        self, collection: Any, ids: Sequence[str], texts: Sequence[str], metadatas: list[Any], vectors: np.ndarray
    ) -> None:
        batch = self._client.get_max_batch_size()
        for i in range(0, len(ids), batch):
            collection.upsert(
                ids=list(ids[i : i + batch]),
                documents=list(texts[i : i + batch]),
                metadatas=metadatas[i : i + batch],
                embeddings=vectors[i : i + batch],
            )

    @staticmethod
    def _delete(collection: Any, where: dict[str, Any]) -> int:
        ids = collection.get(where=where, include=[])["ids"]
        if ids:
            collection.delete(ids=ids)
        return len(ids)

    def _delete_passages(self, where: dict[str, Any]) -> int:
        return self._delete(self._passages, where)

    def remove_article(self, article_id: str) -> int:
        """Delete an article and its passages.

        The article record goes first, so queries stop seeing its passages at once.

        Returns:
            Number of passages deleted; 0 if the article was not stored.
        """
        try:
            self._articles.delete(ids=[article_id])
            self._delete(self._sentences, {"article_id": article_id})
            return self._delete_passages({"article_id": article_id})
        except Exception as exc:
            raise StoreError(f"could not remove article {article_id!r}: {exc}") from exc

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
    ) -> list[Hit]:
        """Find the ``k`` passages nearest to a query embedding, among current versions.

        Args:
            embedding: ``(dimension,)`` query embedding.
            k: Number of passages wanted (fewer come back if fewer are stored).
            article_ids: Search only these articles; ``None`` for all.
            versions: The article versions to search (:meth:`current_versions`),
                when the caller has read them already; ``article_ids`` is then ignored.

        Returns:
            Hits, highest cosine similarity first.

        Raises:
            StoreError: If another process changed the store since this one
                opened it (the embedded client's index is per process).

        Cost: besides the vector search, one read of the article records (to
        learn the current versions), which grows with the number of articles.
        """
        vector = self._check(np.asarray(embedding)[None, :], 1)
        current = list(versions) if versions is not None else self.current_versions(article_ids)
        if k <= 0 or not current:
            return []
        return self._query(self._passages, vector, k, current)

    def current_versions(self, article_ids: Sequence[str] | None = None) -> list[str]:
        """``{article_id}@{version}`` of each stored article (of ``article_ids`` only, if given): what queries see.

        Cost: one read of the article records.
        """
        if article_ids is not None and not article_ids:  # an empty selection selects nothing
            return []
        articles = self._articles.get(ids=list(article_ids) if article_ids else None, include=["metadatas"])
        return sorted(f"{i}@{(m or {}).get('version')}" for i, m in zip(articles["ids"], articles["metadatas"]))

    def passages(self, versions: Sequence[str]) -> list[Hit]:
        """Every passage of the given article versions (:meth:`current_versions`), score 0; for lexical indexes."""
        if not versions:
            return []
        got = self._passages.get(where={"article_version": {"$in": list(versions)}}, include=["documents", "metadatas"])
        return [
            Hit(id=i, text=d, metadata=dict(m), score=0.0)
            for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])
            if d is not None and m
        ]

    def sentences_of(self, passage_ids: Sequence[str]) -> tuple[list[Hit], np.ndarray]:
        """The stored sentences of some passages and their embeddings.

        Returns:
            Sentence records (``metadata`` has ``passage_id``, ``char_start``,
            ``char_end``; score 0) and their ``(n, dimension)`` float32,
            L2-normalised embeddings, in the same order.
        """
        if not passage_ids:
            return [], np.zeros((0, self.dimension), dtype=np.float32)
        got = self._sentences.get(
            where={"passage_id": {"$in": list(passage_ids)}}, include=["documents", "metadatas", "embeddings"]
        )
        hits = [Hit(id=i, text=d, metadata=dict(m), score=0.0) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(hits), self.dimension)
        return hits, vectors

    def query_sentences(self, embedding: np.ndarray, k: int, versions: Sequence[str]) -> list[Hit]:
        """The ``k`` sentences nearest to a query embedding among the given article versions, best first."""
        vector = self._check(np.asarray(embedding)[None, :], 1)
        if k <= 0 or not versions:
            return []
        return self._query(self._sentences, vector, k, list(versions))

    def _query(self, collection: Any, vector: np.ndarray, k: int, versions: list[str]) -> list[Hit]:
        where = {"article_version": {"$in": versions}}
        try:
            result = collection.query(
                query_embeddings=vector, n_results=k, where=where, include=["documents", "metadatas", "distances"]
            )
        except Exception as exc:
            # The embedded client keeps its vector index in memory: after another
            # process rewrote the store, ids the store lists are missing from it.
            raise StoreError(
                f"the store was changed by another process since this one opened it ({exc}): "
                "restart article-qa to see the changes"
            ) from exc
        # A record deleted by another process can linger in this process's
        # index with no document or metadata left: skip it.
        return [
            Hit(id=i, text=d, metadata=dict(m), score=1.0 - float(dist))
            for i, d, m, dist in zip(
                result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0]
            )
            if d is not None and m and "article_id" in m
        ]
