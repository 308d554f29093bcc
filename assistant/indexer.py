"""The indexer: split articles into passages, embed passages and sentences, store versioned articles.

An article is stored as one version (:func:`ingest.splitting.version_of`: its
text and splitting settings): its passages, its quotable sentences (embedded
at ingestion so that answers need not embed them) and an article record whose
vector is its first passage's. Writing a new version replaces the old one atomically
(:meth:`vectorstore.PassageStore.put_articles`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
from tqdm.auto import tqdm

from assistant.answer import quotable_spans
from assistant.records import passage_metadata
from ingest.embeddings import Embedder
from ingest.errors import IngestError
from ingest.loaders import article_from_text, expand_sources, load_article, sample_article_path
from ingest.normalize import for_embedding, replace_surrogates
from ingest.splitting import DEFAULT_MIN_WORDS, split_passages, version_of
from ingest.types import Article, Passage
from vectorstore.chroma import ArticleRecords, PassageStore, StoreCheck
from vectorstore.errors import SourceConflictError

log = logging.getLogger(__name__)

#: Passages embedded per call while ingesting (one progress step).
EMBED_BATCH = 16


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What the indexer did with one article.

    Attributes:
        article_id: Id the article is stored under.
        title: Its title, or ``None``.
        status: ``"added"``, ``"replaced"`` (a changed version), ``"repaired"``
            (the same version, whose stored records were not whole: written
            again) or ``"unchanged"``.
        passages: Number of passages of the stored version.
        removed: Passages of an earlier version that were deleted.
        version: The stored version (``ingest.splitting.version_of``).
    """

    article_id: str
    title: str | None
    status: Literal["added", "replaced", "repaired", "unchanged"]
    passages: int
    removed: int
    version: str = ""


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What :meth:`Indexer.check` found and did.

    Attributes:
        found: The store as checked first (:class:`vectorstore.StoreCheck`).
        repaired: With ``repair``: each broken article written again from its stored text.
        unrepairable: ``article_id -> why`` for broken articles that could not be written again.
        after: With ``repair``: the store checked again afterwards; else ``None``.
    """

    found: StoreCheck
    repaired: list[IngestReport] = dataclasses.field(default_factory=list)
    unrepairable: dict[str, str] = dataclasses.field(default_factory=dict)
    after: StoreCheck | None = None

    @property
    def consistent(self) -> bool:
        """Whether the store is consistent now (after the repair, if one was asked for)."""
        return (self.after or self.found).consistent


def _other_source(article_id: str, stored_source: str, source: str | None) -> IngestError:
    """The error for an id that already holds an article of another source."""
    return IngestError(
        f"article id {article_id!r} already holds {stored_source}; to store {source} beside it give it "
        f"another id, or remove {article_id!r} first",
        path=stored_source,  # the window shows only its name
        setting="article_id",
    )


class Indexer:
    """Splits, embeds and stores articles.

    Args:
        embeddings: The embedding model (``passage:`` side here); the store refuses another model's vectors.
        store: Gives the passage store; called at each use (a lazily opened one, or ``lambda: store``).
        passage_tokens: Largest passage, in tokens of the embedding model's
            tokenizer, prefix included (capped at the model's limit, 512 for E5).
        overlap_sentences: Sentences repeated from one passage into the next.
        on_rewritten: Called with ``(article_id, version)`` when a stored version is written again
            (``"repaired"``): what read its passages before must read them again
            (:meth:`assistant.retrieval.HybridRetriever.reread`).
    """

    def __init__(
        self,
        embeddings: Embedder,
        store: Callable[[], PassageStore],
        *,
        passage_tokens: int = 256,
        overlap_sentences: int = 0,
        on_rewritten: Callable[[str, str], None] | None = None,
    ) -> None:
        self.embeddings = embeddings
        self._store = store
        self.passage_tokens = passage_tokens
        self.overlap_sentences = overlap_sentences
        self.on_rewritten = on_rewritten

    @property
    def store(self) -> PassageStore:
        """The passage store (opened on first use)."""
        return self._store()

    def split(self, article: Article) -> list[Passage]:
        """Cut an article into passages of at most ``passage_tokens`` tokens of the embedding model.

        Raises:
            IngestError: If the article yields no passage.
        """
        limit = self.embeddings.max_tokens
        if self.passage_tokens > limit:
            log.warning("passage_tokens %d is over the model's %d: using %d", self.passage_tokens, limit, limit)
        passages = split_passages(
            article,
            min(self.passage_tokens, limit),
            measure=self.embeddings.token_count,
            measure_name=f"tokens of {self.embeddings.model_name}",
            overlap=self.overlap_sentences,
        )
        if not passages:
            raise IngestError(
                f"{article.source or article.article_id} has no passage to answer from: headings and "
                f"fragments of fewer than {DEFAULT_MIN_WORDS} words are not passages",
                path=article.source,
            )
        return passages

    def ingest_article(self, article: Article, progress: bool = False) -> IngestReport:
        """Split, embed and store one article, replacing an earlier version of it.

        An unchanged article (same text and settings) is not embedded again,
        unless its stored records are not whole (then it is written again:
        ``"repaired"``). Embedding (passages, then their sentences) runs at
        about 4-12 passages/s on 2 CPU cores; ``progress=True`` shows a tqdm bar.

        Raises:
            IngestError: If the article yields no passage, or its id holds an
                article of another source.
            StoreError: If the store refuses the write, or another writer holds it too long (5 minutes).
        """
        passages = self.split(article)
        return self._store_article(article, passages, self._stored_version(article), progress)

    def _stored_version(self, article: Article) -> str | None:
        """Version of this article already stored, or ``None``.

        Raises:
            IngestError: If its id holds an article of another source.
        """
        stored = self.store.article_metadata(article.article_id)
        if stored is None:
            return None
        old_source = stored.get("source")
        if old_source and article.source and old_source != article.source:
            raise _other_source(article.article_id, old_source, article.source)
        version = stored.get("version")
        return None if version is None else str(version)

    def _embed(self, texts: list[str], desc: str, progress: bool) -> np.ndarray:
        """``(len(texts), dimension)`` float32 passage-side embeddings, :data:`EMBED_BATCH` texts per call."""
        batches = range(0, len(texts), EMBED_BATCH)
        return np.concatenate(
            [
                self.embeddings.encode_passages([for_embedding(t) for t in texts[i : i + EMBED_BATCH]])
                for i in tqdm(batches, desc=desc, unit="batch", disable=not progress)
            ]
        ) if texts else np.zeros((0, self.embeddings.dimension), np.float32)  # fmt: skip

    def _store_article(
        self,
        article: Article,
        passages: list[Passage],
        stored_version: str | None,
        progress: bool,
        *,
        rewrite: bool = False,
    ) -> IngestReport:
        version = version_of(passages[0])
        if stored_version == version and not rewrite:
            problems = self.store.article_problems(article.article_id)
            if not problems:  # nothing to embed or write
                return IngestReport(article.article_id, article.title, "unchanged", len(passages), 0, version)
            log.warning("%s is stored, but not whole (%s): writing it again", article.article_id, "; ".join(problems))
        texts = [p.text for p in passages]
        vectors = self._embed(texts, f"embedding {article.article_id}", progress)
        # Sentences that may be quoted, embedded now so that answers need not embed them.
        # A one-sentence passage reuses the passage's vector.
        sentence_rows = [(p, i, a, b) for i, p in enumerate(passages) for a, b in quotable_spans(p)]
        sentence_texts = [article.text[a:b] for _, _, a, b in sentence_rows]
        sentence_vectors = np.zeros((len(sentence_rows), vectors.shape[1]), dtype=np.float32)
        to_embed = []
        for j, (p, i, a, b) in enumerate(sentence_rows):
            if (a, b) == (p.char_start, p.char_end):
                sentence_vectors[j] = vectors[i]
            else:
                to_embed.append(j)
        if to_embed:
            sentence_vectors[to_embed] = self._embed(
                [sentence_texts[j] for j in to_embed], f"sentences {article.article_id}", progress
            )
        # The article record's vector: its first passage's (no query searches article records;
        # embedding the title and lead again cost a sixth of the ingestion of XQuAD's articles).
        article_vector = vectors[0]
        metadata: dict[str, str | int] = {
            **article.metadata(),
            "passages": len(passages),
            "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        record = ArticleRecords(
            article.article_id,
            version,
            article.text,
            metadata,
            article_vector,
            [p.passage_id for p in passages],
            texts,
            [passage_metadata(p) for p in passages],
            vectors,
            sentence_ids=[f"{p.passage_id}-s{a - p.char_start}" for p, _, a, _ in sentence_rows],
            sentence_texts=sentence_texts,
            sentence_metadatas=[
                {"passage_id": p.passage_id, "char_start": a, "char_end": b} for p, _, a, b in sentence_rows
            ],
            sentence_embeddings=sentence_vectors,
        )
        try:
            ((status, removed),) = self.store.put_articles([record], rewrite=rewrite)
        except SourceConflictError as exc:  # another writer stored another source under this id meanwhile
            raise _other_source(exc.article_id, exc.stored_source, exc.source) from exc
        log.info("%s %s: %d passages (%d old removed)", status, article.article_id, len(passages), removed)
        if status == "repaired" and self.on_rewritten is not None:
            self.on_rewritten(article.article_id, version)
        return IngestReport(article.article_id, article.title, status, len(passages), removed, version)  # type: ignore[arg-type]

    def ingest(
        self,
        sources: str | Path | Iterable[str | Path],
        *,
        article_id: str | None = None,
        progress: bool = False,
        on_stored: Callable[[IngestReport], None] | None = None,
    ) -> list[IngestReport]:
        """Load, split, embed and store articles: files, directories of them, or URLs.

        Each source is stored under its article id: the file name without the
        suffix (``news/fruit.txt`` → ``fruit``), the URL's host and path, or
        ``article_id`` (one source only). All sources are loaded and split
        before anything is written, so a bad one leaves the store as it was.

        Args:
            sources: ``.txt``/``.md``/``.html`` files, directories (searched
                recursively) and ``http(s)://`` URLs.
            article_id: Id for a single source.
            progress: Show tqdm bars (files, then embedding batches).
            on_stored: Called with each article's report as soon as it is
                stored (before the next one is embedded).

        Raises:
            IngestError: If a source cannot be read (see :func:`ingest.load_article`),
                two sources would get one id, or an id holds another source.
            StoreError: If the store refuses the write, or another writer holds it too long (5 minutes).
        """
        if isinstance(sources, (str, Path)):
            sources = [sources]
        paths = expand_sources(sources)
        if article_id is not None and len(paths) != 1:
            raise IngestError(f"one article id was given for {len(paths)} sources", setting="article_id")
        prepared: dict[str, tuple[Article, list[Passage], str | None]] = {}
        for source in tqdm(paths, desc="reading", unit="file", disable=not progress or len(paths) < 2):
            try:
                article = load_article(source, article_id)
                passages = self.split(article)
                stored_version = self._stored_version(article)
            except IngestError as exc:
                raise IngestError(f"{exc} (nothing was ingested)", path=exc.path, setting=exc.setting) from exc
            if article.article_id in prepared:
                raise IngestError(
                    f"{prepared[article.article_id][0].source} and {source} would both be stored as article "
                    f"{article.article_id!r}: rename one (nothing was ingested)"
                )
            prepared[article.article_id] = (article, passages, stored_version)
        reports = []
        for article, passages, stored_version in prepared.values():
            reports.append(self._store_article(article, passages, stored_version, progress))
            if on_stored is not None:
                on_stored(reports[-1])
        return reports

    def ingest_text(
        self, text: str, article_id: str | None = None, *, title: str | None = None, progress: bool = False
    ) -> IngestReport:
        """Clean, split, embed and store an article given as text (pasted into the window, say).

        Args:
            text: The article text (Markdown is stored as written).
            article_id: Id to store it under; by default ``pasted-`` and the
                first 8 hex digits of the text's SHA-256, so pasting the same
                text twice is one article.
            title: Its title; by default its first line when that reads as a heading.
            progress: Show tqdm bars while embedding.

        Raises:
            IngestError: If the text is empty, binary, or yields no passage.
            StoreError: If the store refuses the write, or another writer holds it too long (5 minutes).
        """
        text = replace_surrogates(text)  # broken input (a lone "\ud83d" from a browser) cannot be encoded
        if article_id is None:
            article_id = "pasted-" + hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:8]
        return self.ingest_article(article_from_text(text, article_id, title=title), progress=progress)

    def ingest_upload(self, path: str | Path, name: str, *, progress: bool = False) -> IngestReport:
        """Ingest a file uploaded under ``name`` (the chat window's *Add an article*).

        Its source is recorded as ``upload:<name>``, not the server's
        temporary path, so uploading a file of the same name again replaces
        the article (or reports it unchanged).

        Raises:
            IngestError, StoreError: As :meth:`ingest`.
        """
        article = dataclasses.replace(load_article(path), source=f"upload:{replace_surrogates(name)}")
        return self.ingest_article(article, progress=progress)

    def ingest_sample_if_empty(self) -> IngestReport | None:
        """Ingest the bundled sample article when the store holds no article; ``None`` if it had articles."""
        if self.store.article_ids():
            return None
        return self.ingest(sample_article_path())[0]

    def remove_article(self, article_id: str) -> int:
        """Delete an article and its passages (also the leftovers of a write that died before its switch).

        Returns:
            Passages deleted.

        Raises:
            IngestError: If nothing is stored under this id.
        """
        article_id = replace_surrogates(article_id)  # an id typed with undecodable bytes: no such article
        known = self.store.article_metadata(article_id) is not None
        removed = self.store.remove_article(article_id)
        if not known and not removed:
            raise IngestError(f"no article {article_id!r} in the store", setting="article_ids")
        return removed

    def check(self, *, repair: bool = False, progress: bool = False) -> CheckReport:
        """Verify every stored article against its passages and sentences (:meth:`vectorstore.PassageStore.check`).

        Args:
            repair: Delete orphan records (leftovers of interrupted writes), write
                every broken article again from its stored text (split and
                embedded with this indexer's settings), then check again.
            progress: Show tqdm bars while re-embedding.

        Raises:
            StoreError: If the store cannot be read or written.
        """
        found = self.store.check(delete_orphans=repair)
        if not repair:
            return CheckReport(found)
        repaired, unrepairable = [], {}
        for article_id in found.problems:
            stored = self.store.get_article(article_id)
            if stored is None or not (stored[0] or "").strip():
                unrepairable[article_id] = "its text is not stored: ingest it again from its source"
                continue
            text, metadata = stored
            fields = {f: metadata.get(f) for f in ("title", "source", "language", "published", "site", "dateline")}
            article = Article(article_id, text, **fields)
            try:
                repaired.append(self._store_article(article, self.split(article), None, progress, rewrite=True))
            except IngestError as exc:
                unrepairable[article_id] = str(exc)
        return CheckReport(found, repaired, unrepairable, self.store.check())
