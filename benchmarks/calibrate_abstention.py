"""Fit and report the answer/abstain decision: does a candidate sentence state what the question asks?

One store holds every article the test sets ask about: the sample article,
the 24 Arabic XQuAD dev articles and the English articles of
``benchmarks/data/articles/``. Every question is asked **scoped to its
article** (as a user who has that article open), through the default
pipeline (``top_k`` 3: the sentences of the best 3 passages are the candidates).

Splits (nothing of the report split is used to fit or to choose a threshold):

* **fit**: XQuAD dev articles 0, 2, 4, … (Arabic questions and their English
  translations; answerable, and unanswerable when asked of the next fit
  article: a question from another article); ``answerability_fit.jsonl``;
  ``sample_questions.jsonl``;
* **report**: XQuAD dev articles 1, 3, 5, … (the same two ways);
  ``answerability_report.jsonl``; the gold set ``sample_article_gold.jsonl``;
  ``sample_questions_heldout.jsonl``.

``--fit`` fits the logistic regression of :mod:`assistant.abstention` on
the fit split's candidates (a sentence holding a gold answer is a positive;
every other candidate a negative) and prints the weights to put in
``ABSTENTION_MODEL``, and the fit split's rates at each threshold.
Without ``--fit`` it reports, per split, group and language, with the
weights in the code: full answers, partial answers and declines on
unanswerable questions; false declines (declined or partial) on answerable
ones; answer_in_citation of full answers::

    python benchmarks/calibrate_abstention.py --fit      # choose weights and threshold on the fit split
    python benchmarks/calibrate_abstention.py            # the figures, both splits
"""

from __future__ import annotations

import argparse
import json
import pickle
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant import Assistant
from assistant.abstention import ABSTENTION_MODEL, FEATURES, RANKING_MODEL, AbstentionModel, answer_probability
from assistant.answer import QUOTE_MARGIN
from assistant.evaluation import load_eval_set
from assistant.evaluation.metrics import contains_answer
from assistant.followup import found
from ingest import E5Embeddings, detect_language, sample_article_path
from ingest.types import Article

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"


@dataclass
class Asked:
    """One question as asked: its group, split and language, whether it is answerable, and its candidates."""

    id: str
    group: str
    split: str
    language: str
    answerable: bool
    features: np.ndarray  # (n, len(FEATURES))
    labels: np.ndarray  # (n,) 1 where the candidate holds a gold answer
    topic: float
    coverage: np.ndarray  # (n,) sentence coverage
    passages: list[str]  # (n,) passage id of each candidate
    passage_labels: np.ndarray  # (n,) 1 where the candidate's passage holds a gold answer


def build_store(path: Path, xquad: Path) -> tuple[Assistant, dict[str, str], list[Article]]:
    """The store of every article the sets ask about; ids by the names the sets use; XQuAD's articles."""
    qa = Assistant.build(E5Embeddings(), path)
    names: dict[str, str] = {}
    articles = load_eval_set(xquad / "xquad-dev.ar.json").articles
    stored = set(qa.store.article_ids())
    for a in articles:
        if a.article_id not in stored:
            qa.ingest_article(a)
        names[a.article_id] = a.article_id
        if a.title:  # the sets name XQuAD articles by their title as in the file: "Sky_(United_Kingdom)"
            names[a.title] = names[a.title.replace(" ", "_")] = a.article_id
    for report in qa.ingest(sample_article_path()):
        names["sample"] = report.article_id
    for md in sorted((DATA / "articles").glob("*.md")):
        for report in qa.ingest(md):
            names[md.stem] = report.article_id
    return qa, names, articles


def ask(qa: Assistant, question: str, article_id: str, answers: Iterable[str]) -> tuple:
    """The features, labels, topic, coverage and passage ids of the candidates for one question, scoped to an article."""
    language = detect_language(question)
    f = found(question, language, [article_id], qa.retriever, qa.abstention, qa.top_k)  # type: ignore[arg-type]
    a = f.assessment
    golds = list(answers)
    labels = np.array([float(bool(golds) and contains_answer(s.text, golds)) for s in a.sentences])
    passage_labels = np.array([float(bool(golds) and contains_answer(s.hit.passage.text, golds)) for s in a.sentences])
    cov = a.features[:, FEATURES.index("coverage")] if len(a.sentences) else np.zeros(0)
    return a.features, labels, a.topic, cov, [s.hit.passage.passage_id for s in a.sentences], passage_labels


