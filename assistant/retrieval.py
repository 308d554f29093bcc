"""Hybrid retrieval: dense passages, dense sentences and BM25 over Arabic-aware tokens, fused by rank.

Three rankings of the current passages are fused by reciprocal rank fusion
(Cormack, Clarke and Büttcher 2009, "Reciprocal rank fusion outperforms
Condorcet and individual rank learning methods"): score(p) = Σ_r w_r / (k + rank_r(p)),
k = 60 as in the paper.

* dense passages: cosine similarity of the ``query:`` and ``passage:`` E5
  embeddings (Chroma);
* dense sentences: a passage ranked by its best sentence (sentences are
  embedded at ingestion), which finds the one sentence that answers inside a
  long passage;
* lexical: BM25 (Robertson and Zaragoza 2009; the ``bm25s`` library, Lù
  2024) over :func:`ingest.normalize.lexical_tokens`, where numbers, dates
  and Latin-script names meet across languages.

:class:`HybridRetriever` holds the three and the lexical index's cache;
:func:`assistant.chain.as_retriever` shows the ranking to LangChain as a
``BaseRetriever``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.errors import UnknownArticleError
from assistant.records import passage_from_hit
from assistant.types import RetrievedPassage
from ingest.embeddings import Embedder
from ingest.normalize import lexical_tokens
from vectorstore.chroma import Hit, PassageStore

log = logging.getLogger(__name__)

#: The constant k of reciprocal rank fusion (Cormack et al. 2009).
RRF_K = 60
#: Depth of each ranking fused by :meth:`HybridRetriever.retrieve`: dense
#: passages, dense sentences (each passage at its best sentence's rank), BM25.
DENSE_K, SENTENCE_K, LEXICAL_K = 20, 40, 20
#: Weights of those three rankings in reciprocal rank fusion.
FUSION_WEIGHTS = (1.0, 1.0, 1.0)
#: Passages kept after fusion.
FUSION_DEPTH = 20

#: A sentence's key: ``(passage_id, char_start, char_end)``, offsets in the article.
SentenceKey = tuple[str, int, int]


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None, k: int = RRF_K
) -> list[tuple[str, float]]:
    """Fuse rankings of ids: ``Σ w_r / (k + rank)`` per id (rank 1-based), best first.

    Example:
        >>> reciprocal_rank_fusion([["a", "b"], ["b", "c"]])[0][0]
        'b'
    """
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


@dataclass
class LexicalIndex:
    """A BM25 index over the passages of some article versions, kept in memory.

    Built from the store on first use and rebuilt when the set of article
    versions changes (an article added, replaced or removed, by any
    process); a rebuild tokenises only the passages it has not seen. Cost
    (benchmarks/scale.py, 2 cores): the README's *Measured* table.

    Attributes:
        versions: The article versions (``{article_id}@{version}``) indexed.
        passages: The indexed passages, in index order.
        by_id: The same passages by id.
    """

    versions: tuple[str, ...]
    passages: list[Hit]
    _bm25: object | None = field(default=None, repr=False)
    _tokens: list[list[str]] = field(default_factory=list, repr=False)
    by_id: dict[str, Hit] = field(init=False, repr=False)
    _position: dict[str, int] = field(init=False, repr=False)
    _version_codes: dict[str, int] = field(init=False, repr=False)
    _version_of: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id = {h.id: h for h in self.passages}
        self._position = {h.id: i for i, h in enumerate(self.passages)}
        self._version_codes = {v: i for i, v in enumerate(self.versions)}
        self._version_of = np.array(
            [self._version_codes.get(str(h.metadata.get("article_version")), -1) for h in self.passages], dtype=np.int64
        )

    def tokens_of(self, passage_id: str) -> list[str]:
        """The lexical tokens of an indexed passage (computed once, at build); ``[]`` if it is not indexed."""
        i = self._position.get(passage_id)
        return self._tokens[i] if i is not None and i < len(self._tokens) else []

    @classmethod
    def build(cls, versions: Sequence[str], passages: list[Hit], previous: LexicalIndex | None = None) -> LexicalIndex:
        """Tokenise and index ``passages``; a passage with no token is logged (it can only be found densely).

        Args:
            previous: An earlier index whose passages' tokens are reused (passage
                ids name one version of one text, so equal ids mean equal tokens).
        """
        import bm25s

        known = previous.tokens_of if previous is not None else (lambda _: [])
        tokens = [known(p.id) or lexical_tokens(p.text) for p in passages]
        for p, t in zip(passages, tokens):
            if not t:
                log.warning("passage %s has no lexical token: only dense retrieval can find it", p.id)
        bm25 = None
        if any(tokens):
            bm25 = bm25s.BM25()
            bm25.index([t or [""] for t in tokens], show_progress=False)
        return cls(tuple(versions), passages, bm25, tokens)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage for ``query_tokens``: ``(len(passages),)`` float32, 0 where nothing matches."""
        if self._bm25 is None or not query_tokens:
            return np.zeros(len(self.passages), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(list(query_tokens)), dtype=np.float32)  # type: ignore[attr-defined]

    def rank(
        self, query_tokens: Sequence[str], k: int, versions: Sequence[str] | None = None
    ) -> list[tuple[Hit, float]]:
        """The ``k`` best passages with a positive BM25 score, best first.

        Args:
            versions: Rank only passages of these article versions (BM25
                statistics stay those of the whole index); ``None`` for all.
        """
        scores = self.scores(query_tokens)
        if versions is not None:
            codes = [self._version_codes[v] for v in versions if v in self._version_codes]
            scores = np.where(np.isin(self._version_of, codes), scores, 0.0)
        top = np.argpartition(-scores, k - 1)[:k] if 0 < k < len(scores) else np.arange(len(scores))
        order = top[np.argsort(-scores[top], kind="stable")]
        return [(self.passages[i], float(scores[i])) for i in order if scores[i] > 0]


