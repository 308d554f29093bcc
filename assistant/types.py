"""What callers get back: an answer and the citations bound to its passages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ingest.language import Language
from ingest.types import Passage


@dataclass(frozen=True, slots=True)
class Citation:
    """A quoted sentence and the retrieved passage it was quoted from.

    Attributes:
        n: The number of the marker ``[n]`` in ``Answer.text`` (1-based).
        passage_id: Id of the cited passage.
        article_id: Id of the article the passage belongs to.
        passage_text: The whole cited passage.
        quote: The sentence quoted in the answer; a substring of ``passage_text``.
            In a generated answer, the sentence of the passage nearest (by
            embedding) to the first claim citing it: what the claim rests on.
        char_start: Offset of ``quote`` in the article text.
        char_end: Offset one past its end: ``article_text[char_start:char_end] == quote``.
        score: Cosine similarity between the question's embedding and the
            passage's, by the store's embedding model (``query: `` / ``passage: ``
            embeddings for E5), in [-1, 1]; higher is closer.
        section: Heading the passage sits under, or ``None``.
    """

    n: int
    passage_id: str
    article_id: str
    passage_text: str
    quote: str
    char_start: int
    char_end: int
    score: float
    section: str | None = None


@dataclass(frozen=True, slots=True)
class ShortAnswer:
    """The words of a quoted sentence that answer the question (a SQuAD-style span), as the article writes them.

    Attributes:
        text: The span: ``article_text[char_start:char_end] == text``. In an English answer about an
            Arabic article it is the article's Arabic words.
        char_start: Offset of the span in the article text.
        char_end: Offset one past its end.
        citation: The number ``n`` of the :class:`Citation` whose quote holds it.
        article_id: Id of the article the offsets index (that citation's).
        probability: Its softmax probability among the candidate spans of the answer's quotes
            (:class:`assistant.span.SpanChooser`), in (0, 1].
    """

    text: str
    char_start: int
    char_end: int
    citation: int
    article_id: str
    probability: float


#: Why a question was declined after looking it up (:func:`assistant.answer.abstain`).
DeclineReason = Literal["not_stated", "outside_articles", "no_content"]
#: Why a question was not answered in full (``Answer.reason``).
Reason = Literal[DeclineReason, "small_talk", "model_declined", "several_articles"]


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply to one question.

    Attributes:
        question: The question as asked, without invisible format characters
            (zero-width and bidirectional controls) and surrounding whitespace.
        language: Language of the question, ``"ar"`` or ``"en"``; the framing
            text of ``text`` is written in it.
        text: The reply: quoted sentences (extractive) or the checked
            generated sentences (generative), each followed by its marker
            ``[n]``, or, when ``abstained``, a sentence saying the article does not say.
            Plain text, never HTML or Markdown to render: a chat model's HTML is
            removed (:func:`assistant.generative.without_markup`), and quotes
            are the article's words as written, so the text may hold ``<`` or
            ``&``: escape it before putting it into a page.
        abstained: True when nothing retrieved was relevant enough to answer.
        citations: One per marker number in ``text``, in number order; empty when abstained.
        mode: ``"extractive"`` (quotes) or ``"generative"`` (written by a chat
            model and checked, :mod:`assistant.grounding`). A generative
            request that fell back to quoting is ``"extractive"``, with the reason in ``notes``.
        unsupported_sentences: Sentences the chat model wrote that no cited
            passage supports; they are not in ``text``.
        notes: What the checks did, one line each (a marker removed, a retry
            in the question's language, a fallback and why); empty for plain extractive answers.
        partial: True when the articles cover the question's topic but no sentence states the
            asked detail: ``text`` says what is missing and quotes what the article does say
            (with citations). Never counted as an answer by ``article-qa eval``.
        reason: Why the question was not answered in full, else ``None``: ``"not_stated"``
            (no passage in scope states the asked detail; a partial answer, or a decline),
            ``"outside_articles"`` (the question is outside the articles in scope),
            ``"no_content"`` (nothing to look up: no word in it, or nothing found),
            ``"small_talk"`` (a greeting or thanks), ``"model_declined"`` (the chat model
            replied that the passages do not answer), ``"several_articles"`` (a summary of the
            whole article was asked with more stored articles in scope than are summarised at once:
            the text says to choose).
        short_answer: The words that answer, inside a quoted sentence (:class:`ShortAnswer`), or ``None``
            (declined, partial, or no span chosen with confidence: the quotes still stand). In an
            extractive answer ``text`` gives it first, after the framing lead.
        summary: True when the question asked for a summary or the topic of an article, or of a part of
            it (:mod:`assistant.summary`): ``text`` gives a few of the article's sentences, each cited,
            in article order (or a chat model's summary of them, checked like any generated answer),
            one block per article; a citation's ``score`` is then the sentence's cosine similarity to
            the article's centroid, or to the topic's query embedding.
    """

    question: str
    language: Language
    text: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    mode: Literal["extractive", "generative"] = "extractive"
    unsupported_sentences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    partial: bool = False
    reason: Reason | None = None
    short_answer: ShortAnswer | None = None
    summary: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict with the fields above (citations and the short answer as dicts)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Draft:
    """A generated answer as it streams in, before the checks: the whole text so far.

    :meth:`assistant.Assistant.stream` yields these, then the checked
    :class:`Answer`. ``attempt`` counts the chat model's replies: 2 is the
    retry after a reply in the wrong language (it starts from ``""``). The
    end of a draft that may be the start of ``NOT_IN_ARTICLE`` is held back
    until it proves to be something else, so a draft can be shorter than the one before.
    """

    text: str
    attempt: int = 1


@dataclass(frozen=True, slots=True)
class RetrievedPassage:
    """A passage found for a question.

    Attributes:
        passage: The passage.
        score: Cosine similarity of question and passage embeddings, in [-1, 1].
    """

    passage: Passage
    score: float


@dataclass(frozen=True, slots=True)
class AnswerTrace:
    """An answer together with the retrieval behind it, for evaluation and debugging.

    Attributes:
        answer: The reply, as :meth:`assistant.Assistant.ask` returns it.
        retrieved: The ranked passages retrieval returned for the question,
            best first (up to ``max(top_k, 12)``); empty when the question was
            abstained on before retrieval (no letter or digit in it).
    """

    answer: Answer
    retrieved: list[RetrievedPassage] = field(default_factory=list)
