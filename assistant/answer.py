"""The extractive answerer: quote the candidate sentences most likely to state the answer.

The candidates are the quotable sentences of the best retrieved passages,
ordered by :mod:`assistant.abstention`'s ranking score. The best sentence
is quoted first; a second one if its score is within :data:`QUOTE_MARGIN`
of the best and it is of the same article, up to ``max_quotes``, never a near-duplicate. Each quote is followed by a marker
``[n]`` bound, by construction, to the passage it came from.

When no sentence states the asked detail but one covers the question's
topic, :func:`partial_answer` says what is missing and quotes what the
article does say; otherwise :func:`abstain` declines, saying why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.evidence import AnswerType
from assistant.types import Answer, Citation, DeclineReason, Reason, RetrievedPassage, ShortAnswer
from ingest.embeddings import Embedder
from ingest.language import Language
from ingest.normalize import for_embedding, lexical_tokens, normalize
from ingest.splitting import split_sentences
from ingest.types import Passage

#: Framing text of replies, per question language.
ANSWER_LEAD: dict[Language, str] = {
    "ar": "بحسب المقال:",
    "en": "According to the article:",
}
#: Framing of a short answer shown apart from the text (a generated answer's), per question language.
SHORT_ANSWER_LEAD: dict[Language, str] = {"ar": "الجواب المختصر:", "en": "Short answer:"}
#: Why a question is declined (``Answer.reason``), per question language.
ABSTAIN_TEXT: dict[DeclineReason, dict[Language, str]] = {
    "not_stated": {
        "ar": "لا يذكر أي مقطع من المقالات المختارة ما يسأل عنه السؤال.",
        "en": "No passage in the selected articles states what the question asks.",
    },
    "outside_articles": {
        "ar": "السؤال خارج موضوع المقالات المختارة: لا يتناول المقال ما يُسأل عنه.",
        "en": "The question is outside the selected articles: they do not cover it.",
    },
    "no_content": {
        "ar": "لا يذكر المقال ما يجيب عن هذا السؤال.",
        "en": "The article does not say.",
    },
}
#: Lead of a partial answer, by the asked answer type (``None``: no type), per question language.
PARTIAL_LEAD: dict[AnswerType | None, dict[Language, str]] = {
    "number": {"ar": "لا يذكر المقال هذا الرقم، لكنه يقول:", "en": "The article gives no figure for this; it says:"},
    "money": {"ar": "لا يذكر المقال هذا المبلغ، لكنه يقول:", "en": "The article gives no amount for this; it says:"},
    "percent": {
        "ar": "لا يذكر المقال هذه النسبة، لكنه يقول:",
        "en": "The article gives no percentage for this; it says:",
    },
    "date": {"ar": "لا يذكر المقال هذا التاريخ، لكنه يقول:", "en": "The article gives no date for this; it says:"},
    "person": {"ar": "لا يذكر المقال من هو، لكنه يقول:", "en": "The article does not name who; it says:"},
    "place": {"ar": "لا يذكر المقال المكان، لكنه يقول:", "en": "The article does not say where; it says:"},
    None: {
        "ar": "لا يجيب المقال عن هذا السؤال بعينه، لكنه يقول:",
        "en": "The article does not answer this exactly; it says:",
    },
}
#: Quotation marks around a quoted sentence (and a summary's article title), per question language.
QUOTE_MARKS: dict[Language, tuple[str, str]] = {"ar": ("«", "»"), "en": ("“", "”")}


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """A quotable sentence of a retrieved passage.

    Attributes:
        hit: The passage it belongs to.
        char_start: Offset of the sentence in the article.
        char_end: Offset one past its end.
        text: The sentence.
        score: Its ranking score as an answer (:mod:`assistant.abstention`, higher first); 0 before scoring.
        holds_asked: Whether it holds the asked type of answer (a figure, a date...); ``None`` when
            no type is asked or the type is not recognised in text (a person, a place).
    """

    hit: RetrievedPassage
    char_start: int
    char_end: int
    text: str
    score: float = 0.0
    holds_asked: bool | None = None


#: Shortest sentence quoted, in words: shorter ones (a dateline, "- REUTERS")
#: answer nothing and score deceptively high against short questions.
MIN_QUOTE_WORDS = 4


def quotable_spans(p: Passage) -> list[tuple[int, int]]:
    """Article offsets of the sentences of ``p`` that may be quoted: at least :data:`MIN_QUOTE_WORDS` words."""
    spans = p.sentences or tuple((p.char_start + a, p.char_start + b) for a, b in split_sentences(p.text))
    return [(a, b) for a, b in spans if len(p.text[a - p.char_start : b - p.char_start].split()) >= MIN_QUOTE_WORDS]


def candidate_sentences(hits: Sequence[RetrievedPassage]) -> list[ScoredSentence]:
    """Sentences of the passages that could be quoted (:func:`quotable_spans`), in passage order, each text
    once (a repeated sentence is one candidate), unscored."""
    sentences, seen = [], set()
    for hit in hits:
        p = hit.passage
        for a, b in quotable_spans(p):
            text = p.text[a - p.char_start : b - p.char_start]
            key = normalize(text)
            if key not in seen:
                seen.add(key)
                sentences.append(ScoredSentence(hit, a, b, text))
    return sentences


def _near_duplicate(a: str, b: str, threshold: float = 0.8) -> bool:
    """Whether two sentences share at least ``threshold`` of their lexical tokens (Jaccard)."""
    x, y = set(lexical_tokens(a)), set(lexical_tokens(b))
    return bool(x and y) and len(x & y) / len(x | y) >= threshold


def abstain(question: str, language: Language, reason: DeclineReason = "no_content") -> Answer:
    """The reply when the articles do not answer: no citations; the text says why (:data:`ABSTAIN_TEXT`).

    Args:
        reason: ``"not_stated"``, ``"outside_articles"`` or ``"no_content"`` (``Answer.reason``).
    """
    return Answer(question, language, ABSTAIN_TEXT[reason][language], abstained=True, reason=reason)


#: A further sentence is quoted when its ranking score is within this much of the best one's
#: (benchmarks/calibrate_abstention.py prints answer_in_citation and citation precision for each value).
QUOTE_MARGIN = 2.0


def sentence_embeddings(
    keys: Sequence[tuple[str, int, int]],
    texts: Sequence[str],
    embeddings: Embedder,
    stored: Mapping[tuple[str, int, int], np.ndarray] | None = None,
) -> np.ndarray:
    """Embeddings of sentences: those stored at ingestion, the rest embedded now (one call).

    Args:
        keys: ``(passage_id, char_start, char_end)`` of each sentence.
        texts: The sentences, parallel to ``keys``.
        embeddings: The backend that embedded the store (``passage: `` side);
            not called when every sentence is stored.
        stored: Sentence embeddings by key (:meth:`vectorstore.PassageStore.sentences_of`).

    Returns:
        ``(len(texts), dimension)`` float32, L2-normalised.
    """
    stored = stored or {}
    missing = [i for i, key in enumerate(keys) if key not in stored]
    dimension = embeddings.dimension if missing or not stored else len(next(iter(stored.values())))
    vectors = np.zeros((len(texts), dimension), dtype=np.float32)
    if missing:
        vectors[missing] = embeddings.encode_passages([for_embedding(texts[i]) for i in missing])
    for i, key in enumerate(keys):
        if key in stored:
            vectors[i] = stored[key]
    return vectors


def quoted_block(
    lead: str, language: Language, chosen: Sequence[ScoredSentence], first: int = 1
) -> tuple[str, list[Citation]]:
    """``lead``, then each sentence of ``chosen`` in the language's :data:`QUOTE_MARKS` with its marker,
    numbered from ``first``, paragraphs apart; and the :class:`Citation` of each (its ``score``: the sentence's
    ``hit.score``)."""
    opening, closing = QUOTE_MARKS[language]
    lines = [lead]
    citations = []
    for n, s in enumerate(chosen, start=first):
        lines.append(f"{opening}{s.text}{closing} [{n}]")
        p = s.hit.passage
        citations.append(
            Citation(
                n=n,
                passage_id=p.passage_id,
                article_id=p.article_id,
                passage_text=p.text,
                quote=s.text,
                char_start=s.char_start,
                char_end=s.char_end,
                score=s.hit.score,
                section=p.section,
            )
        )
    return "\n\n".join(lines), citations


def _quoted(
    question: str,
    language: Language,
    lead: str,
    chosen: Sequence[ScoredSentence],
    *,
    partial: bool = False,
    reason: Reason | None = None,
) -> Answer:
    text, citations = quoted_block(lead, language, chosen)
    return Answer(question, language, text, abstained=False, citations=citations, partial=partial, reason=reason)


def choose_quotes(
    ranked: Sequence[ScoredSentence], max_quotes: int = 2, quote_margin: float = QUOTE_MARGIN
) -> list[ScoredSentence]:
    """The sentences to quote: the best of ``ranked`` (best first), then each next one whose score is
    within ``quote_margin`` of the best and that comes from the same article, up to ``max_quotes``,
    skipping near-duplicates of one already chosen. ``[]`` for no candidate."""
    chosen: list[ScoredSentence] = []
    for sentence in ranked:
        if len(chosen) == max_quotes or sentence.score < ranked[0].score - quote_margin:
            break
        if sentence.hit.passage.article_id != ranked[0].hit.passage.article_id:
            continue  # quotes come from the article of the best one
        if not any(_near_duplicate(sentence.text, c.text) for c in chosen):
            chosen.append(sentence)
    return chosen


def extractive_answer(
    question: str,
    language: Language,
    ranked: Sequence[ScoredSentence],
    *,
    max_quotes: int = 2,
    quote_margin: float = QUOTE_MARGIN,
) -> Answer:
    """Answer by quoting the best-ranked sentences (:func:`choose_quotes`).

    Args:
        question: The question as asked.
        language: Its language; picks the framing text.
        ranked: Candidate sentences, best first (:meth:`assistant.abstention.AbstentionModel.assess`);
            the caller has decided that the question is answered.
        max_quotes: Most sentences quoted.
        quote_margin: A further sentence is quoted only if its score is within this much of the best one's.

    Returns:
        An :class:`Answer` whose markers ``[1]``, ``[2]``... match its
        citations, best first; an abstention if there is no candidate.
    """
    chosen = choose_quotes(ranked, max_quotes, quote_margin)
    return _quoted(question, language, ANSWER_LEAD[language], chosen) if chosen else abstain(question, language)


def partial_answer(question: str, language: Language, sentence: ScoredSentence, asked: AnswerType | None) -> Answer:
    """A partial answer: the article covers the question's topic but not the asked detail.

    Says which detail is missing (:data:`PARTIAL_LEAD`, by ``asked``) and quotes ``sentence`` as ``[1]``.
    ``partial`` is true and ``reason`` is ``"not_stated"``: it is never counted as an answer.
    """
    return _quoted(question, language, PARTIAL_LEAD[asked][language], [sentence], partial=True, reason="not_stated")


class ExtractiveAnswerer:
    """Answers by quoting the candidate sentences most likely to state the answer (:func:`extractive_answer`).

    Args:
        max_quotes: Most sentences quoted in one answer.
    """

    def __init__(self, *, max_quotes: int = 2) -> None:
        self.max_quotes = max_quotes

    def quotes(self, ranked: Sequence[ScoredSentence]) -> list[ScoredSentence]:
        """The sentences an answer from these candidates quotes (:func:`choose_quotes`)."""
        return choose_quotes(ranked, self.max_quotes)

    def answer(self, question: str, language: Language, quotes: Sequence[ScoredSentence]) -> Answer:
        """The answer quoting ``quotes`` (from :meth:`quotes`), each with its marker; an abstention if there is none."""
        return _quoted(question, language, ANSWER_LEAD[language], quotes) if quotes else abstain(question, language)


def with_short_answer(answer: Answer, short: ShortAnswer | None) -> Answer:
    """``answer`` carrying its short answer; an extractive answer also gives it first, after its lead
    (``"بحسب المقال: 102.5 مليار دولار [1]"``, then the quotes). A generated answer's text stays as written.
    ``answer`` itself when ``short`` is ``None``."""
    if short is None:
        return answer
    text = answer.text
    lead = ANSWER_LEAD[answer.language]
    if answer.mode == "extractive" and text.startswith(lead):
        text = f"{lead} {short.text} [{short.citation}]{text[len(lead) :]}"
    return dataclasses.replace(answer, text=text, short_answer=short)


def short_answer_line(answer: Answer) -> str | None:
    """The short answer as a line of its own, framed in the question's language (``"Short answer: نوفمبر
    2019 [1]"``), for an answer whose text does not give it already (a generated one); ``None`` otherwise
    (no short answer, or an extractive text that opens its quotes with it, after a fallback notice too)."""
    short = answer.short_answer
    if short is None or f"{ANSWER_LEAD[answer.language]} {short.text} [{short.citation}]" in answer.text:
        return None
    return f"{SHORT_ANSWER_LEAD[answer.language]} {short.text} [{short.citation}]"
