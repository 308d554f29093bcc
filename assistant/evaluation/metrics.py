"""Metrics of ``article-qa eval``: per question, then over a set and per language. No I/O.

Definitions (the README's "Evaluation" section gives them with examples):

* **recall@k** (k = 1, 3, 5): share of answerable questions with a hit among
  the first k retrieved passages; "top-k retrieval accuracy" of DPR
  (Karpukhin et al. 2020). A hit is a passage inside the gold paragraph
  (SQuAD sets) or a passage containing a gold answer (JSONL/CSV sets).
* **MRR**: mean over answerable questions of 1/rank of the first hit within
  the first :data:`MRR_DEPTH` passages, 0 without one (Voorhees 1999, TREC-8
  QA track; MRR@10 as in MS MARCO, Nguyen et al. 2016).
* **answer_in_citation**: share of answerable questions where a gold answer
  is contained in a quoted sentence of the answer's citations.
* **exact_match**, **f1**: SQuAD v1.1's official metrics (Rajpurkar et al.
  2016, ``evaluate-v1.1.py``): the short answer (``Answer.short_answer``) when
  there is one, else the quoted sentences (:func:`answer_text`), against each
  gold answer, best over the golds, after :func:`normalize_answer`. Averaged
  over answerable questions; an abstention scores 0.
  **sentence_exact_match**, **sentence_f1**: the same on the quoted sentences alone.
* **short_answer.coverage**: share of the answered answerable questions that got a
  short answer; **short_answer.in_citation**: share of those short answers whose
  sentence (its citation's quote) contains a gold answer.
* **citations.precision**: share of the passages cited in answers to
  answerable questions that contain a gold answer (pooled over questions).
* **abstain_rate_unanswerable**: share of unanswerable questions not given a
  full answer (declined, or a partial answer: ``Answer.partial``);
  **false_abstain_rate_answerable**: share of answerable ones not given a full
  answer (declined or partial). **partial_rate_unanswerable** and
  **partial_rate_answerable** count the partial answers alone; a partial
  answer never counts as an answer (no answer_in_citation, EM or F1).
* **latency_ms** p50, p95: time of one :meth:`assistant.Assistant.ask_traced`
  call (question embedding, retrieval, answer), linear-interpolated
  percentiles (numpy's default).

* **feedback.answered_otherwise**: of the unlabelled questions readers marked
  wrong (``article-qa feedback export``), the share whose answer's text now
  differs from the one marked wrong (whitespace aside). Unlabelled questions
  count in ``n_questions``, ``n_unlabelled``, the reasons and the latency, in no other metric.

A rate with no question to be taken over (e.g. abstention on unanswerable
questions in a set that has none) is ``None``.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

import numpy as np

from assistant.answer import ANSWER_LEAD
from assistant.evaluation.datasets import EvalQuestion
from assistant.types import Answer, AnswerTrace, RetrievedPassage
from ingest.normalize import normalize, strip_prefixes

#: Cut-offs of recall@k in reports.
RECALL_KS = (1, 3, 5)
#: Depth of the ranking MRR looks at (MRR@10).
MRR_DEPTH = 10
#: Normalised length from which a gold answer may match inside a word (see :func:`contains_answer`).
LOOSE_MATCH_CHARS = 6

# SQuAD's normaliser drops ASCII punctuation; MLQA's drops every Unicode
# punctuation character (category P*). Both are dropped here.
_ASCII_PUNCTUATION = frozenset(string.punctuation)
_EN_ARTICLES = re.compile(r"\b(a|an|the)\b")
_MARKER = re.compile(r"\s*\[\d+\]")
_LEADS = tuple(ANSWER_LEAD.values())


def normalize_answer(text: str) -> str:
    """Normalise an answer for comparison: SQuAD's rules made Arabic-aware.

    Steps: :func:`ingest.normalize` (NFC, diacritics and tatweel removed,
    alef forms unified, ى→ي, ة→ه, Arabic-Indic digits → ASCII, case folded);
    punctuation removed (ASCII, as SQuAD, and every Unicode P* character, as
    MLQA); the English articles a/an/the removed, and the word-initial
    prefixes of the light10 stemmer (:func:`ingest.normalize.strip_prefixes`:
    ال وال بال كال فال لل, then و; MLQA's script removes every "ال", inside
    words too, which cuts words like "سؤال"); whitespace collapsed.

    Example:
        >>> normalize_answer("«الأربعاء»، بنسبة ٢٩٫٨٪")
        'اربعاء بنسبه 298'
    """
    text = normalize(text)
    text = "".join(ch for ch in text if ch not in _ASCII_PUNCTUATION and not unicodedata.category(ch).startswith("P"))
    text = strip_prefixes(_EN_ARTICLES.sub(" ", text))
    return " ".join(text.split())


def exact_match(prediction: str, golds: Iterable[str]) -> float:
    """1.0 if ``prediction`` equals one of ``golds`` after :func:`normalize_answer`, else 0.0 (SQuAD EM)."""
    p = normalize_answer(prediction)
    return float(any(p == normalize_answer(g) for g in golds))


def _f1(prediction: str, gold: str) -> float:
    p, g = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(p) & Counter(g)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: Iterable[str]) -> float:
    """SQuAD token F1: harmonic mean of token precision and recall, best over ``golds``; 0.0 without golds."""
    return max((_f1(prediction, g) for g in golds), default=0.0)


def contains_answer(text: str, golds: Iterable[str]) -> bool:
    """True if a gold answer occurs in ``text`` as whole words, both after :func:`normalize_answer`.

    Whole words: ``"308"`` is not found in ``"1308"``. Arabic words may
    carry a proclitic: the article and the conjunction و are removed by the
    normalisation (``"الصين"`` is found in ``"والصين"``), and the gold may
    also follow one of the one-letter proclitics و ف ب ل ك
    (``"من غير المرجح"`` is found in ``"ومن غير المرجح"``). A gold answer of
    :data:`LOOSE_MATCH_CHARS` characters or more (normalised) is also found
    inside a longer word: XQuAD's Arabic contexts sometimes glue the answer to
    the word before it (``الخاصعالٍ جداً``), and a long answer is not found by
    accident.
    """
    haystack = normalize_answer(text)
    for gold in golds:
        needle = normalize_answer(gold)
        if not needle:
            continue
        if len(needle) >= LOOSE_MATCH_CHARS and needle in haystack:
            return True
        if re.search(rf"(?<!\S)[وفبلك]?{re.escape(needle)}(?!\S)", haystack):
            return True
    return False


def answer_text(answer: Answer) -> str:
    """The claim of an answer, as EM and F1 score it: its short answer when it has one, else :func:`sentence_text`."""
    if answer.short_answer is not None and not (answer.abstained or answer.partial):
        return answer.short_answer.text
    return sentence_text(answer)


def sentence_text(answer: Answer) -> str:
    """The sentences of an answer: an extractive answer's quotes, or a generated ``text`` without framing lead
    and ``[n]`` markers; ``""`` when abstained or partial."""
    if answer.abstained or answer.partial:
        return ""
    if answer.mode == "extractive" and answer.citations:
        return " ".join(c.quote for c in answer.citations)
    text = _MARKER.sub("", answer.text).strip()
    for lead in _LEADS:
        if text.startswith(lead):
            text = text[len(lead) :]
    return text.strip()


def is_hit(question: EvalQuestion, retrieved: RetrievedPassage) -> bool:
    """Whether a retrieved passage answers ``question``: inside its gold paragraph, or containing a gold answer.

    The paragraph rule applies when the question knows its paragraph (SQuAD
    sets); otherwise the passage must contain a gold answer
    (:func:`contains_answer`).
    """
    p = retrieved.passage
    if question.paragraph is not None:
        start, end = question.paragraph
        return p.article_id == question.article_id and start <= p.char_start and p.char_end <= end
    return contains_answer(p.text, question.answers)


def hit_rank(question: EvalQuestion, retrieved: Sequence[RetrievedPassage]) -> int | None:
    """1-based rank of the first hit (:func:`is_hit`) in ``retrieved``, or ``None``."""
    return next((rank for rank, r in enumerate(retrieved, start=1) if is_hit(question, r)), None)


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """How the assistant did on one question.

    Attributes:
        id, language, question, answerable: As in the test set.
        gold: The gold answers.
        answer: The reply's text (``Answer.text``).
        abstained: Whether it declined (``Answer.abstained``).
        partial: Whether it gave a partial answer (``Answer.partial``): not a full answer.
        reason: ``Answer.reason``: why it was not answered in full, or ``None``.
        hit_rank: 1-based rank of the first retrieved passage that is a hit, or ``None``.
        cited_passage_ids: Distinct passages cited, in marker order.
        cited_with_answer: How many of them contain a gold answer.
        answer_in_citation: A gold answer is in a quoted sentence.
        exact_match: SQuAD EM of :func:`answer_text` (0 or 1).
        f1: SQuAD token F1 of :func:`answer_text`, in [0, 1].
        short_answer: ``Answer.short_answer``'s text, or ``None``.
        short_in_citation: Whether the short answer's sentence contains a gold answer (``None`` without one).
        sentence_exact_match, sentence_f1: EM and F1 of :func:`sentence_text`.
        latency_ms: Wall time of the question, in ms.
        mode: ``Answer.mode``: ``"generative"`` when a chat model wrote the answer.
        fell_back: A chat model was asked but its answer could not be used (quoted instead).
    """

    id: str
    language: str
    question: str
    answerable: bool | None
    gold: tuple[str, ...]
    answer: str
    abstained: bool
    hit_rank: int | None
    cited_passage_ids: tuple[str, ...]
    cited_with_answer: int
    answer_in_citation: bool
    exact_match: float
    f1: float
    latency_ms: float
    mode: str = "extractive"
    fell_back: bool = False
    partial: bool = False
    reason: str | None = None
    short_answer: str | None = None
    short_in_citation: bool | None = None
    sentence_exact_match: float = 0.0
    sentence_f1: float = 0.0
    marked_wrong: str | None = None

    @property
    def answered(self) -> bool:
        """Whether the reply is a full answer (neither declined nor partial)."""
        return not (self.abstained or self.partial)


def score_question(question: EvalQuestion, trace: AnswerTrace, latency_ms: float) -> QuestionResult:
    """Score one answered question (see the module docstring for each metric)."""
    answer = trace.answer
    cited: dict[str, str] = {}
    for c in answer.citations if not answer.partial else ():
        cited.setdefault(c.passage_id, c.passage_text)
    claim, sentences = answer_text(answer), sentence_text(answer)
    short = answer.short_answer if claim else None
    short_quote = next((c.quote for c in answer.citations if short and c.n == short.citation), None)
    return QuestionResult(
        id=question.id,
        language=question.language,
        question=question.question,
        answerable=question.answerable,
        gold=question.answers,
        answer=answer.text,
        abstained=answer.abstained,
        hit_rank=hit_rank(question, trace.retrieved),
        cited_passage_ids=tuple(cited),
        cited_with_answer=sum(contains_answer(text, question.answers) for text in cited.values()),
        answer_in_citation=not answer.partial
        and any(contains_answer(c.quote, question.answers) for c in answer.citations),
        exact_match=exact_match(claim, question.answers) if claim else 0.0,
        f1=token_f1(claim, question.answers) if claim else 0.0,
        mode=answer.mode,
        fell_back=any(n.startswith("fell back to quoting") for n in answer.notes),
        latency_ms=latency_ms,
        partial=answer.partial,
        reason=answer.reason,
        short_answer=short.text if short else None,
        short_in_citation=None if short_quote is None else contains_answer(short_quote, question.answers),
        sentence_exact_match=exact_match(sentences, question.answers) if sentences else 0.0,
        sentence_f1=token_f1(sentences, question.answers) if sentences else 0.0,
        marked_wrong=question.marked_wrong,
    )


def _mean(values: Sequence[float]) -> float | None:
    return round(fmean(values), 4) if values else None


def recall_at(results: Sequence[QuestionResult], k: int) -> float | None:
    """Share of answerable ``results`` whose first hit is within the first ``k`` passages; ``None`` if none is answerable."""
    return _mean([float(r.hit_rank is not None and r.hit_rank <= k) for r in results if r.answerable is True])


def _summary(results: Sequence[QuestionResult]) -> dict[str, Any]:
    answerable = [r for r in results if r.answerable is True]
    unanswerable = [r for r in results if r.answerable is False]
    unlabelled = [r for r in results if r.answerable is None]
    marked = [r for r in unlabelled if r.marked_wrong is not None]
    cited = sum(len(r.cited_passage_ids) for r in answerable)
    latencies = [r.latency_ms for r in results]
    p50, p95 = (float(x) for x in np.percentile(latencies, [50, 95])) if latencies else (None, None)
    return {
        "n_questions": len(results),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "n_unlabelled": len(unlabelled),
        "feedback": {
            "marked_wrong": len(marked),
            "answered_otherwise": _mean(
                [float(" ".join(r.answer.split()) != " ".join((r.marked_wrong or "").split())) for r in marked]
            ),
        },
        "retrieval": {
            **{f"recall@{k}": recall_at(results, k) for k in RECALL_KS},
            "mrr": _mean(
                [1 / r.hit_rank if r.hit_rank is not None and r.hit_rank <= MRR_DEPTH else 0.0 for r in answerable]
            ),
        },
        "answer": {
            "answer_in_citation": _mean([float(r.answer_in_citation) for r in answerable]),
            "exact_match": _mean([r.exact_match for r in answerable]),
            "f1": _mean([r.f1 for r in answerable]),
            "sentence_exact_match": _mean([r.sentence_exact_match for r in answerable]),
            "sentence_f1": _mean([r.sentence_f1 for r in answerable]),
        },
        "short_answer": {
            "coverage": _mean([float(r.short_answer is not None) for r in answerable if r.answered]),
            "in_citation": _mean([float(bool(r.short_in_citation)) for r in answerable if r.short_answer is not None]),
        },
        "citations": {
            "precision": round(sum(r.cited_with_answer for r in answerable) / cited, 4) if cited else None,
        },
        "abstention": {
            "abstain_rate_unanswerable": _mean([float(not r.answered) for r in unanswerable]),
            "false_abstain_rate_answerable": _mean([float(not r.answered) for r in answerable]),
            "partial_rate_unanswerable": _mean([float(r.partial) for r in unanswerable]),
            "partial_rate_answerable": _mean([float(r.partial) for r in answerable]),
            "reasons": dict(sorted(Counter(r.reason or "answered" for r in results).items())),
        },
        "latency_ms": {
            "p50": None if p50 is None else round(p50, 1),
            "p95": None if p95 is None else round(p95, 1),
        },
    }


def summarize(results: Sequence[QuestionResult]) -> dict[str, Any]:
    """All metrics over ``results``, and the same per question language under ``by_language``.

    Returns:
        A nested dict: ``n_questions``, ``n_answerable``, ``n_unanswerable``, ``n_unlabelled``,
        ``feedback`` (``marked_wrong``, ``answered_otherwise``),
        ``retrieval`` (``recall@1``, ``recall@3``, ``recall@5``, ``mrr``),
        ``answer`` (``answer_in_citation``, ``exact_match``, ``f1``, ``sentence_exact_match``,
        ``sentence_f1``), ``short_answer`` (``coverage``, ``in_citation``),
        ``citations`` (``precision``), ``abstention``
        (``abstain_rate_unanswerable``, ``false_abstain_rate_answerable``,
        ``partial_rate_unanswerable``, ``partial_rate_answerable``, and
        ``reasons``: how many questions got each ``Answer.reason``, ``"answered"`` for full answers),
        ``latency_ms`` (``p50``, ``p95``) and ``by_language`` mapping each
        language code to a dict of the same keys. Rates are in [0, 1],
        rounded to 4 decimals; ``None`` where no question qualifies.
    """
    report = _summary(results)
    languages = sorted({r.language for r in results})
    report["by_language"] = {lang: _summary([r for r in results if r.language == lang]) for lang in languages}
    return report
