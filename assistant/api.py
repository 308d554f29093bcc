"""The assistant: ingest articles, retrieve passages, answer with citations."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from tqdm.auto import tqdm

from assistant.answer import (
    MIN_CONFIDENCE,
    Embedder,
    abstain,
    answer_probability,
    extractive_answer,
    quotable_spans,
    sentence_embeddings,
)
from assistant.conversation import SMALL_TALK_REPLY, resolve_follow_up, small_talk, user_turns
from assistant.errors import AssistantError
from assistant.generative import (
    MAX_REPLY_CHARS,
    answer_messages,
    condense_messages,
    declines,
    shown_draft,
    spelt_length,
    stream_reply,
    without_markup,
    without_sentinel,
)
from assistant.grounding import (
    MARKER,
    PassageSentences,
    claim_texts,
    claims_of,
    clauses,
    ground_reply,
    has_letters,
    reply_language,
)
from assistant.retrieval import LexicalIndex, Retrieval, answerability_features, reciprocal_rank_fusion
from assistant.types import Answer, AnswerTrace, Draft, RetrievedPassage
from ingest.embeddings import make_embeddings
from ingest.errors import IngestError
from ingest.language import detect_language
from ingest.loaders import article_from_text, expand_sources, load_article, sample_article_path
from ingest.normalize import for_embedding, has_words, lexical_tokens, remove_invisible, replace_surrogates
from ingest.splitting import DEFAULT_MIN_WORDS, split_passages, version_of
from ingest.types import Article, Passage
from vectorstore.chroma import ArticleRecords, Hit, PassageStore, StoreCheck, open_client, open_http_client
from vectorstore.errors import SourceConflictError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from assistant.settings import Settings

log = logging.getLogger(__name__)

#: Passages embedded per call while ingesting (one progress step).
_EMBED_BATCH = 16

#: Longest question accepted, in characters.
MAX_QUESTION_CHARS = 2000

#: Depth of each ranking fused by :meth:`Assistant.hybrid_retrieve`: dense
#: passages, dense sentences (each passage at its best sentence's rank), BM25.
DENSE_K, SENTENCE_K, LEXICAL_K = 20, 40, 20
#: Weights of those three rankings in reciprocal rank fusion.
FUSION_WEIGHTS = (1.0, 1.0, 1.0)
#: Passages kept after fusion.
FUSION_DEPTH = 20
#: A follow-up answered with at least this confidence on its own is not
#: combined with the question before it: the combined text always scores
#: high (it holds the earlier, answered question), so it must not win by
#: default ("Where did they hold joint exercises with Iran?" after a trade
#: question: 0.94 alone).
STANDALONE_CONFIDENCE = 0.9

AnswerMode = Literal["extractive", "generative"]
#: First line of an answer that quotes the article because the chat model
#: gave no usable answer (the reason is in ``Answer.notes``).
FALLBACK_LEAD = {
    "ar": "لم يُعطِ نموذج المحادثة جواباً صالحاً، فهذا الجواب يقتبس من المقال.",
    "en": "The chat model gave no usable answer, so this answer quotes the article.",
}


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What :meth:`Assistant.ingest` did with one article.

    Attributes:
        article_id: Id the article is stored under.
        title: Its title, or ``None``.
        status: ``"added"``, ``"replaced"`` (a changed version), ``"repaired"``
            (the same version, whose stored records were not whole: written
            again) or ``"unchanged"``.
        passages: Number of passages of the stored version.
        removed: Passages of an earlier version that were deleted.
    """

    article_id: str
    title: str | None
    status: Literal["added", "replaced", "repaired", "unchanged"]
    passages: int
    removed: int


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What :meth:`Assistant.check` found and did.

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


# A passage's fields as a Chroma metadata record (flat str/int values; no
# None), and back. Sentence spans are stored as "start-end;start-end".


def _passage_metadata(p: Passage) -> dict[str, str | int]:
    metadata: dict[str, str | int] = {
        "passage_idx": p.passage_idx,
        "char_start": p.char_start,
        "char_end": p.char_end,
        "sentences": ";".join(f"{a}-{b}" for a, b in p.sentences),
    }
    if p.section is not None:
        metadata["section"] = p.section
    return metadata


def _decode_sentences(value: Any) -> tuple[tuple[int, int], ...]:
    if not value:
        return ()
    return tuple((int(a), int(b)) for a, b in (pair.split("-") for pair in str(value).split(";")))


