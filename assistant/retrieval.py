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
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.types import RetrievedPassage
from ingest.normalize import lexical_tokens
from vectorstore.chroma import Hit

log = logging.getLogger(__name__)

#: The constant k of reciprocal rank fusion (Cormack et al. 2009).
RRF_K = 60


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

    def rank(self, query_tokens: Sequence[str], k: int, versions: Sequence[str] | None = None) -> list[tuple[Hit, float]]:
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


#: Names of the features :func:`answerability_features` computes, in order.
FEATURES = (
    "dense_top",
    "dense_margin",
    "sentence_top",
    "sentence_margin",
    "lexical_top",
    "coverage",
    "agree",
    "cross_lingual",
)


#: Dense and sentence margins used when a store has fewer than 3 passages or
#: sentences: midway between the medians of answerable (0.058, 0.048) and
#: unanswerable (0.019, 0.015) calibration questions
#: (benchmarks/calibrate_abstention.py), so that they tip the decision neither way.
NEUTRAL_MARGINS = (0.0385, 0.0317)


def answerability_features(r: Retrieval, cross_lingual: bool, reference_k: int = 12) -> np.ndarray:
    """The evidence that the article answers a question, as a ``(len(FEATURES),)`` float64 vector.

    ``*_margin`` is the best score minus the median of the best
    ``reference_k``: an off-topic question scores alike everywhere, an
    answerable one peaks. ``lexical_top`` is the best BM25 score per query
    token. ``cross_lingual`` is 1 when the question's language differs from
    the best passage's (lexical evidence is then scarce by nature). With
    fewer than 3 scores there is no median to stand out from, and a margin
    takes its value from :data:`NEUTRAL_MARGINS`.
    """

    def margin(scores: list[float], neutral: float) -> float:
        ref = scores[:reference_k]
        return ref[0] - float(np.median(ref)) if len(ref) >= 3 else neutral

    dense = r.dense_scores or [0.0]
    sentences = r.sentence_scores or [0.0]
    lexical_top = (r.lexical_scores[0] if r.lexical_scores else 0.0) / (1 + len(r.query_tokens))
    return np.array(
        [
            dense[0],
            margin(dense, NEUTRAL_MARGINS[0]),
            sentences[0],
            margin(sentences, NEUTRAL_MARGINS[1]),
            lexical_top,
            r.coverage,
            float(r.agree),
            float(cross_lingual),
        ]
    )
