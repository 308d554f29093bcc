"""The BM25 index of the stored passages: kept in segments, updated in place, saved next to the store.

BM25 (Robertson and Zaragoza 2009, "The Probabilistic Relevance Framework:
BM25 and Beyond") scores passage ``d`` for query tokens ``q`` as

    Σ_{t ∈ q} idf(t) · tf(t, d) / (tf(t, d) + k1 · (1 − b + b · |d| / avgdl)),
    idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5)),

Lucene's variant, with k1 = 1.5 and b = 0.75: the formula and defaults of the
``bm25s`` library (Lù 2024) that this project used before, to which the scores
are equal (tests/unit/test_lexical.py). ``bm25s`` computes every
passage's score of every token when it indexes, so one more article means
indexing everything again (xhluca/bm25s issues #5, #98, #129: no incremental
update). Here the index keeps term frequencies instead, and scores at query
time only the tokens asked:

* postings are in *segments*, one per change (as Lucene keeps them): a
  token's row in each segment lists the passages holding it and how often;
  adding an article adds a small segment, removing one only marks its
  passages dead. ``N``, ``df`` and ``avgdl`` are those of the live passages,
  so scores are exact whatever the segments. When dead passages or segments
  pile up, the segments are merged in memory (no passage is read or
  tokenised again);
* the index is saved to a directory (:meth:`LexicalIndex.save`: one ``.npz``
  file per segment and a ``manifest.json`` naming them, with the store's
  generation and the versions it holds), each file written once and
  replaced atomically, so a process reading it while another saves sees
  either index whole; a process starting loads it (:meth:`LexicalIndex.load`)
  and reads from the store only the article versions it lacks.

The tokens are :func:`ingest.normalize.lexical_tokens`; a saved index records
a hash of that module's source and is not loaded once it changes.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: BM25's k1 and b (the values ``bm25s`` and Lucene use).
K1, B = 1.5, 0.75
#: Layout of a saved index; another layout is not loaded (the index is built again).
FORMAT = 1
#: Segments merged into one when there are more than this many.
MAX_SEGMENTS = 8
#: Share of dead passages (of removed or replaced versions) past which the segments are merged.
MAX_DEAD_SHARE = 0.25
#: Segment files no manifest names (left by a process that lost a race to save) are deleted after this many seconds.
ORPHAN_AGE_S = 600.0
_MANIFEST = "manifest.json"


def index_directory(
    store_path: str | Path | None, collection: str, *, host: str | None = None, port: int = 8000
) -> Path:
    """Where the lexical index of a store is saved: in the embedded store's directory
    (``{store}/article-qa-lexical/{collection}``), or, for a Chroma server, in the user's cache
    directory (``~/.cache/article-qa/lexical/{host}-{port}/{collection}`` on Linux, from ``platformdirs``).

    Raises:
        ValueError: If neither ``store_path`` nor ``host`` is given.
    """
    if host:
        import platformdirs

        return Path(platformdirs.user_cache_dir("article-qa")) / "lexical" / f"{host}-{port}" / collection
    if store_path is None:
        raise ValueError("a lexical index needs a store directory or a Chroma server")
    return Path(store_path).expanduser().resolve() / "article-qa-lexical" / collection


def tokenizer_hash() -> str:
    """SHA-256 (16 hex digits) of the source of :mod:`ingest.normalize`, which makes the lexical tokens."""
    import ingest.normalize

    return hashlib.sha256(inspect.getsource(ingest.normalize).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class _Segment:
    """Postings of passages ``start .. start + len(ids)`` (global positions), a CSR matrix by token id.

    Attributes:
        start: Position of its first passage in the index.
        ids: Passage ids, ``(n,)``.
        versions: Article version of each passage, ``(n,)``.
        lengths: Tokens per passage, ``(n,)`` float32.
        indptr: ``(vocabulary at build + 1,)`` int64: the passages of token ``t`` are ``indices[indptr[t]:indptr[t+1]]``.
        indices: Local passage positions, int32, ascending within a token.
        counts: Term frequencies, float32, beside ``indices``.
        name: File name when saved (``seg-<hex>.npz``).
    """

    start: int
    ids: np.ndarray
    versions: np.ndarray
    lengths: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    counts: np.ndarray
    name: str

    @classmethod
    def build(
        cls, start: int, ids: Sequence[str], versions: Sequence[str], tokens: Sequence[Sequence[int]]
    ) -> _Segment:
        """A segment from each passage's token ids (``vocabulary`` must already hold every id)."""
        rows: list[int] = []
        cols: list[int] = []
        lengths = np.zeros(len(ids), dtype=np.float32)
        for i, tids in enumerate(tokens):
            lengths[i] = len(tids)
            rows.extend(tids)
            cols.extend([i] * len(tids))
        vocabulary = (max(rows) + 1) if rows else 0
        r, c = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        # Sort by (token, passage), then count repeats: the term frequency of each pair.
        key = r * max(len(ids), 1) + c
        pairs, counts = np.unique(key, return_counts=True)
        pr, pc = pairs // max(len(ids), 1), pairs % max(len(ids), 1)
        indptr = np.zeros(vocabulary + 1, dtype=np.int64)
        np.add.at(indptr, pr + 1, 1)
        return cls(
            start, np.asarray(ids, dtype=str), np.asarray(versions, dtype=str), lengths, np.cumsum(indptr),
            pc.astype(np.int32), counts.astype(np.float32), f"seg-{uuid.uuid4().hex[:16]}.npz",
        )  # fmt: skip

    def postings(self, token: int) -> tuple[np.ndarray, np.ndarray]:
        """``(global positions, term frequencies)`` of the passages of this segment holding ``token``."""
        if token + 1 >= len(self.indptr):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        a, b = self.indptr[token], self.indptr[token + 1]
        return self.indices[a:b].astype(np.int64) + self.start, self.counts[a:b]


