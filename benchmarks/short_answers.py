"""Short answers (assistant/span.py): fit the span weights, and measure EM, F1, coverage and the span's sentence.

Asks every question through the default assistant and keeps each answer's quotes (cached with
``--rows``), then chooses a span in them as the product does:

* XQuAD dev (Arabic questions, and the English ones over the same Arabic paragraphs), in one
  store of its 24 articles, unscoped as ``article-qa eval`` asks them; even-numbered articles
  are the fit split, odd-numbered ones the report split;
* the sample article's sets in a store of the sample alone: ``sample_questions.jsonl`` (fit),
  ``sample_article_gold.jsonl`` and ``sample_questions_heldout.jsonl`` (report);
* ``short_answers_report.jsonl`` (report, written by a helper session and never tuned on), asked
  scoped to its article in a store of the sample and ``articles/report_*.md``.

EM and F1 are SQuAD v1.1's (``assistant.evaluation.metrics``), averaged over answerable questions,
0 for a question not answered, on the short answer when there is one and on the quoted
sentences otherwise, as ``article-qa eval`` scores them::

    python benchmarks/short_answers.py --fit     # fit on the fit split, write assistant/data/span_model.json
    python benchmarks/short_answers.py           # the figures, both splits, and the threshold table
"""

from __future__ import annotations

import argparse
import json
import pickle
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from assistant import Assistant
from assistant.evaluation import load_eval_set
from assistant.evaluation.metrics import contains_answer, exact_match, token_f1
from assistant.evidence import asked_type, default_lexicon, question_terms
from assistant.span import (
    KIND_GROUPS,
    SPAN_FEATURES,
    SPAN_MODEL_FILE,
    SpanChooser,
    candidate_bounds,
    question_kind,
    sentence_words,
    span_features,
)
from assistant.types import Citation
from ingest import E5Embeddings, sample_article_path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"


@dataclass
class Asked:
    set: str
    split: str
    id: str
    language: str
    question: str
    golds: list[str]
    answered: bool
    citations: list[Citation]


def _ask(qa: Assistant, set_name: str, split: str, q, article_ids: list[str] | None = None) -> Asked:
    a = qa.ask(q.question, article_ids=article_ids)
    answered = not (a.abstained or a.partial)
    return Asked(
        set_name, split, q.id, q.language, q.question, list(q.answers), answered, a.citations if answered else []
    )


def collect(xquad: Path, store: Path) -> list[Asked]:
    e5 = E5Embeddings()
    rows: list[Asked] = []
    ar = load_eval_set(xquad / "xquad-dev.ar.json")
    en = load_eval_set(xquad / "xquad-dev.ar.json", questions=xquad / "xquad-dev.en.json")
    qa = Assistant.build(e5, store / "xquad")
    if not qa.store.article_ids():
        for article in ar.articles:
            qa.ingest_article(article)
    order = {a.article_id: k for k, a in enumerate(ar.articles)}
    for name, s in (("xquad-ar", ar), ("xquad-en", en)):
        for q in s.questions:
            rows.append(_ask(qa, name, "fit" if order[q.article_id] % 2 == 0 else "report", q))
    sample = Assistant.build(e5, store / "sample")
    if not sample.store.article_ids():
        sample.ingest(sample_article_path())
    for name, split in (
        ("sample_questions", "fit"),
        ("sample_article_gold", "report"),
        ("sample_questions_heldout", "report"),
    ):
        for q in load_eval_set(DATA / f"{name}.jsonl").questions:
            if q.answerable:
                rows.append(_ask(sample, name, split, q))
    held = Assistant.build(e5, store / "held-out")
    names = {"sample": held.ingest(sample_article_path())[0].article_id}
    for md in sorted((DATA / "articles").glob("report_*.md")):
        names[md.stem] = held.ingest(md)[0].article_id
    records = [json.loads(line) for line in (DATA / "short_answers_report.jsonl").read_text("utf-8").splitlines()]
    by_id = {r["id"]: r for r in records}
    for q in load_eval_set(DATA / "short_answers_report.jsonl").questions:
        rows.append(_ask(held, "short_answers_report", "report", q, [names[by_id[q.id]["article"]]]))
    return rows


def _features(row: Asked) -> tuple[np.ndarray, list[str]] | None:
    """Features and texts of every candidate span of the row's quotes (as the product builds them)."""
    terms, asked, kind = question_terms(row.question), asked_type(row.question), question_kind(row.question)
    blocks, texts = [], []
    for rank, c in enumerate(row.citations):
        words = sentence_words(c.quote, terms, asked, default_lexicon())
        if not len(words.stop):
            continue
        i, j = candidate_bounds(len(words.stop))
        blocks.append(span_features(words, i, j, kind, rank))
        texts += [c.quote[words.bounds[a, 0] : words.bounds[b, 1]] for a, b in zip(i, j, strict=True)]
    return (np.vstack(blocks), texts) if blocks else None