def collect(qa: Assistant, names: dict[str, str], articles: list[Article], xquad: Path) -> list[Asked]:
    rows: list[Asked] = []

    def add(
        qid: str,
        group: str,
        split: str,
        lang: str,
        answerable: bool,
        question: str,
        article: str,
        answers: Iterable[str],
    ) -> None:
        rows.append(Asked(qid, group, split, lang, answerable, *ask(qa, question, article, answers)))

    ar = load_eval_set(xquad / "xquad-dev.ar.json")
    en = load_eval_set(xquad / "xquad-dev.ar.json", questions=xquad / "xquad-dev.en.json")
    index = {a.article_id: i for i, a in enumerate(articles)}
    for lang, s in (("ar", ar), ("en", en)):
        for q in s.questions:
            i = index[q.article_id or ""]
            split = "fit" if i % 2 == 0 else "report"
            other = articles[(i + 2) % len(articles)].article_id  # the next article of the same split
            add(q.id, "xquad", split, lang, True, q.question, q.article_id or "", q.answers)
            add(q.id + "-other", "xquad-other", split, lang, False, q.question, other, [])
    for name, split in (
        ("answerability_fit.jsonl", "fit"),
        ("answerability_report.jsonl", "report"),
    ):
        path = DATA / name
        if not path.exists():
            print(f"(no {path.name}: skipped)")
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                group = f"{name.split('_')[1].split('.')[0]}-{'ans' if r['answerable'] else 'unans'}"
                add(r["id"], group, split, r["lang"], r["answerable"], r["question"], names[r["article"]], r["answers"])
    for name, split in (
        ("sample_questions.jsonl", "fit"),
        ("sample_article_gold.jsonl", "report"),
        ("sample_questions_heldout.jsonl", "report"),
    ):
        for q in load_eval_set(DATA / name).questions:
            add(q.id, name.split(".")[0], split, q.language, q.answerable, q.question, names["sample"], q.answers)
    return rows


Models = tuple[tuple[dict[str, float], float], dict[str, float]]


def decide(row: Asked, models: Models, threshold: float, margin: float) -> tuple[str, bool]:
    """``("answer" | "partial" | "decline", a quote holds a gold answer)`` for one question."""
    from assistant.abstention import PARTIAL_COVERAGE, TOPIC_COVERAGE

    if not len(row.features):
        return "decline", False
    decision, ranking = models
    p = np.array([answer_probability(f, decision) for f in row.features])
    if p.max() >= threshold:
        chosen = quoted(row, ranking, margin)
        if not (row.features[chosen, FEATURES.index("type_fit")] >= 0).any():
            return "partial", False  # no quote holds the asked type (AbstentionModel.states_asked_type)
        return "answer", bool(row.labels[chosen].any())
    if row.topic >= TOPIC_COVERAGE and row.coverage.max() >= PARTIAL_COVERAGE:
        return "partial", False
    return "decline", False


def quoted(row: Asked, ranking: dict[str, float], margin: float, most: int = 2) -> list[int]:
    """The candidates quoted: the best by ``ranking``, and the next if within ``margin`` of it."""
    score = row.features @ np.array([ranking[name] for name in FEATURES])
    order = np.argsort(-score, kind="stable")
    return [int(order[0])] + [int(i) for i in order[1:most] if score[i] >= score[order[0]] - margin]


def rates(rows: list[Asked], models: Models, threshold: float, margin: float) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    groups: dict[str, list[Asked]] = defaultdict(list)
    for r in rows:
        kind = (
            ""
            if r.group.endswith(("-ans", "-unans")) or r.group.startswith("xquad")
            else ("-ans" if r.answerable else "-unans")
        )
        groups[f"{r.split}/{r.group}{kind}/{r.language}"].append(r)
        groups[f"{r.split}/{'answerable' if r.answerable else 'unanswerable'}/{r.language}"].append(r)
    for key, rs in sorted(groups.items()):
        decisions = [decide(r, models, threshold, margin) for r in rs]
        n = len(rs)
        answered = [ok for d, ok in decisions if d == "answer"]
        out[key] = {
            "n": n,
            "answer": sum(d == "answer" for d, _ in decisions) / n,
            "partial": sum(d == "partial" for d, _ in decisions) / n,
            "decline": sum(d == "decline" for d, _ in decisions) / n,
            "in_citation": (sum(answered) / n) if rs[0].answerable else float("nan"),
        }
    return out


def show(table: dict[str, dict[str, float]]) -> None:
    print(f"{'split/group/lang':44} {'n':>5} {'answer':>7} {'partial':>7} {'decline':>7} {'in-cit':>7}")
    for key, v in table.items():
        print(
            f"{key:44} {v['n']:5d} {v['answer']:7.3f} {v['partial']:7.3f} {v['decline']:7.3f} {v['in_citation']:7.3f}"
        )