def _passage_from_hit(hit: Hit) -> Passage:
    m = hit.metadata
    return Passage(
        article_id=str(m["article_id"]),
        passage_id=hit.id,
        passage_idx=int(m["passage_idx"]),
        text=hit.text,
        char_start=int(m["char_start"]),
        char_end=int(m["char_end"]),
        section=m.get("section"),
        sentences=_decode_sentences(m.get("sentences")),
    )


def _other_source(article_id: str, stored_source: str, source: str | None) -> IngestError:
    """The error for an id that already holds an article of another source, with the two fixes."""
    return IngestError(
        f"article id {article_id!r} already holds {stored_source}; to store {source} "
        f"beside it pass another id (--article-id), or `article-qa remove {article_id}` first"
    )


class Assistant:
    """Answers questions about the stored articles, citing the passages it quotes.

    Construction is cheap: the embedding model loads on the first question or
    ingestion, and the store opens then too.

    Args:
        embeddings: Embedding backend (:func:`ingest.make_embeddings`).
        store_path: Directory of the embedded Chroma store.
        collection: Name of the passage collection.
        top_k: Best passages whose sentences may be quoted.
        min_confidence: Lowest probability that the articles answer the
            question (:func:`assistant.answer.answer_probability`, calibrated
            for multilingual-e5-small) to answer at all, else abstain.
        max_quotes: Most sentences quoted in one answer.
        passage_tokens: Largest passage, in tokens of the embedding model's
            tokenizer, prefix included (capped at the model's limit, 512 for E5).
        overlap_sentences: Sentences repeated from one passage into the next.
        chat_model: A LangChain chat model (:func:`assistant.llm.make_chat_model`,
            or any ``BaseChatModel``); with one, answers are generated from
            the retrieved passages and checked (:mod:`assistant.grounding`),
            and follow-ups are condensed by it. ``None``: extractive answers.
        chat_model_name: How messages name the endpoint (``"ollama qwen2.5 at
            http://..."``); by default the model's class and name.
        chat_timeout: Most seconds one streamed reply of the chat model may
            take, retries of its request aside; ``None``: the client's own timeouts only.
        chroma_host: Address of a Chroma server (``chroma run``) to use
            instead of the embedded store at ``store_path`` (then unused).
        chroma_port: Its port.

    Example:
        >>> qa = Assistant.from_settings(store="/tmp/qa-store")
        >>> qa.ingest_sample_if_empty()
        >>> qa.ask("When did Putin and Xi last meet in person?").citations[0].quote
    """

    def __init__(
        self,
        embeddings: Embedder,
        store_path: str | Path,
        collection: str = "articles",
        *,
        top_k: int = 3,
        min_confidence: float = MIN_CONFIDENCE,
        max_quotes: int = 2,
        passage_tokens: int = 256,
        overlap_sentences: int = 0,
        chat_model: BaseChatModel | None = None,
        chat_model_name: str | None = None,
        chat_timeout: float | None = None,
        chroma_host: str | None = None,
        chroma_port: int = 8000,
    ) -> None:
        self.embeddings = embeddings
        self.store_path = Path(store_path)
        self.collection = collection
        self.top_k = top_k
        self.min_confidence = min_confidence
        self.max_quotes = max_quotes
        self.passage_tokens = passage_tokens
        self.overlap_sentences = overlap_sentences
        self.chat_model = chat_model
        self.chat_timeout = chat_timeout
        self.chroma_host = chroma_host
        self.chroma_port = chroma_port
        self.chat_model_name = chat_model_name or (
            None if chat_model is None
            else f"{type(chat_model).__name__} {getattr(chat_model, 'model_name', None) or getattr(chat_model, 'model', '')}".strip()
        )  # fmt: skip
        self._store: PassageStore | None = None
        self._store_lock = threading.Lock()
        self._lexical: LexicalIndex | None = None
        self._lexical_lock = threading.Lock()
        self._rewritten: set[str] = set()  # versions repaired since the lexical index read them

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> Assistant:
        """Build an assistant from :class:`assistant.settings.Settings`.

        Args:
            settings: Settings to use; by default read from the environment.
            **overrides: Setting values that win over ``settings`` (e.g. ``store=...``).

        Raises:
            pydantic.ValidationError: On an unknown or invalid setting.
        """
        from assistant.settings import Settings

        base = settings or Settings()
        s = Settings(**{**base.model_dump(), **overrides}) if overrides else base
        chat_model, name = None, None
        if s.llm != "none":
            from assistant.llm import DEFAULT_BASE_URL, make_chat_model

            chat_model = make_chat_model(
                s.llm,
                s.llm_model or "",
                base_url=s.llm_base_url,
                api_key=s.llm_api_key.get_secret_value() if s.llm_api_key else None,
                timeout=s.llm_timeout,
                max_retries=s.llm_max_retries,
                max_tokens=s.llm_max_tokens,
            )
            url = s.llm_base_url or DEFAULT_BASE_URL[s.llm] or "api.openai.com"
            name = f"{s.llm} {s.llm_model} at {url}"
        return cls(
            make_embeddings(s.embedding_model),
            s.store,
            s.collection,
            top_k=s.top_k,
            min_confidence=s.min_confidence,
            max_quotes=s.max_quotes,
            passage_tokens=s.passage_tokens,
            overlap_sentences=s.overlap_sentences,
            chat_model=chat_model,
            chat_model_name=name,
            chat_timeout=s.llm_timeout if chat_model is not None else None,
            chroma_host=s.chroma_host,
            chroma_port=s.chroma_port,
        )

    @property
    def store_location(self) -> str:
        """Where the store is, for messages: its directory, or ``chroma://host:port`` for a server."""
        return f"chroma://{self.chroma_host}:{self.chroma_port}" if self.chroma_host else str(self.store_path)

    @property
    def store(self) -> PassageStore:
        """The passage store (embedded, or on a Chroma server), opened on first use.

        Raises:
            StoreError: If it cannot be opened.
            ModelMismatchError: If it was built with another embedding model.
        """
        with self._store_lock:  # two first questions at once open it once
            if self._store is None:
                client = (
                    open_http_client(self.chroma_host, self.chroma_port) if self.chroma_host else open_client(self.store_path)
                )
                self._store = PassageStore(
                    client,
                    embedding_model=self.embeddings.model_name,
                    dimension=self.embeddings.dimension,
                    collection=self.collection,
                )
            return self._store

    # -- ingestion -----------------------------------------------------------

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
                f"fragments of fewer than {DEFAULT_MIN_WORDS} words are not passages"
            )
        return passages

    def ingest_article(self, article: Article, progress: bool = False) -> IngestReport:
        """Split, embed and store one article, replacing an earlier version of it.

        An unchanged article (same text and settings) is not embedded again,
        unless its stored records are not whole (then it is written again:
        ``"repaired"``). Embedding (passages, then their sentences) runs at about 4-12 passages/s on 2 CPU cores; ``progress=True``
        shows a tqdm bar.

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
        return stored.get("version")

    def _store_article(
        self, article: Article, passages: list[Passage], stored_version: str | None, progress: bool, *, rewrite: bool = False
    ) -> IngestReport:
        version = version_of(passages[0])
        if stored_version == version and not rewrite:
            problems = self.store.article_problems(article.article_id)
            if not problems:  # nothing to embed or write
                return IngestReport(article.article_id, article.title, "unchanged", len(passages), 0)
            log.warning("%s is stored, but not whole (%s): writing it again", article.article_id, "; ".join(problems))
        texts = [p.text for p in passages]
        batches = range(0, len(texts), _EMBED_BATCH)
        vectors = np.concatenate(
            [
                self.embeddings.encode_passages([for_embedding(t) for t in texts[i : i + _EMBED_BATCH]])
                for i in tqdm(batches, desc=f"embedding {article.article_id}", unit="batch", disable=not progress)
            ]
        )
        # Sentences that may be quoted, embedded now so that answers need not embed them.
        # A one-sentence passage reuses the passage's vector.
        sentence_rows = [
            (p, i, a, b) for i, p in enumerate(passages) for a, b in quotable_spans(p)
        ]
        sentence_texts = [article.text[a:b] for _, _, a, b in sentence_rows]
        sentence_vectors = np.zeros((len(sentence_rows), vectors.shape[1]), dtype=np.float32)
        to_embed = []
        for j, (p, i, a, b) in enumerate(sentence_rows):
            if (a, b) == (p.char_start, p.char_end):
                sentence_vectors[j] = vectors[i]
            else:
                to_embed.append(j)
        for start in tqdm(
            range(0, len(to_embed), _EMBED_BATCH), desc=f"sentences {article.article_id}", unit="batch",
            disable=not progress,
        ):  # fmt: skip
            chunk = to_embed[start : start + _EMBED_BATCH]
            sentence_vectors[chunk] = self.embeddings.encode_passages([for_embedding(sentence_texts[j]) for j in chunk])
        # The article record's vector: its lead (title and first passage).
        lead = "\n".join(t for t in (article.title, passages[0].text) if t)
        article_vector = self.embeddings.encode_passages([for_embedding(lead)])[0]
        metadata = {
            **article.metadata(),
            "passages": len(passages),
            "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        record = ArticleRecords(
            article.article_id,
            version,
            article.text,
            metadata,
            article_vector,
            [p.passage_id for p in passages],
            texts,
            [_passage_metadata(p) for p in passages],
            vectors,
            sentence_ids=[f"{p.passage_id}-s{a - p.char_start}" for p, _, a, _ in sentence_rows],
            sentence_texts=sentence_texts,
            sentence_metadatas=[{"passage_id": p.passage_id, "char_start": a, "char_end": b} for p, _, a, b in sentence_rows],
            sentence_embeddings=sentence_vectors,
        )
        try:
            ((status, removed),) = self.store.put_articles([record], rewrite=rewrite)
        except SourceConflictError as exc:  # another writer stored another source under this id meanwhile
            raise _other_source(exc.article_id, exc.stored_source, exc.source) from exc
        if status == "repaired":  # the same version, whole now: the lexical index reads it again
            with self._lexical_lock:
                self._rewritten.add(f"{article.article_id}@{version}")
        log.info("%s %s: %d passages (%d old removed)", status, article.article_id, len(passages), removed)
        return IngestReport(article.article_id, article.title, status, len(passages), removed)

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
            raise IngestError(f"--article-id names one article, but {len(paths)} sources were given")
        prepared: dict[str, tuple[Article, list[Passage], str | None]] = {}
        for source in tqdm(paths, desc="reading", unit="file", disable=not progress or len(paths) < 2):
            try:
                article = load_article(source, article_id)
                passages = self.split(article)
                stored_version = self._stored_version(article)
            except IngestError as exc:
                raise IngestError(f"{exc} (nothing was ingested)") from exc
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
        article = article_from_text(text, article_id, title=title)
        return self.ingest_article(article, progress=progress)

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
        """Ingest the bundled sample article when the store holds no article.

        Returns:
            The report of the ingestion, or ``None`` if the store had articles.
        """
        if self.store.article_ids():
            return None
        return self.ingest(sample_article_path())[0]

    def list_articles(self) -> list[dict[str, Any]]:
        """The stored articles: ``article_id``, ``title``, ``passages``, ``ingested_at``, ``source``..."""
        return self.store.list_articles()

    def article_text(self, article_id: str) -> str | None:
        """The stored text of an article (what citation offsets index), or ``None`` if it is not stored."""
        record = self.store.get_article(article_id)
        return None if record is None else record[0]

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
            raise IngestError(f"no article {article_id!r} in the store: `article-qa list` shows the ids")
        return removed

    def check(self, *, repair: bool = False, progress: bool = False) -> CheckReport:
        """Verify every stored article against its passages and sentences (:meth:`vectorstore.PassageStore.check`).

        Args:
            repair: Delete orphan records (leftovers of interrupted writes), write
                every broken article again from its stored text (split and
                embedded with this assistant's settings), then check again.
            progress: Show tqdm bars while re-embedding.

        Returns:
            A :class:`CheckReport`.

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

    # -- questions -------------------------------------------------------------

    def lexical_index(self, versions: Sequence[str] | None = None) -> LexicalIndex:
        """The BM25 index of these article versions (default: all current ones), rebuilt only when they change.

        The first build reads and tokenises every passage (about 24 s for
        100,000 passages on 2 cores, benchmarks/scale.py); a rebuild after a
        change reads and tokenises only the new articles' passages and re-indexes
        (about 6 s at 100,000). One build at a time: concurrent questions wait
        for it rather than each building their own.
        """
        versions = tuple(self.store.current_versions() if versions is None else versions)
        with self._lexical_lock:
            old = self._lexical
            if old is None or old.versions != versions or self._rewritten & set(versions):
                # Passages of versions already indexed are reused (a version is immutable, unless
                # repaired): only new versions are read from the store, and only their passages tokenised.
                kept = set(versions) & set(old.versions) - self._rewritten if old else set()
                passages = [h for h in old.passages if h.metadata.get("article_version") in kept] if old else []
                passages += self.store.passages([v for v in versions if v not in kept])
                self._lexical = LexicalIndex.build(versions, passages, previous=old)
                self._rewritten.clear()
            return self._lexical

    def hybrid_retrieve(self, question: str, article_ids: Sequence[str] | None = None) -> Retrieval:
        """Rank passages by fusing dense passage, dense sentence and BM25 rankings (:mod:`assistant.retrieval`).

        Args:
            question: The question, as embedded (:func:`ingest.normalize.for_embedding`).
            article_ids: Search only these articles; ``None`` for all.

        Returns:
            A :class:`assistant.retrieval.Retrieval`: passages best fused rank
            first (up to :data:`FUSION_DEPTH`), each with its dense cosine
            similarity (for a passage outside the dense top :data:`DENSE_K`,
            the lowest similarity seen there), and the evidence abstention uses.
        """
        vector = self.embeddings.encode_queries([question])[0]
        tokens = lexical_tokens(question)
        every = self.store.current_versions()
        chosen = None if article_ids is None else set(article_ids)
        versions = every if chosen is None else [v for v in every if v.rsplit("@", 1)[0] in chosen]
        if not versions:
            return Retrieval(vector, [], [], [], [], tokens, 0.0, False)
        dense = self.store.query(vector, DENSE_K, versions=versions)
        sentences = self.store.query_sentences(vector, SENTENCE_K, versions)
        index = self.lexical_index(every)  # one index over all articles; a selection filters its ranking
        lexical = index.rank(tokens, LEXICAL_K, None if article_ids is None else versions)
        by_sentence = list(dict.fromkeys(str(h.metadata["passage_id"]) for h in sentences))
        fused = reciprocal_rank_fusion(
            [[h.id for h in dense], by_sentence, [h.id for h, _ in lexical]], FUSION_WEIGHTS
        )
        records = index.by_id  # every passage of these versions, so every dense hit too
        dense_score = {h.id: h.score for h in dense}
        floor = dense[-1].score if dense else 0.0
        ranked = [
            RetrievedPassage(_passage_from_hit(records[pid]), dense_score.get(pid, floor))
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

    def ask(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        *,
        article_ids: Sequence[str] | None = None,
        top_k: int | None = None,
        mode: AnswerMode | None = None,
    ) -> Answer:
        """Answer a question about the stored articles.

        Args:
            question: Arabic or English question, at most
                :data:`MAX_QUESTION_CHARS` characters. Invisible format
                characters are removed; diacritics are removed before
                embedding. A question without a letter or digit is abstained on.
            history: Earlier turns of the conversation, as ``{"role",
                "content"}`` dicts (content a string or Gradio text parts) or
                ``(user, assistant)`` pairs. A question not answered with
                confidence on its own is also retrieved as a standalone
                question: the chat model's rewrite of it in the question's
                language (generative mode), else the previous user question
                joined to it (:mod:`assistant.conversation`); the more
                confident retrieval wins. The reply is in the language of ``question``.
            article_ids: Ask about these articles only; ``None`` for all.
            top_k: Best passages whose sentences may be quoted (or that the
                chat model is given), for this question only (default: the assistant's ``top_k``).
            mode: ``"extractive"`` or ``"generative"``; default generative
                when the assistant has a chat model, else extractive.

        Returns:
            An :class:`Answer`; ``abstained`` when retrieval finds nothing that
            answers (:func:`assistant.answer.answer_probability` under
            ``min_confidence``; the chat model is not called then), when the
            chat model replies that the passages do not answer, and for a
            greeting or thanks, which gets a short reply in kind without retrieval.
            A generative answer that cannot be had (endpoint unreachable,
            reply in the wrong language twice, nothing supported) falls back
            to the extractive one and says so in its first line and ``notes``.

        Raises:
            AssistantError: If the question is empty or too long (also counted
                in NFKC, as the embedding model reads it), ``top_k`` is not a
                whole number from 1 to 50, ``article_ids`` is not a list of ids,
                ``history`` is not a list of turns, or ``mode`` is generative
                without a chat model.
            StoreError, ModelMismatchError: If the store cannot be used.
        """
        return self.ask_traced(question, history, article_ids=article_ids, top_k=top_k, mode=mode).answer

    def ask_traced(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        *,
        article_ids: Sequence[str] | None = None,
        top_k: int | None = None,
        mode: AnswerMode | None = None,
    ) -> AnswerTrace:
        """Like :meth:`ask`, and also return the ranked passages retrieval found.

        The evaluation harness scores retrieval (recall@k, MRR) from
        ``AnswerTrace.retrieved`` and the answer from ``AnswerTrace.answer``,
        so both come from one run, timed once.

        Raises:
            Same as :meth:`ask`.
        """
        events = self._answer(question, history, article_ids, top_k, mode)
        while True:
            try:
                next(events)
            except StopIteration as done:
                return done.value

    def stream(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        *,
        article_ids: Sequence[str] | None = None,
        top_k: int | None = None,
        mode: AnswerMode | None = None,
    ) -> Iterator[Draft | Answer]:
        """Like :meth:`ask`, yielding the generated text as it is written, then the checked answer.

        Yields:
            :class:`assistant.types.Draft` items while a chat model writes
            (each the whole unchecked text so far; ``Draft("")`` when a retry
            starts), then exactly one :class:`Answer`, last. An extractive
            answer yields the :class:`Answer` only.

        Raises:
            Same as :meth:`ask`, on the first iteration, before anything is yielded.
        """
        trace = yield from self._answer(question, history, article_ids, top_k, mode)
        yield trace.answer

    def _answer(
        self,
        question: str,
        history: Sequence[Any] | None,
        article_ids: Sequence[str] | None,
        top_k: int | None,
        mode: AnswerMode | None,
    ) -> Generator[Draft, None, AnswerTrace]:
        """The work of :meth:`ask`: yields drafts of a generated answer, returns the trace."""
        if not isinstance(question, str):
            raise AssistantError(f"the question must be text, not {type(question).__name__}")
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer))):
            raise AssistantError(f"top_k is {top_k!r}: give a whole number of passages, between 1 and 50")
        if top_k is not None and not 1 <= top_k <= 50:
            raise AssistantError(f"top_k is {top_k}: choose between 1 and 50 passages")
        if article_ids is not None and (
            not isinstance(article_ids, (list, tuple, set, frozenset)) or not all(isinstance(a, str) for a in article_ids)
        ):
            raise AssistantError(f"article_ids is {str(article_ids)[:60]!r}: give a list of article ids (`article-qa list`)")
        if history is not None and (isinstance(history, (str, bytes)) or not isinstance(history, Sequence)):
            raise AssistantError(
                f"history is {type(history).__name__} {str(history)[:40]!r}: give a list of earlier turns, as "
                '{"role", "content"} dicts or (user, assistant) pairs'
            )
        if mode not in (None, "extractive", "generative"):
            raise AssistantError(f"mode is {mode!r}: use 'extractive' or 'generative'")
        if mode == "generative" and self.chat_model is None:
            raise AssistantError(
                "generative answers need a chat model: start with --llm openai-compatible|ollama --llm-model NAME"
            )
        generative = self.chat_model is not None and mode != "extractive"
        question = replace_surrogates(remove_invisible(question)).strip()
        if not question:
            raise AssistantError("the question is empty: type a question about the article")
        if len(question) > MAX_QUESTION_CHARS:
            raise AssistantError(
                f"the question is {len(question):,} characters long; keep it under {MAX_QUESTION_CHARS:,}"
            )
        spelt = spelt_length(question)  # what the embedding model reads: ﷺ is 18
        if spelt > MAX_QUESTION_CHARS:
            raise AssistantError(
                f"the question is {spelt:,} characters long once its compatibility characters (such as ﷺ) are "
                f"spelt out; keep it under {MAX_QUESTION_CHARS:,}"
            )
        language = detect_language(question)
        if not has_words(question):  # only punctuation or emoji: nothing to look up
            return AnswerTrace(abstain(question, language))
        kind = small_talk(question)
        if kind is not None:  # a greeting or thanks: a reply in kind, no retrieval
            return AnswerTrace(Answer(question, language, SMALL_TALK_REPLY[kind][language], abstained=True))
        notes: list[str] = []
        asked, text = question, for_embedding(question)  # as the chat model reads it, as it is embedded
        r, confidence = self._retrieve_with_confidence(text, language, article_ids)
        if history and confidence < STANDALONE_CONFIDENCE:
            # A follow-up not clearly answered on its own is also retrieved as a
            # standalone question; the more confident retrieval wins.
            standalone = (self._condense(question, language, history, notes) if generative else None) or (
                resolve_follow_up(question, history)
            )
            if for_embedding(standalone) != text:
                r2, confidence2 = self._retrieve_with_confidence(for_embedding(standalone), language, article_ids)
                log.info("follow-up: alone %.3f, standalone %.3f", confidence, confidence2)
                if confidence2 > confidence:
                    asked, text, r, confidence = standalone, for_embedding(standalone), r2, confidence2
        vector, hits = r.vector, r.passages
        if confidence < self.min_confidence:  # before any call to a chat model (but the rewrite of a follow-up)
            return AnswerTrace(dataclasses.replace(abstain(question, language), notes=notes), hits)
        top = hits[: top_k or self.top_k]
        records, sentence_vectors = self.store.sentences_of([h.passage.passage_id for h in top])
        stored = {
            (str(rec.metadata["passage_id"]), int(rec.metadata["char_start"]), int(rec.metadata["char_end"])): v
            for rec, v in zip(records, sentence_vectors)
        }
        if generative:
            unsupported: list[str] = []
            answer = yield from self._generate(question, asked, language, top, stored, notes, unsupported)
            if answer is not None:
                return AnswerTrace(answer, hits)
        answer = extractive_answer(
            text, language, vector, top, self.embeddings, max_quotes=self.max_quotes, stored=stored
        )
        if answer.abstained:
            return AnswerTrace(dataclasses.replace(abstain(question, language), notes=notes), hits)
        answer = dataclasses.replace(answer, question=question)
        if generative:  # the chat model's answer could not be used: say so
            answer = dataclasses.replace(
                answer, text=f"{FALLBACK_LEAD[language]}\n\n{answer.text}", notes=notes, unsupported_sentences=unsupported
            )
        return AnswerTrace(answer, hits)

    def _condense(self, question: str, language: str, history: Sequence[Any], notes: list[str]) -> str | None:
        """The chat model's standalone rewrite of a follow-up, in ``language``; ``None`` if it gives none usable."""
        if not [t for t in user_turns(history) if small_talk(t) is None]:
            return None
        try:
            reply = self.chat_model.invoke(condense_messages(question, language, history))  # type: ignore[union-attr]
        except Exception as exc:  # any failure of the endpoint: the heuristic rewrite instead
            from assistant.llm import describe_llm_error

            log.debug("condensing failed", exc_info=True)
            notes.append(f"follow-up not condensed: {describe_llm_error(exc, self.chat_model_name or '')}")
            return None
        standalone = " ".join(str(reply.content if isinstance(reply.content, str) else "").split())
        if not has_words(standalone) or len(standalone) > MAX_QUESTION_CHARS or detect_language(standalone) != language:
            notes.append("follow-up not condensed: the chat model's rewrite was empty, too long or in another language")
            return None
        notes.append(f"follow-up condensed to: {standalone}")
        return standalone

    def _generate(
        self,
        question: str,
        standalone: str,
        language: str,
        top: Sequence[RetrievedPassage],
        stored: dict[tuple[str, int, int], np.ndarray],
        notes: list[str],
        unsupported: list[str],
    ) -> Generator[Draft, None, Answer | None]:
        """Ask the chat model ``standalone``, check its reply (:mod:`assistant.grounding`); ``None`` means fall back to quoting.

        A reply in another language than the question's is asked for once
        more, with a firmer instruction; a second one falls back. What the
        checks did goes into ``notes``, the sentences they dropped into ``unsupported``.
        """
        from assistant.llm import describe_llm_error

        reply = ""
        for attempt in range(2):
            if attempt:
                yield Draft("", attempt + 1)
            messages = answer_messages(standalone, language, top, firmer=attempt > 0)
            try:
                for reply in stream_reply(self.chat_model, messages, self.chat_timeout):  # type: ignore[arg-type]
                    yield Draft(shown_draft(reply), attempt + 1)
            except Exception as exc:  # any failure of the endpoint falls back to quoting, said in notes
                log.info("chat model failed: %s", exc, exc_info=log.isEnabledFor(logging.DEBUG))
                notes.append(f"fell back to quoting: {describe_llm_error(exc, self.chat_model_name or '')}")
                return None
            if spelt_length(reply) >= MAX_REPLY_CHARS:
                notes.append(f"read the first {MAX_REPLY_CHARS:,} characters of the chat model's reply; it went on")
            if declines(reply):
                notes.append("the chat model found no answer in the passages")
                return dataclasses.replace(abstain(question, language), mode="generative", notes=notes)
            reply, tags = without_markup(without_sentinel(reply))
            if tags:
                notes.append(f"removed {tags} piece{'s' if tags > 1 else ''} of markup or control characters from the chat model's reply")
            if not has_words(MARKER.sub(" ", reply)):
                notes.append("fell back to quoting: the chat model's reply was empty" + (" but for markers" if reply else ""))
                return None
            other = {reply_language(c.text) for c in claims_of(reply) if has_letters(c.text)} - {language}
            if not other:
                break
            how = "in" if reply_language(reply) != language else "partly in"
            notes.append(f"the chat model answered {how} {'/'.join(sorted(other))}, not {language}" + ("; asked again" if not attempt else ""))
        else:
            notes.append("fell back to quoting: the chat model twice answered in the wrong language")
            return None
        claims = claim_texts(reply)
        claim_vectors = self.embeddings.encode_passages(claims) if claims else np.zeros((0, 1), np.float32)
        grounded = ground_reply(reply, top, self._passage_sentences(top, stored), claim_vectors)
        notes.extend(grounded.notes)
        unsupported.extend(grounded.unsupported_sentences)
        if not grounded.text:
            notes.append("fell back to quoting: no sentence of the chat model's answer is supported by the passages")
            return None
        return Answer(
            question, language, grounded.text, False, grounded.citations,  # type: ignore[arg-type]
            mode="generative", unsupported_sentences=grounded.unsupported_sentences, notes=notes,
        )  # fmt: skip

    def _passage_sentences(
        self, top: Sequence[RetrievedPassage], stored: dict[tuple[str, int, int], np.ndarray]
    ) -> list[PassageSentences]:
        """What a generated sentence is checked against, per passage: its quotable sentences (embeddings
        stored at ingestion) and their clauses (embedded now, all passages in one call)."""
        spans = [quotable_spans(h.passage) or [(h.passage.char_start, h.passage.char_end)] for h in top]
        texts = [[h.passage.text[a - h.passage.char_start : b - h.passage.char_start] for a, b in sp] for h, sp in zip(top, spans)]
        keys = [(h.passage.passage_id, a, b) for h, sp in zip(top, spans) for a, b in sp]
        vectors = sentence_embeddings(keys, [t for ts in texts for t in ts], self.embeddings, stored)
        parts = [[c for t in ts for c in clauses(t)] for ts in texts]
        every_part = [c for ps in parts for c in ps]
        part_vectors = self.embeddings.encode_passages([for_embedding(c) for c in every_part]) if every_part else vectors[:0]
        out, at, at_part = [], 0, 0
        for sp, ts, ps in zip(spans, texts, parts):
            units = np.concatenate([vectors[at : at + len(ts)], part_vectors[at_part : at_part + len(ps)]])
            out.append(PassageSentences(sp, ts, units))
            at, at_part = at + len(ts), at_part + len(ps)
        return out

    def _retrieve_with_confidence(
        self, text: str, language: str, article_ids: Sequence[str] | None
    ) -> tuple[Retrieval, float]:
        """Hybrid retrieval and the probability that it answers; 0 for a question without content words."""
        r = self.hybrid_retrieve(text, article_ids=article_ids)
        if not r.passages or not r.query_tokens:  # "the of and", "كم؟": nothing to answer from
            return r, 0.0
        cross_lingual = language != detect_language(r.passages[0].passage.text)
        confidence = answer_probability(answerability_features(r, cross_lingual))
        log.info("confidence %.3f (minimum %.3f); dense scores %s", confidence, self.min_confidence,
                 " ".join(f"{x:.3f}" for x in r.dense_scores[:5]))  # fmt: skip
        return r, confidence

    def as_runnable(self) -> Runnable:
        """This assistant as a LangChain Runnable: ``{"question", "history"?, "mode"?} -> Answer``."""
        from assistant.chain import make_runnable

        return make_runnable(self)