def fit(rows: list[Asked], l2: float) -> dict[str, list[float]]:
    """Softmax (listwise) regression per group of question kinds: the candidates with the best F1 against the
    gold answers are the target distribution; L2 penalty ``l2``; features standardised while fitting."""
    groups: dict[str, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    for row in rows:
        if row.split != "fit" or not row.citations:
            continue
        built = _features(row)
        if built is None:
            continue
        x, texts = built
        f1 = np.array([token_f1(t, row.golds) for t in texts])
        if f1.max() <= 0:
            continue
        target = (f1 >= f1.max() - 1e-9).astype(np.float64)
        groups[KIND_GROUPS[question_kind(row.question)]].append((x.astype(np.float64), target / target.sum()))
    weights = {}
    for group, items in sorted(groups.items()):
        stacked = np.vstack([x for x, _ in items])
        mean, scale = stacked.mean(0), stacked.std(0) + 1e-6
        xs = [((x - mean) / scale, t) for x, t in items]
        d = stacked.shape[1]

        def loss(w: np.ndarray, xs: list = xs) -> tuple[float, np.ndarray]:
            total, grad = 0.0, np.zeros(d)
            for x, t in xs:
                s = x @ w
                p = np.exp(s - s.max())
                p /= p.sum()
                total -= float(t @ np.log(p + 1e-12))
                grad += x.T @ (p - t)
            return total / len(xs) + l2 * w @ w / len(xs), grad / len(xs) + 2 * l2 * w / len(xs)

        w = minimize(loss, np.zeros(d), jac=True, method="L-BFGS-B", options={"maxiter": 500}).x / scale
        weights[group] = [round(float(v), 5) for v in w]
        print(f"{group}: {len(items)} questions")
    return weights


def scores(rows: list[Asked], chooser: SpanChooser) -> dict[tuple[str, str, str], dict[str, float]]:
    """Per (set, split, language): EM/F1 of the short answer (else the sentences), of the sentences alone,
    coverage of answered questions and the share of short answers whose sentence holds a gold answer."""
    out: dict[tuple[str, str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        o = out[(row.set, row.split, row.language)]
        sentence = " ".join(c.quote for c in row.citations)
        short = chooser.choose(row.question, row.citations) if row.answered else None
        claim = short.text if short is not None else sentence
        o["em"].append(exact_match(claim, row.golds) if row.answered else 0.0)
        o["f1"].append(token_f1(claim, row.golds) if row.answered else 0.0)
        o["sentence_f1"].append(token_f1(sentence, row.golds) if row.answered else 0.0)
        if row.answered:
            o["coverage"].append(float(short is not None))
        if short is not None:
            quote = next(c.quote for c in row.citations if c.n == short.citation)
            o["span_in_sentence"].append(float(contains_answer(quote, row.golds)))
    return {k: {m: round(float(np.mean(v)), 3) for m, v in d.items()} | {"n": len(d["f1"])} for k, d in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    parser.add_argument("--store", type=Path, default=Path("/tmp/aq-short"))
    parser.add_argument("--rows", type=Path, help="cache of the asked questions (pickle): read if it exists")
    parser.add_argument("--fit", action="store_true", help=f"fit and write assistant/data/{SPAN_MODEL_FILE}")
    parser.add_argument("--l2", type=float, default=1.0)
    args = parser.parse_args()
    if args.rows and args.rows.is_file():
        rows = pickle.loads(args.rows.read_bytes())
    else:
        rows = collect(args.xquad, args.store)
        if args.rows:
            args.rows.write_bytes(pickle.dumps(rows))
    if args.fit:
        weights = fit(rows, args.l2)
        path = ROOT / "assistant" / "data" / SPAN_MODEL_FILE
        model = {"format": 1, "features": list(SPAN_FEATURES), "l2": args.l2, "groups": weights}
        path.write_text(json.dumps(model, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        print(f"wrote {path}")
        from assistant.span import span_model

        span_model.cache_clear()
    print(f"{'set':<26}{'split':<8}{'lang':<5}{'n':>4}  {'EM':>6}{'F1':>7}{'sent F1':>9}{'cover':>7}{'in-sent':>9}")
    for (s, split, lang), m in sorted(scores(rows, SpanChooser()).items()):
        print(
            f"{s:<26}{split:<8}{lang:<5}{m['n']:>4}  {m['em']:>6.3f}{m['f1']:>7.3f}{m['sentence_f1']:>9.3f}"
            f"{m.get('coverage', 0):>7.3f}{m.get('span_in_sentence', 0):>9.3f}"
        )
    print("\nthreshold on the span's probability (XQuAD report split, both languages):")
    report = [r for r in rows if r.set.startswith("xquad") and r.split == "report"]
    for threshold in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3):
        m = scores(report, SpanChooser(min_probability=threshold))
        f1 = np.mean([v["f1"] for v in m.values()])
        cover = np.mean([v.get("coverage", 0) for v in m.values()])
        inside = np.mean([v.get("span_in_sentence", 0) for v in m.values()])
        print(f"  ≥ {threshold:.2f}: F1 {f1:.3f}  coverage {cover:.3f}  span in the gold sentence {inside:.3f}")


if __name__ == "__main__":
    main()