class LexicalIndex:
    """BM25 over the passages of some article versions, updated in place (module docstring).

    Changes are made in place: a holder that others may be reading changes a :meth:`copy`
    (:class:`assistant.retrieval.HybridRetriever` does, under its lock) and swaps it in.

    Attributes:
        versions: The live article versions (``{article_id}@{version}``), sorted.
        generation: The store's generation when the index was last saved (``None``: never saved).
    """

    def __init__(self) -> None:
        self.generation: str | None = None
        self._vocabulary: dict[str, int] = {}
        self._terms: list[str] = []
        self._segments: list[_Segment] = []
        self._live = np.zeros(0, dtype=bool)
        self._lengths = np.zeros(0, dtype=np.float32)
        self._version_of = np.zeros(0, dtype=np.int64)  # code of each passage's version
        self._codes: dict[str, int] = {}
        self._live_versions: set[str] = set()
        self._position: dict[str, int] = {}  # live passage id -> position
        self._same_as: tuple[tuple[str, ...], int] | None = None  # (versions found equal to the live ones, at _changes)
        self._changes = 0  # changes of the live versions

    # -- shape ---------------------------------------------------------------
    @property
    def versions(self) -> tuple[str, ...]:
        """The live article versions, sorted."""
        return tuple(sorted(self._live_versions))

    def __len__(self) -> int:
        """Live passages."""
        return len(self._position)

    def passage_counts(self) -> dict[str, int]:
        """Live passages per live article version."""
        codes = np.bincount(self._version_of[self._live], minlength=len(self._codes))
        return {v: int(codes[self._codes[v]]) for v in self._live_versions}

    @property
    def segments(self) -> int:
        """Segments held (merged past :data:`MAX_SEGMENTS`)."""
        return len(self._segments)

    # -- changes -------------------------------------------------------------
    def add(self, passages: Sequence[tuple[str, str, Sequence[str]]]) -> None:
        """Index passages ``(passage_id, article_version, tokens)`` as one new segment; their versions become live.

        Give every passage of a version at once: passages of these versions indexed before are marked dead.

        A passage with no token is counted (N, avgdl) and can be found only densely.
        """
        if not passages:
            return
        self.remove({v for _, v, _ in passages})  # a version stored again: its older copies die
        vocabulary = self._vocabulary
        token_ids = []
        for _, _, tokens in passages:
            ids = []
            for t in tokens:
                i = vocabulary.get(t)
                if i is None:
                    i = vocabulary[t] = len(self._terms)
                    self._terms.append(t)
                ids.append(i)
            token_ids.append(ids)
        start = len(self._live)
        segment = _Segment.build(start, [p for p, _, _ in passages], [v for _, v, _ in passages], token_ids)
        self._append(segment, live=None)

    def _append(self, segment: _Segment, live: set[str] | None) -> None:
        """Take a segment in; its passages are live if their version is in ``live`` (``None``: all of them)."""
        self._changes += 1
        for v in dict.fromkeys(segment.versions.tolist()):
            if live is None or v in live:
                self._live_versions.add(v)
            self._codes.setdefault(v, len(self._codes))
        codes = np.array([self._codes[v] for v in segment.versions.tolist()], dtype=np.int64)
        alive = np.array([v in self._live_versions for v in segment.versions.tolist()], dtype=bool)
        self._segments.append(segment)
        self._live = np.concatenate([self._live, alive])
        self._lengths = np.concatenate([self._lengths, segment.lengths])
        self._version_of = np.concatenate([self._version_of, codes])
        for i, (pid, ok) in enumerate(zip(segment.ids.tolist(), alive.tolist())):
            if ok:
                self._position[pid] = segment.start + i

    def remove(self, versions: Iterable[str]) -> None:
        """Mark the passages of these article versions dead (they stop counting in N, df and avgdl)."""
        gone = set(versions) & self._live_versions
        if not gone:
            return
        self._changes += 1
        self._live_versions -= gone
        codes = [self._codes[v] for v in gone]
        dead = np.isin(self._version_of, codes) & self._live
        self._live = self._live & ~dead
        for seg in self._segments:
            stop = seg.start + len(seg.ids)
            for i in np.flatnonzero(dead[seg.start : stop]).tolist():
                self._position.pop(str(seg.ids[i]), None)

    def copy(self) -> LexicalIndex:
        """An index equal to this one that can change without changing it (segments are shared: they never change)."""
        other = LexicalIndex()
        other.generation = self.generation
        other._vocabulary, other._terms = dict(self._vocabulary), list(self._terms)
        other._segments = list(self._segments)
        other._live, other._lengths, other._version_of = self._live, self._lengths, self._version_of
        other._codes, other._live_versions, other._position = (
            dict(self._codes),
            set(self._live_versions),
            dict(self._position),
        )
        return other

    def differs(self, versions: Iterable[str], reread: Iterable[str] = ()) -> bool:
        """Whether :meth:`update` with these arguments would change anything.

        Cost: a comparison of tuples when ``versions`` equals the last one found the same as the
        index (about 0.1 ms at 16,000 versions, against 1–3 ms to compare them as sets).
        """
        if set(reread) & self._live_versions:
            return True
        key = versions if isinstance(versions, tuple) else tuple(versions)
        if self._same_as is not None and self._same_as[1] == self._changes and key == self._same_as[0]:
            return False
        if set(key) != self._live_versions:
            return True
        self._same_as = (key, self._changes)
        return False

    def update(
        self,
        versions: Sequence[str],
        passages_of: Callable[[list[str]], Sequence[tuple[str, str, Sequence[str]]]],
        reread: Iterable[str] = (),
    ) -> bool:
        """Bring the index to exactly ``versions``: remove the others, read and index the missing ones.

        Args:
            versions: The store's current article versions.
            passages_of: Reads ``(passage_id, version, tokens)`` of some versions from the store.
            reread: Versions written again since they were read (repaired): removed and read again.

        Returns:
            Whether anything changed.
        """
        wanted = set(versions)
        stale = (self._live_versions - wanted) | (set(reread) & self._live_versions)
        missing = sorted(wanted - (self._live_versions - stale))
        if not stale and not missing:
            return False
        self.remove(stale)
        self.add(passages_of(missing) if missing else [])
        dead = len(self._live) - int(self._live.sum())
        if len(self._segments) > MAX_SEGMENTS or (self._live.size and dead / self._live.size > MAX_DEAD_SHARE):
            self.merge()
        return True

    def merge(self) -> None:
        """Rewrite the live passages of every segment as one segment (postings kept: nothing is tokenised)."""
        started = time.perf_counter()
        ids: list[str] = []
        versions: list[str] = []
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        new_position = np.full(len(self._live), -1, dtype=np.int64)
        new_position[self._live] = np.arange(int(self._live.sum()))
        for seg in self._segments:
            stop = seg.start + len(seg.ids)
            keep = self._live[seg.start : stop]
            ids += seg.ids[keep].tolist()
            versions += seg.versions[keep].tolist()
            tokens = np.repeat(np.arange(len(seg.indptr) - 1), np.diff(seg.indptr))
            where = new_position[seg.indices.astype(np.int64) + seg.start]
            alive = where >= 0
            rows.append(tokens[alive])
            cols.append(where[alive])
            counts.append(seg.counts[alive])
        lengths = self._lengths[self._live]
        r, c, f = np.concatenate(rows or [np.zeros(0, np.int64)]), np.concatenate(cols or [np.zeros(0, np.int64)]), \
            np.concatenate(counts or [np.zeros(0, np.float32)])  # fmt: skip
        order = np.lexsort((c, r))
        r, c, f = r[order], c[order], f[order]
        indptr = np.zeros(len(self._terms) + 1, dtype=np.int64)
        np.add.at(indptr, r + 1, 1)
        merged = _Segment(
            0, np.asarray(ids, dtype=str), np.asarray(versions, dtype=str), lengths.astype(np.float32),
            np.cumsum(indptr), c.astype(np.int32), f.astype(np.float32), f"seg-{uuid.uuid4().hex[:16]}.npz",
        )  # fmt: skip
        live = set(self._live_versions)
        self._segments, self._live = [], np.zeros(0, dtype=bool)
        self._lengths, self._version_of = np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        self._codes, self._live_versions, self._position = {}, set(), {}
        self._append(merged, live)
        log.info(
            "lexical index: segments merged into one of %d passages in %.2f s", len(ids), time.perf_counter() - started
        )

    # -- queries -------------------------------------------------------------
    def scores(
        self, query_tokens: Sequence[str], versions: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """BM25 scores of the live passages holding a query token (statistics of every live passage).

        Args:
            query_tokens: The question's lexical tokens; a repeated token counts each time (as in ``bm25s``).
            versions: Score only passages of these versions; ``None`` for all.

        Returns:
            ``(positions, scores)``: ``(m,)`` int64 positions in the index, ascending, and their
            ``(m,)`` float32 scores, all positive.
        """
        none = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        n = int(self._live.sum())
        if not n or not query_tokens:
            return none
        avgdl = float(self._lengths[self._live].mean())
        total = np.zeros(len(self._live), dtype=np.float32)
        touched = []
        for token in query_tokens:
            t = self._vocabulary.get(token)
            if t is None:
                continue
            found = [seg.postings(t) for seg in self._segments]
            docs = np.concatenate([d for d, _ in found])
            tf = np.concatenate([f for _, f in found])
            live = self._live[docs]
            docs, tf = docs[live], tf[live]
            if not len(docs):
                continue
            df = len(docs)
            idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
            norm = K1 * (1.0 - B + B * self._lengths[docs] / avgdl)
            total[docs] += (idf * tf / (tf + norm)).astype(np.float32)
            touched.append(docs)
        if not touched:
            return none
        docs = np.unique(np.concatenate(touched))
        if versions is not None:
            codes = [self._codes[v] for v in versions if v in self._codes and v in self._live_versions]
            docs = docs[np.isin(self._version_of[docs], codes)]
        values = total[docs]
        keep = values > 0
        return docs[keep], values[keep]

    def _id_at(self, position: int) -> str:
        for seg in reversed(self._segments):
            if position >= seg.start:
                return str(seg.ids[position - seg.start])
        raise IndexError(position)  # pragma: no cover - positions come from the segments

    def rank(
        self, query_tokens: Sequence[str], k: int, versions: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` best passage ids with a positive BM25 score, best first (equal scores: index order).

        Args:
            versions: Rank only passages of these article versions (BM25
                statistics stay those of every live passage); ``None`` for all.
        """
        docs, values = self.scores(query_tokens, versions)
        if k <= 0 or not len(docs):
            return []
        if len(docs) > k:
            top = np.argpartition(-values, k - 1)[:k]
            docs, values = docs[top], values[top]
        order = np.lexsort((docs, -values))
        return [(self._id_at(int(docs[i])), float(values[i])) for i in order]

    def held_tokens(self, passage_id: str, tokens: Iterable[str]) -> set[str]:
        """Which of ``tokens`` the live passage ``passage_id`` holds (``set()`` if it is not indexed)."""
        position = self._position.get(passage_id)
        if position is None:
            return set()
        held = set()
        for token in set(tokens):
            t = self._vocabulary.get(token)
            if t is None:
                continue
            for seg in self._segments:
                if seg.start <= position < seg.start + len(seg.ids) and t + 1 < len(seg.indptr):
                    row = seg.indices[seg.indptr[t] : seg.indptr[t + 1]]
                    i = np.searchsorted(row, position - seg.start)
                    if i < len(row) and row[i] == position - seg.start:
                        held.add(token)
        return held

    # -- files ---------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Write the segments not yet saved and a new manifest, each through a temporary file flushed to disk
        and renamed into place, under ``{directory}/.lock``; then delete segment files the manifest does not
        name, once :data:`ORPHAN_AGE_S` old.

        Raises:
            OSError: If the directory cannot be written (callers log it: the index still works in memory).
            filelock.Timeout: If another process holds the directory's lock over 10 s.
        """
        with _saving(directory):
            for seg in self._segments:
                path = directory / seg.name
                if path.is_file():
                    continue
                arrays: dict[str, Any] = {
                    "start": np.int64(seg.start), "ids": seg.ids, "versions": seg.versions, "lengths": seg.lengths,
                    "indptr": seg.indptr, "indices": seg.indices, "counts": seg.counts,
                    "terms": np.asarray(self._terms[: len(seg.indptr) - 1], dtype=str),
                }  # fmt: skip
                _write_atomically(path, partial(np.savez, **arrays))
            manifest = {
                "format": FORMAT,
                "tokenizer": tokenizer_hash(),
                "generation": self.generation,
                "segments": [seg.name for seg in self._segments],
                "live_versions": sorted(self._live_versions),
            }
            text = json.dumps(manifest).encode("utf-8")
            _write_atomically(directory / _MANIFEST, lambda f: f.write(text))
            named = {seg.name for seg in self._segments}
            now = time.time()
            for path in [*directory.glob("seg-*.npz"), *directory.glob(".*.tmp")]:
                try:
                    if path.name not in named and now - path.stat().st_mtime > ORPHAN_AGE_S:
                        path.unlink()
                except OSError:
                    pass

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex | None:
        """The index saved in ``directory``, or ``None`` if there is none, or it is of another format or tokenizer,
        or any file is missing, truncated or not what :meth:`save` writes (logged: the caller builds it again
        from the store; a damaged index must never stop a question).

        A version's passages are live only in the last segment holding it: an article removed, then stored
        again at the same version, is a new segment, and its older copies stay dead.
        """
        if not (directory / _MANIFEST).is_file():
            return None
        try:
            with _saving(directory):
                return cls._read(directory)
        except _OtherFormat:
            log.info("the saved lexical index in %s is of another format or tokenizer: building it again", directory)
        except Exception as exc:  # any damage at all: rebuilt from the store, never a failed question
            log.warning(
                "the saved lexical index in %s cannot be read (%s: %s): building it again", directory,
                type(exc).__name__, exc,
            )  # fmt: skip
        return None

    @classmethod
    def _read(cls, directory: Path) -> LexicalIndex:
        manifest = json.loads((directory / _MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT or manifest.get("tokenizer") != tokenizer_hash():
            raise _OtherFormat
        live = {str(v) for v in manifest["live_versions"]}
        terms: list[str] = []
        segments = []
        for name in manifest["segments"]:
            with np.load(directory / str(name), allow_pickle=False) as data:
                seg_terms = data["terms"].tolist()
                if seg_terms[: len(terms)] != terms[: len(seg_terms)]:
                    raise ValueError(f"{name} has another vocabulary")
                terms = seg_terms if len(seg_terms) > len(terms) else terms
                seg = _Segment(
                    int(data["start"]), data["ids"], data["versions"], data["lengths"], data["indptr"],
                    data["indices"], data["counts"], str(name),
                )  # fmt: skip
                segments.append(seg)
        last = {v: i for i, seg in enumerate(segments) for v in seg.versions.tolist()}
        index = cls()
        for i, seg in enumerate(segments):
            if seg.start != len(index._live):
                raise ValueError(f"{seg.name} starts at {seg.start}, not {len(index._live)}")
            _check_segment(seg, len(terms))
            index._append(seg, {v for v in live if last.get(v) == i})
        index._terms = terms
        index._vocabulary = {t: i for i, t in enumerate(terms)}
        index.generation = manifest.get("generation")
        return index


def _check_segment(seg: _Segment, vocabulary: int) -> None:
    """Raise ``ValueError`` unless a segment read from disk has the shapes :meth:`LexicalIndex.save` writes:
    one id, version and length per passage; a CSR ``indptr`` of at most ``vocabulary + 1`` entries that
    starts at 0, never decreases and ends at the postings' count; passage positions in range."""
    n, postings = len(seg.ids), len(seg.indices)
    if seg.ids.ndim != 1 or seg.versions.shape != (n,) or seg.lengths.shape != (n,):
        raise ValueError(f"{seg.name}: ids, versions and lengths differ in shape")
    if seg.indptr.ndim != 1 or not 1 <= len(seg.indptr) <= vocabulary + 1 or seg.counts.shape != (postings,):
        raise ValueError(f"{seg.name}: postings of another shape")
    if int(seg.indptr[0]) != 0 or int(seg.indptr[-1]) != postings or bool((np.diff(seg.indptr) < 0).any()):
        raise ValueError(f"{seg.name}: postings pointers out of order")
    if postings and (int(seg.indices.min()) < 0 or int(seg.indices.max()) >= n):
        raise ValueError(f"{seg.name} holds postings out of its range")
    if n and not bool(np.isfinite(seg.lengths).all() and (seg.lengths >= 0).all()):
        raise ValueError(f"{seg.name}: passage lengths that are not counts")


class _OtherFormat(Exception):
    """A saved index of another :data:`FORMAT` or tokenizer."""


@contextmanager
def _saving(directory: Path) -> Iterator[None]:
    """Hold ``{directory}/.lock`` (``filelock``, at most 10 s): one process saves or loads the index at a time,
    so none deletes a file another's manifest names while it is read."""
    from filelock import FileLock

    directory.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory / ".lock"), timeout=10):
        yield


def _write_atomically(path: Path, write: Callable[[Any], None]) -> None:
    """Write a file through a temporary one, flushed to disk, then renamed over ``path`` (removed if writing fails)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
