"""The assistant: a facade over the indexer, the hybrid retriever, the abstention model and the answerers.

A question's path, one call per step (:meth:`Assistant.stream`):

1. :class:`assistant.request.Request` checks and cleans it;
2. small talk and questions without a word are answered without retrieval;
3. :class:`assistant.retrieval.HybridRetriever` ranks passages, and
   :class:`assistant.abstention.AbstentionModel` says how likely they answer;
   a follow-up is also retrieved as a standalone question, the more confident wins
   (:func:`assistant.followup.choose_retrieval`);
4. below ``min_confidence``, the assistant abstains;
5. :class:`assistant.generative.GenerativeAnswerer` writes and checks an answer (with a chat model);
6. else, or when it gives none usable, :class:`assistant.answer.ExtractiveAnswerer` quotes;
7. :class:`assistant.span.SpanChooser` picks the short answer inside the quoted (or cited) sentences.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import platformdirs
from typing_extensions import Unpack

from assistant.abstention import TOPIC_COVERAGE, AbstentionModel
from assistant.answer import ExtractiveAnswerer, abstain, partial_answer, with_short_answer
from assistant.conversation import SMALL_TALK_REPLY, small_talk, user_turns
from assistant.errors import AssistantError
from assistant.export import conversation_json, conversation_markdown
from assistant.feedback import FEEDBACK_FILE, FeedbackLog
from assistant.followup import choose_retrieval, found
from assistant.generative import ANSWERING_MARGIN, GenerativeAnswerer
from assistant.grounding import states_span
from assistant.indexer import CheckReport, Indexer, IngestReport
from assistant.records import passage_from_hit
from assistant.request import AskOptions, Request, article_ids_of, passages_count
from assistant.retrieval import HybridRetriever
from assistant.span import SpanChooser
from assistant.summary import (
    MAX_CHOSEN_SUMMARIES,
    MAX_SUMMARISED_ARTICLES,
    ArticleSummary,
    SummaryRequest,
    choose_article,
    select_sentences,
    summary_answer,
    summary_request,
)
from assistant.types import Answer, AnswerTrace, Draft, RetrievedPassage
from assistant.wiring import components, settings_components
from ingest.embeddings import Embedder
from ingest.language import detect_language
from ingest.normalize import for_embedding, has_words
from ingest.types import Article, Passage
from vectorstore.chroma import PassageStore

if TYPE_CHECKING:
    import numpy as np
    from langchain_core.language_models import BaseChatModel
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.runnables import Runnable

    from assistant.settings import Settings

__all__ = ["AskOptions", "Assistant", "CheckReport", "IngestReport"]

#: First line of an answer that quotes the article because the chat model
#: gave no usable answer (the reason is in ``Answer.notes``).
FALLBACK_LEAD = {
    "ar": "لم يُعطِ نموذج المحادثة جواباً صالحاً، فهذا الجواب يقتبس من المقال.",
    "en": "The chat model gave no usable answer, so this answer quotes the article.",
}
#: The same when the chat model's answer did not come, or did not end, in time ({seconds}: how long it
#: was waited for, as :func:`seconds_in` writes it).
TIMEOUT_LEAD = {
    "ar": "لم يكتمل جواب نموذج المحادثة خلال {seconds}، فهذا الجواب يقتبس من المقال.",
    "en": "The chat model's answer did not come within {seconds}, so this answer quotes the article.",
}


def seconds_in(seconds: float, language: str) -> str:
    """A duration for people, in ``language``: ``"5 s"``; in Arabic with the counted noun's number and case
    (ثانية واحدة، ثانيتين، 3–10 ثوانٍ، 11 ثانية فأكثر، 0.5 ثانية)."""
    if language != "ar":
        return f"{seconds:g} s"
    if seconds == 1:
        return "ثانية واحدة"
    if seconds == 2:
        return "ثانيتين"
    if seconds == int(seconds) and 3 <= seconds <= 10:
        return f"{seconds:g} ثوانٍ"
    return f"{seconds:g} ثانية"


def fallback_lead(language: str, waited: float | None) -> str:
    """The first line of an answer that quotes because the chat model's could not be used: :data:`FALLBACK_LEAD`,
    or :data:`TIMEOUT_LEAD` with how long it waited (``waited``, seconds; ``None``: it did not time out)."""
    if waited is None:
        return FALLBACK_LEAD[language]
    return TIMEOUT_LEAD[language].format(seconds=seconds_in(waited, language))


class Assistant:
    """Answers questions about the stored articles, citing the passages it quotes.

    Collaborators are handed in; :meth:`build` and :meth:`from_settings` wire
    the usual ones. Construction is cheap: the embedding model loads on the
    first question or ingestion, and the store opens then too.

    Args:
        indexer: Splits, embeds and stores articles (:class:`assistant.indexer.Indexer`).
        retriever: Ranks passages (:class:`assistant.retrieval.HybridRetriever`), over the indexer's store.
        extractive: Quotes sentences (:class:`assistant.answer.ExtractiveAnswerer`).
        abstention: Decides whether to answer (default :class:`assistant.abstention.AbstentionModel`).
        generative: Writes answers with a chat model; ``None``: extractive answers only.
        spans: Chooses the short answer inside the quotes (default :class:`assistant.span.SpanChooser`).
        top_k: Best passages whose sentences may be quoted, or that the chat model is given.
        store_location: Where the store is, for messages (``chroma://host:port`` for a server).
        store_path: Directory of the embedded store, or ``None`` (a server's, or a store handed in).

    Raises:
        AssistantError: If ``top_k`` is not a whole number from 1 to 50.
    """

    def __init__(
        self,
        indexer: Indexer,
        retriever: HybridRetriever,
        extractive: ExtractiveAnswerer,
        *,
        abstention: AbstentionModel | None = None,
        generative: GenerativeAnswerer | None = None,
        spans: SpanChooser | None = None,
        top_k: int = 3,
        store_location: str = "",
        store_path: Path | None = None,
    ) -> None:
        self.indexer, self.retriever, self.extractive = indexer, retriever, extractive
        self.abstention = abstention or AbstentionModel()
        self.generative = generative
        self.spans = spans or SpanChooser()
        self.top_k = passages_count(top_k, "top_k")
        self.store_location, self.store_path = store_location, store_path

    @classmethod
    def build(cls, embeddings: Embedder, store_path: str | Path | None = None, *args: Any, **options: Any) -> Assistant:
        """The usual assistant over one store, opened on first use; arguments as
        :func:`assistant.wiring.components` (``collection``, ``chroma_host``, ``top_k``, ``chat_model``...).

        Raises:
            ValueError: If neither ``store_path`` nor ``chroma_host`` is given.
        """
        return cls(**components(embeddings, store_path, *args, **options))

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> Assistant:
        """The assistant :class:`assistant.settings.Settings` describe (:func:`assistant.wiring.settings_components`).

        Args:
            settings: Settings to use; by default read from the environment.
            **overrides: Setting values that win over ``settings`` (e.g. ``store=...``).

        Raises:
            pydantic.ValidationError: On an unknown or invalid setting.
        """
        from assistant.settings import Settings

        base = settings or Settings()
        return cls(**settings_components(Settings(**{**base.model_dump(), **overrides}) if overrides else base))

    def with_chat_model(
        self,
        chat_model: BaseChatModel,
        *,
        name: str | None = None,
        timeout: float | None = None,
        first_token_timeout: float | None = None,
        context_tokens: int | Callable[[], int | None] | None = None,
    ) -> Assistant:
        """Another assistant over the same store and retriever whose answers ``chat_model`` writes.

        Args:
            timeout: Most seconds the whole reply may take (``None``: the client's own timeouts).
            first_token_timeout: Most seconds to wait for its first token (``None``: ``timeout``).
            context_tokens: The model's context size in tokens, or a callable asking its server
                (:func:`assistant.llm.server_context_tokens`); the passages are cut to fit.
        """
        other = copy.copy(self)
        other.generative = GenerativeAnswerer(
            chat_model, self.embeddings, name=name, timeout=timeout, first_token_timeout=first_token_timeout,
            context_tokens=context_tokens,
        )  # fmt: skip
        return other

    @property
    def embeddings(self) -> Embedder:
        """The embedding model of the store."""
        return self.indexer.embeddings

    @property
    def store(self) -> PassageStore:
        """The passage store (embedded, or on a Chroma server), opened on first use.

        Raises:
            StoreError: If it cannot be opened.
            ModelMismatchError: If it was built with another embedding model.
        """
        return self.indexer.store

    # -- articles (the indexer) -----------------------------------------------------------------

    def ingest(
        self,
        sources: str | Path | Iterable[str | Path],
        *,
        article_id: str | None = None,
        progress: bool = False,
        on_stored: Callable[[IngestReport], None] | None = None,
    ) -> list[IngestReport]:
        """Load, split, embed and store articles: files, directories of them, or URLs (:meth:`Indexer.ingest`)."""
        return self.indexer.ingest(sources, article_id=article_id, progress=progress, on_stored=on_stored)

    def ingest_article(self, article: Article, progress: bool = False) -> IngestReport:
        """Split, embed and store one article, replacing an earlier version of it (:meth:`Indexer.ingest_article`)."""
        return self.indexer.ingest_article(article, progress)

    def ingest_text(
        self, text: str, article_id: str | None = None, *, title: str | None = None, progress: bool = False
    ) -> IngestReport:
        """Clean, split, embed and store an article given as text (:meth:`Indexer.ingest_text`)."""
        return self.indexer.ingest_text(text, article_id, title=title, progress=progress)

    def ingest_upload(self, path: str | Path, name: str, *, progress: bool = False) -> IngestReport:
        """Ingest a file uploaded under ``name``, recorded as ``upload:<name>`` (:meth:`Indexer.ingest_upload`)."""
        return self.indexer.ingest_upload(path, name, progress=progress)

    def ingest_sample_if_empty(self) -> IngestReport | None:
        """Ingest the bundled sample article when the store holds no article; ``None`` if it had articles."""
        return self.indexer.ingest_sample_if_empty()

    def list_articles(self) -> list[dict[str, Any]]:
        """The stored articles: ``article_id``, ``title``, ``passages``, ``ingested_at``, ``source``..."""
        return self.store.list_articles()

    def article_text(self, article_id: str) -> str | None:
        """The stored text of an article (what citation offsets index), or ``None`` if it is not stored."""
        record = self.store.get_article(article_id)
        return None if record is None else record[0]

    def remove_article(self, article_id: str) -> int:
        """Delete an article and its passages; the number deleted (:meth:`Indexer.remove_article`)."""
        return self.indexer.remove_article(article_id)

    # -- feedback and export ----------------------------------------------------------------

    @property
    def feedback(self) -> FeedbackLog:
        """Readers' verdicts on answers (:class:`assistant.feedback.FeedbackLog`): ``feedback.jsonl`` in an
        embedded store's directory; for a store on a Chroma server, ``feedback-<host>-<port>.jsonl`` in the
        user's data directory (``platformdirs.user_data_dir("article-qa")``)."""
        if self.store_path is not None:
            return FeedbackLog(Path(self.store_path) / FEEDBACK_FILE)
        where = re.sub(r"[^A-Za-z0-9.-]+", "-", self.store_location.removeprefix("chroma://")).strip("-") or "store"
        return FeedbackLog(Path(platformdirs.user_data_dir("article-qa")) / f"feedback-{where}.jsonl")

    def record_feedback(
        self, answer: Answer, liked: bool, *, article_ids: Sequence[str] | None = None, comment: str | None = None
    ) -> dict[str, Any]:
        """Keep a reader's thumbs up (``liked``) or down on ``answer``; return the line kept
        (:func:`assistant.feedback.feedback_entry`). A later verdict on the same question replaces an earlier
        one in :meth:`FeedbackLog.verdicts` (both lines are kept).

        Raises:
            AssistantError: If an argument is of the wrong type, or the feedback file cannot be written.
        """
        if not isinstance(answer, Answer):
            raise AssistantError(f"answer is {type(answer).__name__}: give the Answer that ask() returned")
        if not isinstance(liked, bool):
            raise AssistantError(f"liked is {liked!r}: give True (right) or False (wrong)")
        if article_ids is not None and (
            isinstance(article_ids, str) or not all(isinstance(a, str) for a in article_ids)
        ):
            raise AssistantError(f"article_ids is {str(article_ids)[:60]!r}: give a list of article ids, or None")
        if comment is not None and not isinstance(comment, str):
            raise AssistantError(f"comment is {type(comment).__name__}: give text, or None")
        return self.feedback.record(answer, liked, article_ids=article_ids, comment=comment)

    @staticmethod
    def export_conversation(answers: Sequence[Answer], format: Literal["markdown", "json"] = "markdown") -> str:
        """A conversation (its answers, in order) as Markdown or JSON (:mod:`assistant.export`), with every
        answer's quotes, citations (article id, offsets) and short answer.

        Raises:
            AssistantError: If ``answers`` is not a list of :class:`Answer`, or ``format`` is neither
                ``"markdown"`` nor ``"json"``.
        """
        if isinstance(answers, (str, Answer)) or not all(isinstance(a, Answer) for a in answers):
            raise AssistantError("answers: give a list of the Answers that ask() returned, in order")
        if format == "markdown":
            return conversation_markdown(answers)
        if format == "json":
            return conversation_json(answers)
        raise AssistantError(f'format is {format!r}: export as "markdown" or "json"')

    def check(self, *, repair: bool = False, progress: bool = False) -> CheckReport:
        """Verify (and with ``repair`` mend) every stored article (:meth:`Indexer.check`)."""
        return self.indexer.check(repair=repair, progress=progress)

    # -- questions ---------------------------------------------------------------------------

    def ask(
        self, question: str | Request, history: Sequence[Any] | None = None, **options: Unpack[AskOptions]
    ) -> Answer:
        """Answer a question about the stored articles (the pipeline: this module's docstring).

        Args:
            question: Arabic or English question (or a :class:`Request`); checked and cleaned by
                :meth:`Request.of`. The reply is in its language.
            history: Earlier turns, as ``{"role", "content"}`` dicts, ``(user, assistant)`` pairs or
                LangChain messages. A question not answered with confidence on its own is also
                retrieved as a standalone question: the chat model's rewrite of it (generative
                mode), else the previous user question joined to it (:mod:`assistant.conversation`).
            **options: ``article_ids``, ``top_k``, ``mode`` (:class:`AskOptions`).

        Returns:
            An :class:`Answer`; ``abstained`` when retrieval finds nothing that answers (the chat
            model is not called then), when the chat model replies that the passages do not
            answer, and for small talk (a reply in kind, without retrieval). A generative answer
            that cannot be had falls back to quoting and says so in its first line and ``notes``.

        Raises:
            AssistantError: If the request is not usable, or ``mode`` is generative without a chat model.
            UnknownArticleError: If an id of ``article_ids`` is not stored.
            StoreError, ModelMismatchError: If the store cannot be used.
        """
        return self.ask_traced(question, history, **options).answer

    def ask_traced(
        self, question: str | Request, history: Sequence[Any] | None = None, **options: Unpack[AskOptions]
    ) -> AnswerTrace:
        """Like :meth:`ask`, and also return the ranked passages retrieval found (for recall@k and MRR)."""
        events = self._answer(self._request(question, history, options))
        while True:
            try:
                next(events)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]

    def stream(
        self, question: str | Request, history: Sequence[Any] | None = None, **options: Unpack[AskOptions]
    ) -> Iterator[Draft | Answer]:
        """Like :meth:`ask`, yielding the generated text as it is written, then the checked answer.

        Yields:
            :class:`assistant.types.Draft` items while a chat model writes
            (each the whole unchecked text so far; ``Draft("")`` when a retry
            starts), then exactly one :class:`Answer`, last. An extractive
            answer yields the :class:`Answer` only.

        Raises:
            Same as :meth:`ask`: the request's errors at this call, the store's at the first ``next()``.
        """
        events = self._answer(self._request(question, history, options))  # the request is checked now

        def run() -> Iterator[Draft | Answer]:
            trace = yield from events
            yield trace.answer

        return run()

    def _request(self, question: str | Request, history: Sequence[Any] | None, options: AskOptions) -> Request:
        request = question if isinstance(question, Request) else Request.of(question, history, **options)
        if request.mode == "generative" and self.generative is None:
            raise AssistantError("generative answers need a chat model", setting="llm")
        return request

    def _answer(self, request: Request) -> Generator[Draft, None, AnswerTrace]:
        """The pipeline of :meth:`ask`: yields drafts of a generated answer, returns the trace."""
        generative = self.generative if request.mode != "extractive" else None
        question, language = request.question, request.language
        if not has_words(question):  # only punctuation or emoji: nothing to look up
            return AnswerTrace(abstain(question, language))
        kind = small_talk(question)
        if kind is not None:  # a greeting or thanks: a reply in kind, no retrieval
            reply = SMALL_TALK_REPLY[kind][language]
            return AnswerTrace(Answer(question, language, reply, abstained=True, reason="small_talk"))
        top_k = request.top_k or self.top_k
        asked_summary = summary_request(question, language)
        if asked_summary is not None:  # "لخص المقال", "what is this article about?": its own sentences, cited
            return (yield from self._summary(request, asked_summary, top_k, generative))
        found, notes = choose_retrieval(
            request, self.retriever, self.abstention, top_k, generative.condense if generative else None
        )
        hits, assessment = found.retrieval.passages, found.assessment
        if not self.abstention.answers(found.confidence):  # before any call to a chat model (but a follow-up's rewrite)
            reason = self.abstention.reason(assessment)
            topical = self.abstention.partial(assessment) if reason == "not_stated" else None
            if topical is not None:
                answer = partial_answer(question, language, topical, assessment.asked)
            else:
                answer = abstain(question, language, reason)
            return AnswerTrace(dataclasses.replace(answer, notes=notes), hits)
        # No figure for "how much?" among the candidates that may be quoted: a partial answer.
        if not self.abstention.states_asked_type(assessment.sentences[: self.extractive.max_quotes]):
            answer = partial_answer(question, language, assessment.sentences[0], assessment.asked)
            return AnswerTrace(dataclasses.replace(answer, notes=notes), hits)
        top = hits[:top_k]
        unsupported: list[str] = []
        waited: float | None = None
        if generative is not None:
            ranked = assessment.sentences  # never empty here: the abstention answered with confidence
            answering = [(s.hit.passage.article_id, s.char_start, s.char_end)
                         for s in ranked if s.score >= ranked[0].score - ANSWERING_MARGIN] if ranked else None  # fmt: skip
            generated = yield from generative.answer(question, found.asked, language, top, found.stored, answering)
            if generated.answer is not None:
                answer = dataclasses.replace(generated.answer, notes=[*notes, *generated.notes])
                return AnswerTrace(self._with_short_answer(answer, found.asked), hits)
            notes, unsupported, waited = [*notes, *generated.notes], generated.unsupported, generated.waited
        answer = self.extractive.answer(question, language, self.extractive.quotes(assessment.sentences))
        if answer.abstained:
            return AnswerTrace(dataclasses.replace(answer, notes=notes), hits)
        answer = self._with_short_answer(answer, found.asked)
        if generative is not None:  # the chat model's answer could not be used: say so
            text = f"{fallback_lead(language, waited)}\n\n{answer.text}"
            answer = dataclasses.replace(answer, text=text, notes=notes, unsupported_sentences=unsupported)
        return AnswerTrace(answer, hits)

    def _summary(
        self, request: Request, asked: SummaryRequest, top_k: int, generative: GenerativeAnswerer | None
    ) -> Generator[Draft, None, AnswerTrace]:
        """A summary request's answer (:mod:`assistant.summary`): a topic's sentences, from the article retrieval
        finds it in (declined when no article is on that topic); else each article in scope summarised: the chosen
        ones, else the one the conversation was about, else every stored one if there are at most
        :data:`assistant.summary.MAX_SUMMARISED_ARTICLES`. With a chat model, it writes the summary from the
        chosen sentences' passages, checked as any generated answer (without the off-question check)."""
        question, language = request.question, request.language
        hits: list[RetrievedPassage] = []
        if asked.topic:
            f = found(asked.topic, language, request.article_ids, self.retriever, self.abstention, top_k)
            hits = f.retrieval.passages
            if not hits or not (self.abstention.answers(f.confidence) or f.assessment.topic >= TOPIC_COVERAGE):
                return AnswerTrace(
                    dataclasses.replace(abstain(question, language, "outside_articles"), summary=True), hits
                )
            article_id = hits[0].passage.article_id
            passages = [h.passage for h in hits if h.passage.article_id == article_id]
            vectors = self.retriever.sentence_vectors([p.passage_id for p in passages])
            chosen = [self._article_summary(article_id, passages, vectors, f.retrieval.vector)]
        else:
            article_ids = self._articles_to_summarise(request)
            limit = MAX_CHOSEN_SUMMARIES if request.article_ids else MAX_SUMMARISED_ARTICLES
            if len(article_ids) > limit:
                return AnswerTrace(
                    choose_article(question, language, len(article_ids), chosen=bool(request.article_ids))
                )
            chosen = []
            for article_id in article_ids:
                passages = [passage_from_hit(h) for h in self.store.passages(self.store.current_versions([article_id]))]
                vectors = self.retriever.sentence_vectors([p.passage_id for p in passages])
                chosen.append(self._article_summary(article_id, passages, vectors))
        answer = summary_answer(question, language, chosen, asked.topic)
        if generative is None or answer.abstained:
            return AnswerTrace(answer, hits)
        # The chosen sentences' passages, in article order, each scored by its closest chosen sentence.
        by_id: dict[str, RetrievedPassage] = {}
        for s in (s for summary in chosen for s in summary.sentences):
            known = by_id.get(s.passage.passage_id)
            by_id[s.passage.passage_id] = RetrievedPassage(s.passage, max(s.score, known.score if known else -1.0))
        top = list(by_id.values())
        stored = self.retriever.sentence_vectors(list(by_id))
        generated = yield from generative.answer(question, question, language, top, stored)
        if generated.answer is not None and not generated.answer.abstained:
            return AnswerTrace(dataclasses.replace(generated.answer, summary=True), hits)
        text = f"{fallback_lead(language, generated.waited)}\n\n{answer.text}"
        return AnswerTrace(
            dataclasses.replace(answer, text=text, notes=generated.notes, unsupported_sentences=generated.unsupported),
            hits,
        )

    def _article_summary(
        self,
        article_id: str,
        passages: Sequence[Passage],
        vectors: Mapping[tuple[str, int, int], np.ndarray],
        query: np.ndarray | None = None,
    ) -> ArticleSummary:
        """One article's summary (:func:`assistant.summary.select_sentences`), its title left out of it."""
        title = (self.store.article_metadata(article_id) or {}).get("title")
        chosen = select_sentences(passages, vectors, query=query, leave_out=[title] if title else ())
        return ArticleSummary(article_id, title or None, chosen)

    def _articles_to_summarise(self, request: Request) -> list[str]:
        """The articles a summary of "the article" is about: the chosen ones; else, in a conversation, the
        article of the best passage for the latest earlier question about its content (not a summary request,
        not small talk); else every stored one.

        Raises:
            UnknownArticleError: If an id of ``request.article_ids`` is not stored.
        """
        if request.article_ids:
            self.retriever.selected_versions(request.article_ids)  # raises for an id not stored
            return list(dict.fromkeys(request.article_ids))
        stored = self.store.article_ids()
        # The latest earlier question that asked about the article's content (not a summary, not small talk).
        earlier = [
            t for t in user_turns(request.history)
            if small_talk(t) is None and summary_request(t, detect_language(t)) is None and has_words(t)
        ]  # fmt: skip
        if len(stored) > 1 and earlier:
            hits = self.retriever.retrieve(for_embedding(earlier[-1])).passages
            if hits:
                return [hits[0].passage.article_id]
        return stored

    def _with_short_answer(self, answer: Answer, asked: str) -> Answer:
        """The answer with the span of its quotes that answers ``asked`` (the question as retrieved: a
        follow-up's standalone form), if one (:class:`assistant.span.SpanChooser`); for a generated answer,
        the most probable of the 5 best spans that its text states (:func:`assistant.grounding.states_span`)."""
        if answer.abstained or answer.partial or not answer.citations:
            return answer
        if answer.mode == "generative":  # the most probable span the written answer says, never one it contradicts
            short = next(
                (s for s in self.spans.ranked(asked, answer.citations) if s.probability >= self.spans.min_probability
                 and states_span(answer.text, s.text)),
                None,
            )  # fmt: skip
            return with_short_answer(answer, short)
        return with_short_answer(answer, self.spans.choose(asked, answer.citations))

    # -- LangChain ---------------------------------------------------------------------------

    def as_retriever(self, k: int | None = None, article_ids: Sequence[str] | None = None) -> BaseRetriever:
        """The hybrid ranking as a LangChain ``BaseRetriever`` (:class:`assistant.chain.ArticleRetriever`).

        Args:
            k: Passages per query, 1 to 50 (default: this assistant's ``top_k``).
            article_ids: Search only these articles (a list of ids); ``None`` or ``[]`` for all.

        Raises:
            AssistantError: If ``k`` or ``article_ids`` is not usable.
        """
        from assistant.chain import ArticleRetriever

        k = self.top_k if k is None else passages_count(k, "k")
        ids = article_ids_of(article_ids)
        return ArticleRetriever(retriever=self.retriever, k=k, article_ids=None if ids is None else list(ids))

    def as_runnable(self) -> Runnable[Any, Any]:
        """This assistant as a LangChain Runnable: a question in, an ``AIMessage`` carrying the ``Answer`` out
        (:func:`assistant.chain.make_runnable`)."""
        from assistant.chain import make_runnable

        return make_runnable(self)
