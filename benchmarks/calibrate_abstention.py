"""Fit the abstention model: when does the retrieved evidence mean that the article answers?

Data (every question asked through the default hybrid retrieval):

* XQuAD dev (Arabic questions and their English translations): the 24
  articles are split in two halves, each ingested into its own store; every
  question is asked against the half holding its article (answerable) and
  against the other half (unanswerable: a question from another article);
* the sample article's gold set (benchmarks/data/sample_article_gold.jsonl)
  and tuning set (benchmarks/data/sample_questions.jsonl): answerable and
  unanswerable questions, many of the latter near the article's topic; they
  weigh ``--sample-weight`` times an XQuAD question.

A logistic regression (scikit-learn, balanced classes) on
:data:`assistant.abstention.FEATURES` gives the probability that a question is
answerable. The script prints the coefficients to put in
``assistant/abstention.py`` (``ABSTENTION_MODEL``), and, for a range of
thresholds, the abstention rates on each group, including the held-out set
benchmarks/data/sample_questions_heldout.jsonl, not used for fitting::

    python benchmarks/calibrate_abstention.py [--xquad ../shared/data/xquad] [--store /tmp/aq-calib]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant import Assistant
from assistant.abstention import FEATURES, answerability_features
from assistant.evaluation import load_eval_set
from ingest import E5Embeddings, detect_language, for_embedding, sample_article_path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"


def features(qa: Assistant, question: str) -> np.ndarray:
    r = qa.retriever.retrieve(for_embedding(question))
    cross = bool(r.passages) and detect_language(question) != detect_language(r.passages[0].passage.text)
    return answerability_features(r, cross)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    parser.add_argument("--store", type=Path, default=Path("/tmp/aq-calib"))
    parser.add_argument("--sample-weight", type=float, default=5.0)
    args = parser.parse_args()
    e5 = E5Embeddings()

    ar = load_eval_set(args.xquad / "xquad-dev.ar.json")
    en = load_eval_set(args.xquad / "xquad-dev.ar.json", questions=args.xquad / "xquad-dev.en.json")
    halves = [Assistant.build(e5, args.store / f"half{h}") for h in (0, 1)]
    half_of = {a.article_id: i % 2 for i, a in enumerate(ar.articles)}
    for i, article in enumerate(ar.articles):
        halves[i % 2].ingest_article(article)

    rows: list[tuple[str, np.ndarray, int, float]] = []  # group, features, answerable, weight
    for lang, s in (("ar", ar), ("en", en)):
        for q in s.questions:
            for h, qa in enumerate(halves):
                answerable = int(half_of[q.article_id] == h)
                rows.append((f"xquad-{lang}", features(qa, q.question), answerable, 1.0))
    sample = Assistant.build(e5, args.store / "sample")
    sample.ingest(sample_article_path())
    for name in ("sample_article_gold.jsonl", "sample_questions.jsonl"):
        for q in load_eval_set(DATA / name).questions:
            rows.append((f"sample-{q.language}", features(sample, q.question), int(q.answerable), args.sample_weight))
    heldout = [
        (f"heldout-{q.language}", features(sample, q.question), int(q.answerable))
        for q in load_eval_set(DATA / "sample_questions_heldout.jsonl").questions
    ]

    X = np.array([r[1] for r in rows])
    y = np.array([r[2] for r in rows])
    w = np.array([r[3] for r in rows])
    np.savez(args.store / "features.npz", X=X, y=y, w=w, groups=np.array([r[0] for r in rows]),
             HX=np.array([h[1] for h in heldout]), Hy=np.array([h[2] for h in heldout]),
             Hg=np.array([h[0] for h in heldout]))  # fmt: skip
    mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-9
    model = LogisticRegression(class_weight="balanced", C=1.0, max_iter=1000)
    model.fit((X - mean) / scale, y, sample_weight=w)
    coef = model.coef_[0] / scale
    intercept = float(model.intercept_[0] - (model.coef_[0] * mean / scale).sum())
    print("ABSTENTION_MODEL = (")
    print(f"    {dict(zip(FEATURES, (round(float(c), 4) for c in coef)))!r},")
    print(f"    {round(intercept, 4)!r},")
    print(")")

    def probability(x: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(x @ coef + intercept)))

    groups = sorted({r[0] for r in rows} | {h[0] for h in heldout})
    every = [(g, x, a) for g, x, a, _ in rows] + heldout
    print("\nthreshold  " + "  ".join(f"{g:>22}" for g in groups))
    print("           " + "  ".join(f"{'false-abst / abst-unans':>22}" for _ in groups))
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
        cells = []
        for g in groups:
            members = [(x, a) for gg, x, a in every if gg == g]
            p = probability(np.array([x for x, _ in members]))
            answerable = np.array([a for _, a in members]) == 1
            fa = float(np.mean(p[answerable] < threshold)) if answerable.any() else float("nan")
            au = float(np.mean(p[~answerable] < threshold)) if (~answerable).any() else float("nan")
            cells.append(f"{fa:10.3f} / {au:9.3f}")
        print(f"{threshold:9.2f}  " + "  ".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
