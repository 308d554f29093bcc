"""The abstention model: how likely the stored articles are to answer a question, from the retrieval evidence.

Features (:func:`answerability_features`) describe the score distributions of
a :class:`assistant.retrieval.Retrieval`: the best dense passage and sentence
similarities, how far they stand out from the median of the best 12, the best
BM25 score per query token, the share of query tokens in the best passage,
whether dense and lexical rankings agree, and whether the question is in
another language than the best passage. A logistic regression over them
(:data:`ABSTENTION_MODEL`, fitted by ``benchmarks/calibrate_abstention.py``)
gives the probability that the articles answer; under ``min_confidence`` the
assistant abstains, before any call to a chat model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from assistant.retrieval import Retrieval
from ingest.language import Language, detect_language

log = logging.getLogger(__name__)

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

#: Logistic-regression weights of each feature of :func:`answerability_features`
#: and the intercept, fitted by benchmarks/calibrate_abstention.py for
#: multilingual-e5-small on XQuAD dev questions asked against their own
#: articles (answerable) and against other articles (unanswerable), with the
#: sample article's gold and tuning sets weighted 5 times.
ABSTENTION_MODEL: tuple[dict[str, float], float] = (
    {
        "dense_top": 32.7854,
        "dense_margin": 49.6531,
        "sentence_top": 41.8565,
        "sentence_margin": 34.5968,
        "lexical_top": 5.2858,
        "coverage": 1.2454,
        "agree": 0.3039,
        "cross_lingual": 7.5243,
    },
    -67.7632,
)

#: Default lowest probability of "the article answers" to answer at all:
#: chosen from the calibration table (benchmarks/calibrate_abstention.py) as
#: the one that abstains on few answerable XQuAD questions (4% Arabic, 9%
#: English) while abstaining on 95% / 87% of questions from other articles
#: and on the sample article's Arabic unanswerable questions (93%).
MIN_CONFIDENCE = 0.3


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


def answer_probability(features: np.ndarray, model: tuple[dict[str, float], float] = ABSTENTION_MODEL) -> float:
    """Probability, by the logistic regression ``model``, that the articles answer a question with these features.

    Args:
        features: ``(len(FEATURES),)`` from :func:`answerability_features`.
        model: Weights by feature name, and the intercept (default :data:`ABSTENTION_MODEL`).
    """
    weights, intercept = model
    z = float(np.dot(features, [weights[name] for name in FEATURES])) + intercept
    return float(1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))))


@dataclass(frozen=True)
class AbstentionModel:
    """Decides whether to answer from a retrieval: a calibrated probability against a minimum.

    Attributes:
        min_confidence: Lowest probability to answer at all, in [0, 1].
        model: Logistic-regression weights and intercept (default :data:`ABSTENTION_MODEL`).
    """

    min_confidence: float = MIN_CONFIDENCE
    model: tuple[dict[str, float], float] = ABSTENTION_MODEL

    def confidence(self, r: Retrieval, language: Language) -> float:
        """Probability that ``r`` answers a question in ``language``; 0 when nothing was found or the
        question has no content word ("the of and", "كم؟")."""
        if not r.passages or not r.query_tokens:
            return 0.0
        cross_lingual = language != detect_language(r.passages[0].passage.text)
        p = answer_probability(answerability_features(r, cross_lingual), self.model)
        log.info("confidence %.3f (minimum %.3f); dense scores %s", p, self.min_confidence,
                 " ".join(f"{x:.3f}" for x in r.dense_scores[:5]))  # fmt: skip
        return p

    def answers(self, confidence: float) -> bool:
        """Whether a retrieval of this confidence is answered (``confidence >= min_confidence``)."""
        return confidence >= self.min_confidence