@dataclass(frozen=True)
class Retrieval:
    """What hybrid retrieval found for a question: the fused ranking and the evidence behind it.

    Attributes:
        vector: ``(dimension,)`` float32 L2-normalised question embedding.
        passages: Passages, best fused rank first, as ``RetrievedPassage``.
        dense_scores: Cosine similarities of the dense top passages, best first.
        sentence_scores: Cosine similarities of the dense top sentences, best first.
        lexical_scores: BM25 scores of the lexical top passages, best first.
        query_tokens: The question's lexical tokens.
        coverage: Share of ``query_tokens`` found in the best fused passage.
        agree: Whether the dense and the lexical rankings put the same passage first.
    """

    vector: np.ndarray
    passages: list[RetrievedPassage]
    dense_scores: list[float]
    sentence_scores: list[float]
    lexical_scores: list[float]
    query_tokens: list[str]
    coverage: float
    agree: bool


class HybridRetriever:
    """Ranks the stored passages for a question: dense passages, dense sentences and BM25, fused by rank.

    Holds the lexical index of the store's current article versions (built
    on first use, rebuilt when they change) and its lock.

    Args:
        embeddings: The model the store was built with (``query:`` side here).
        store: Gives the passage store; called at each use, so the store can
            open lazily (:class:`vectorstore.LazyStore`) or be a fixed one (``lambda: store``).
    """

    def __init__(self, embeddings: Embedder, store: Callable[[], PassageStore]) -> None:
        self.embeddings = embeddings
        self._store = store
        self._lexical: LexicalIndex | None = None
        self._lock = threading.Lock()
        self._rewritten: set[str] = set()  # versions repaired since the lexical index read them

    @property
    def store(self) -> PassageStore:
        """The passage store (opened on first use)."""
        return self._store()

    def reread(self, article_id: str, version: str) -> None:
        """Read this version's passages again at the next lexical index use (it was written again, same version)."""
        with self._lock:
            self._rewritten.add(f"{article_id}@{version}")

    def lexical_index(self, versions: Sequence[str] | None = None) -> LexicalIndex:
        """The BM25 index of these article versions (default: all current ones), rebuilt only when they change.

        The first build reads and tokenises every passage (about 24 s for
        100,000 passages on 2 cores, benchmarks/scale.py); a rebuild after a
        change reads and tokenises only the new articles' passages and re-indexes
        (about 6 s at 100,000). One build at a time: concurrent questions wait
        for it rather than each building their own.
        """
        versions = tuple(self.store.current_versions() if versions is None else versions)
        with self._lock:
            old = self._lexical
            if old is None or old.versions != versions or self._rewritten & set(versions):
                # Passages of versions already indexed are reused (a version is immutable, unless
                # repaired): only new versions are read from the store, and only their passages tokenised.
                kept = set(versions) & set(old.versions) - self._rewritten if old else set()
                passages = [h for h in old.passages if h.metadata.get("article_version") in kept] if old else []
                passages += self.store.passages([v for v in versions if v not in kept])
                old = self._lexical = LexicalIndex.build(versions, passages, previous=old)
                self._rewritten.clear()
            return old

    def selected_versions(self, article_ids: Sequence[str] | None) -> tuple[list[str], list[str]]:
        """``(all current versions, those of article_ids)``; ``None`` or ``[]`` selects every article.

        Raises:
            UnknownArticleError: If an id of ``article_ids`` is not stored (it names the stored ids).
        """
        every = self.store.current_versions()
        if not article_ids:
            return every, every
        chosen = self.store.current_versions(list(article_ids))
        if len(chosen) < len(set(article_ids)):
            stored = self.store.article_ids()
            raise UnknownArticleError(sorted(set(article_ids) - set(stored)), stored)
        return every, chosen

    def retrieve(self, question: str, article_ids: Sequence[str] | None = None) -> Retrieval:
        """Rank passages by fusing dense passage, dense sentence and BM25 rankings.

        Args:
            question: The question, as embedded (:func:`ingest.normalize.for_embedding`).
            article_ids: Search only these articles; ``None`` or ``[]`` for all.

        Returns:
            A :class:`Retrieval`: passages best fused rank first (up to
            :data:`FUSION_DEPTH`), each with its dense cosine similarity (for a
            passage outside the dense top :data:`DENSE_K`, the lowest similarity
            seen there), and the evidence abstention uses.

        Raises:
            UnknownArticleError: If an id of ``article_ids`` is not stored.
            StoreError: If the store cannot be read.
        """
        every, versions = self.selected_versions(article_ids)
        vector = self.embeddings.encode_queries([question])[0]
        tokens = lexical_tokens(question)
        if not versions:
            return Retrieval(vector, [], [], [], [], tokens, 0.0, False)
        dense = self.store.query(vector, DENSE_K, versions=versions)
        sentences = self.store.query_sentences(vector, SENTENCE_K, versions)
        index = self.lexical_index(every)  # one index over all articles; a selection filters its ranking
        lexical = index.rank(tokens, LEXICAL_K, versions if versions is not every else None)
        by_sentence = list(dict.fromkeys(str(h.metadata["passage_id"]) for h in sentences))
        fused = reciprocal_rank_fusion([[h.id for h in dense], by_sentence, [h.id for h, _ in lexical]], FUSION_WEIGHTS)
        records = index.by_id  # every passage of these versions, so every dense hit too
        dense_score = {h.id: h.score for h in dense}
        floor = dense[-1].score if dense else 0.0
        ranked = [
            RetrievedPassage(passage_from_hit(records[pid]), dense_score.get(pid, floor))
            for pid, _ in fused[:FUSION_DEPTH]
            if pid in records
        ]
        coverage = 0.0
        if ranked and tokens:
            best = set(index.tokens_of(ranked[0].passage.passage_id))
            coverage = sum(t in best for t in tokens) / len(tokens)
        agree = bool(dense and lexical and dense[0].id == lexical[0][0].id)
        return Retrieval(
            vector, ranked, [h.score for h in dense], [h.score for h in sentences], [x for _, x in lexical],
            tokens, coverage, agree,
        )  # fmt: skip

    def sentence_vectors(self, passage_ids: Sequence[str]) -> dict[SentenceKey, np.ndarray]:
        """The embeddings stored at ingestion of these passages' quotable sentences, by :data:`SentenceKey`."""
        records, vectors = self.store.sentences_of(list(passage_ids))
        return {
            (str(r.metadata["passage_id"]), int(r.metadata["char_start"]), int(r.metadata["char_end"])): v
            for r, v in zip(records, vectors)
        }