def fit(rows: list[Asked]) -> tuple[dict[str, float], float]:
    """Sentence-level logistic regression (scikit-learn) on the fit split: each question weighs 1 in all,
    its positives and its negatives half each (unanswerable ones: all negative)."""
    from sklearn.linear_model import LogisticRegression

    X, y, w = [], [], []
    for r in rows:
        if r.split != "fit" or not len(r.features):
            continue
        if r.answerable and not r.labels.any():
            continue  # no candidate holds the answer: retrieval's miss, nothing to learn here
        pos, neg = r.labels == 1, r.labels == 0
        for mask, weight in ((pos, 0.5), (neg, 0.5 if r.answerable else 1.0)):
            if mask.any():
                X.append(r.features[mask])
                y.append(r.labels[mask])
                w.append(np.full(mask.sum(), weight / mask.sum()))
    model = LogisticRegression(C=1.0, max_iter=5000, class_weight="balanced")
    model.fit(np.vstack(X), np.concatenate(y), sample_weight=np.concatenate(w) * len(w))
    return {name: round(float(c), 4) for name, c in zip(FEATURES, model.coef_[0])}, round(float(model.intercept_[0]), 4)


def fit_ranking(rows: list[Asked]) -> dict[str, float]:
    """Pairwise logistic regression (RankNet-style) on the fit split's answerable questions: for each
    sentence holding a gold answer and each candidate that does not, their feature difference."""
    from sklearn.linear_model import LogisticRegression

    X, labels, w = [], [], []
    for r in rows:
        if r.split != "fit" or not r.answerable or not r.labels.any() or r.labels.all():
            continue
        pos, neg = r.features[r.labels == 1], r.features[r.labels == 0]
        d = (pos[:, None, :] - neg[None, :, :]).reshape(-1, len(FEATURES))
        for sign in (1, -1):  # both orders, so that the model needs no intercept
            X.append(sign * d)
            labels.append(np.full(len(d), float(sign > 0)))
            w.append(np.full(len(d), 1 / len(d)))
    y = np.concatenate(labels)
    model = LogisticRegression(C=1.0, max_iter=5000, fit_intercept=False)
    model.fit(np.vstack(X), y, sample_weight=np.concatenate(w) * len(w))
    return {name: round(float(c), 4) for name, c in zip(FEATURES, model.coef_[0])}


def quote_choice(rows: list[Asked], ranking: dict[str, float]) -> None:
    """answer_in_citation, quotes per answer, quote precision (share of quotes holding a gold answer) and
    passage precision (share of distinct cited passages holding one) of answerable questions, for several
    ``QUOTE_MARGIN`` values."""
    print("quote_margin  in-cit  quotes  precision  passage-precision  (answerable questions of these rows)")
    for margin in (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 100.0):
        hits = quotes = good = n = cited = cited_good = 0
        for r in rows:
            if not r.answerable or not len(r.features):
                continue
            chosen = quoted(r, ranking, margin)
            n += 1
            hits += bool(r.labels[chosen].any())
            quotes += len(chosen)
            good += int(r.labels[chosen].sum())
            distinct = {r.passages[i]: r.passage_labels[i] for i in chosen}
            cited += len(distinct)
            cited_good += int(sum(distinct.values()))
        print(f"{margin:12.2f}  {hits / n:.3f}  {quotes / n:6.2f}  {good / quotes:9.3f}  {cited_good / cited:17.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    parser.add_argument("--store", type=Path, default=Path("/tmp/aq-answerability"))
    parser.add_argument("--fit", action="store_true", help="fit the weights on the fit split and print them")
    parser.add_argument("--rows", type=Path, help="keep the candidates' features in this file and reuse them")
    parser.add_argument("--threshold", type=float, default=AbstentionModel().min_confidence)
    parser.add_argument("--margin", type=float, default=QUOTE_MARGIN, help="QUOTE_MARGIN of the quotes")
    args = parser.parse_args()
    parser_rows = args.rows
    if parser_rows is not None and parser_rows.exists():
        rows = pickle.loads(parser_rows.read_bytes())
    else:
        qa, names, articles = build_store(args.store, args.xquad)
        rows = collect(qa, names, articles, args.xquad)
        if parser_rows is not None:
            parser_rows.write_bytes(pickle.dumps(rows))
    if args.fit:
        model, ranking = fit(rows), fit_ranking(rows)
        print("ABSTENTION_MODEL = (")
        print("    {" + ", ".join(f'"{k}": {v}' for k, v in model[0].items()) + "},")
        print(f"    {model[1]},\n)")
        print("RANKING_MODEL = {" + ", ".join(f'"{k}": {v}' for k, v in ranking.items()) + "}")
        fit_rows = [r for r in rows if r.split == "fit"]
        quote_choice(fit_rows, ranking)
        for t in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            table = rates(fit_rows, (model, ranking), t, args.margin)
            print(f"\n-- fit split, threshold {t}")
            show({k: v for k, v in table.items() if k.count("/") == 2 and ("answerable" in k or "xquad" in k)})
        return
    show(rates(rows, (ABSTENTION_MODEL, RANKING_MODEL), args.threshold, args.margin))


if __name__ == "__main__":
    main()
