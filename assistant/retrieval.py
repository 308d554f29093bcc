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
* lexical: BM25 (Robertson and Zaragoza 2009; :mod:`assistant.lexical`, saved
  next to the store and updated in place) over :func:`ingest.normalize.lexical_tokens`,
  where numbers, dates and Latin-script names meet across languages.

:class:`HybridRetriever` holds the three and the lexical index's cache;
:func:`assistant.chain.as_retriever` shows the ranking to LangChain as a
``BaseRetriever``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import UnknownArticleError
from assistant.lexical import LexicalIndex
from assistant.records import passage_from_hit
from assistant.types import RetrievedPassage
from ingest.embeddings import Embedder
from ingest.normalize import lexical_tokens
from vectorstore.chroma import PassageStore

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

    Holds the lexical index of the store's current article versions (loaded
    from ``index_dir`` or built on first use, then updated in place when they
    change, and saved there again) and its lock.

    Args:
        embeddings: The model the store was built with (``query:`` side here).
        store: Gives the passage store; called at each use, so the store can
            open lazily (:class:`vectorstore.LazyStore`) or be a fixed one (``lambda: store``).
        index_dir: Directory of the saved lexical index (:meth:`LexicalIndex.save`); ``None``:
            kept in memory only, built from the store by each process.
    """

    def __init__(self, embeddings: Embedder, store: Callable[[], PassageStore], index_dir: Path | None = None) -> None:
        self.embeddings = embeddings
        self._store = store
        self.index_dir = index_dir
        self._lexical: LexicalIndex | None = None
        self._lock = threading.Lock()
        self._rewritten: set[str] = set()  # versions repaired since the lexical index read them
        self._counted: str | None = None  # the store's generation when passage counts were last compared

    @property
    def store(self) -> PassageStore:
        """The passage store (opened on first use)."""
        return self._store()

    def reread(self, article_id: str, version: str) -> None:
        """Read this version's passages again at the next lexical index use (it was written again, same version)."""
        with self._lock:
            self._rewritten.add(f"{article_id}@{version}")

    def _passage_tokens(self, versions: list[str]) -> list[tuple[str, str, list[str]]]:
        """``(passage_id, version, lexical tokens)`` of every passage of these versions, read from the store."""
        rows = []
        for h in self.store.passages(versions):
            tokens = lexical_tokens(h.text)
            if not tokens:
                log.warning("passage %s has no lexical token: only dense retrieval can find it", h.id)
            rows.append((h.id, str(h.metadata["article_version"]), tokens))
        return rows

    def lexical_index(self, versions: Sequence[str] | None = None) -> LexicalIndex:
        """The BM25 index of these article versions (default: all current ones), brought up to date in place.

        The first use in a process loads the saved index (:attr:`index_dir`;
        about 1 s for 100,000 passages, benchmarks/scale.py) or, without one,
        reads and tokenises every passage (about 20 s for 100,000). After
        that, and after another process changed the store, only the passages
        of versions the index lacks are read and tokenised (about 0.1 s for
        one article); the index is saved again when it changed (a failure
        to save is logged: the index still serves from memory). One update
        at a time: concurrent questions wait for it rather than each making their own.
        """
        versions = tuple(self.store.current_versions() if versions is None else versions)
        with self._lock:
            index = self._lexical
            if index is None:
                started = time.perf_counter()
                loaded = LexicalIndex.load(self.index_dir) if self.index_dir is not None else None
                index = loaded if loaded is not None else LexicalIndex()
                if loaded is not None:
                    log.info("lexical index of %d passages loaded in %.2f s", len(index), time.perf_counter() - started)
            if index.differs(versions, self._rewritten):
                # What the store holds now, not what this question read before it waited for the lock
                # (another question may have brought the index past it already).
                versions = tuple(self.store.current_versions())
            self._rewritten |= self._incomplete(index)
            if index.differs(versions, self._rewritten):
                # Changed as a copy: questions of other threads may be ranking with the index held now.
                index = index.copy() if index is self._lexical else index
                index.update(versions, self._passage_tokens, reread=self._rewritten)
                self._save(index)
            self._lexical = index
            self._rewritten.clear()
            return index

    def _incomplete(self, index: LexicalIndex) -> set[str]:
        """Versions of which the index holds fewer or more passages than their article records say: read when
        the store was damaged and repaired since, maybe by another process (``article-qa check --repair``).
        Compared once per generation of the store (a few ms at 16,000 articles); the caller holds the lock."""
        generation, expected = self.store.passage_counts()
        if generation is not None and generation == self._counted:
            return set()
        held = index.passage_counts()
        wrong = {v for v, n in held.items() if v in expected and expected[v] != n}
        if wrong:
            log.info("lexical index: %d article version(s) read again (passages not as stored)", len(wrong))
        self._counted = generation
        return wrong

    def _save(self, index: LexicalIndex) -> None:
        if self.index_dir is None:
            return
        try:
            index.generation = self.store.generation()
            index.save(self.index_dir)
        except Exception as exc:  # a full disk, a read-only directory, a lock held too long: memory still serves
            log.warning("cannot save the lexical index in %s (%s): it is kept in memory only", self.index_dir, exc)

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
        vector = self.embeddings.encode_queries([question])[0]
        with self.store.reading():  # one hold of an embedded store's lock, one copy, for all the reads
            return self._retrieve(vector, lexical_tokens(question), article_ids)

    def _retrieve(self, vector: np.ndarray, tokens: list[str], article_ids: Sequence[str] | None) -> Retrieval:
        every, versions = self.selected_versions(article_ids)
        if not versions:
            return Retrieval(vector, [], [], [], [], tokens, 0.0, False)
        dense = self.store.query(vector, DENSE_K, versions=versions, documents=False)  # texts: below
        sentences = self.store.query_sentences(vector, SENTENCE_K, versions)
        index = self.lexical_index(every)  # one index over all articles; a selection filters its ranking
        lexical = index.rank(tokens, LEXICAL_K, versions if versions is not every else None)
        by_sentence = list(dict.fromkeys(str(h.metadata["passage_id"]) for h in sentences))
        fused = reciprocal_rank_fusion(
            [[h.id for h in dense], by_sentence, [pid for pid, _ in lexical]], FUSION_WEIGHTS
        )
        top = [pid for pid, _ in fused[:FUSION_DEPTH]]
        records = {h.id: h for h in self.store.passages_by_id(top)}  # the texts (dense hits carry none)
        current = set(versions)
        dense_score = {h.id: h.score for h in dense}
        floor = dense[-1].score if dense else 0.0
        ranked = [
            RetrievedPassage(passage_from_hit(records[pid]), dense_score.get(pid, floor))
            for pid in top
            if pid in records and records[pid].metadata.get("article_version") in current
        ]
        coverage = 0.0
        if ranked and tokens:
            best = index.held_tokens(ranked[0].passage.passage_id, tokens)
            coverage = sum(t in best for t in tokens) / len(tokens)
        agree = bool(dense and lexical and dense[0].id == lexical[0][0])
        return Retrieval(
            vector, ranked, [h.score for h in dense], [h.score for h in sentences], [x for _, x in lexical],
            tokens, coverage, agree,
        )  # fmt: skip

    def sentence_vectors(self, passage_ids: Sequence[str]) -> dict[SentenceKey, np.ndarray]:
        """The embeddings stored at ingestion of these passages' quotable sentences, by :data:`SentenceKey`:
        ``(dimension,)`` float32, L2-normalised each."""
        records, vectors = self.store.sentences_of(list(passage_ids))
        return {
            (str(r.metadata["passage_id"]), int(r.metadata["char_start"]), int(r.metadata["char_end"])): v
            for r, v in zip(records, vectors)
        }
