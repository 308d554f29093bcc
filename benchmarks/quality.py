"""Retrieval and answer quality of the default assistant on XQuAD dev and the sample-article gold set.

Ingests each corpus once into a store under ``--store`` (reused by later runs),
then asks every question and prints recall@1/@5, MRR@10, answer_in_citation,
abstention and latency per test set, the figures of issue 5's targets; for
XQuAD also on the report split alone (the odd-numbered articles, which the
answer decision was not fitted on). The
same numbers come from ``article-qa eval``; this script exists to compare
settings quickly in one process::

    python benchmarks/quality.py [--xquad ../shared/data/xquad] [--store /tmp/aq-bench] [--set KEY=VALUE ...]

``--set`` overrides a module constant for the run, e.g. ``--set assistant.retrieval.FUSION_WEIGHTS=1,1,0``.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from assistant import Assistant
from assistant.evaluation import evaluate, load_eval_set, summarize
from ingest import E5Embeddings, sample_article_path

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "benchmarks" / "data" / "sample_article_gold.jsonl"


def _override(spec: str) -> None:
    target, value = spec.split("=", 1)
    module_name, name = target.rsplit(".", 1)
    module = importlib.import_module(module_name)
    old = getattr(module, name)
    new = tuple(type(old[0])(v) for v in value.split(",")) if isinstance(old, tuple) else type(old)(value)
    setattr(module, name, new)
    print(f"{target} = {new!r} (was {old!r})")


def _line(name: str, block: dict) -> str:
    r, a, ab, lat = block["retrieval"], block["answer"], block["abstention"], block["latency_ms"]
    fmt = lambda v: "   —" if v is None else f"{v:.3f}"  # noqa: E731
    return (
        f"{name:<18} n={block['n_questions']:<4} R@1 {fmt(r['recall@1'])} R@5 {fmt(r['recall@5'])} "
        f"MRR {fmt(r['mrr'])} in-cit {fmt(a['answer_in_citation'])} cit-prec {fmt(block['citations']['precision'])} "
        f"false-abst {fmt(ab['false_abstain_rate_answerable'])} abst-unans {fmt(ab['abstain_rate_unanswerable'])} "
        f"p50 {lat['p50']:.1f} p95 {lat['p95']:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    parser.add_argument("--store", type=Path, default=Path("/tmp/aq-bench"))
    parser.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE")
    parser.add_argument("--skip-xquad", action="store_true")
    args = parser.parse_args()
    for spec in args.set:
        _override(spec)
    e5 = E5Embeddings()

    gold_qa = Assistant.build(e5, args.store / "gold")
    gold_qa.ingest(sample_article_path())
    report = summarize(evaluate(gold_qa, load_eval_set(GOLD).questions))
    for lang, block in report["by_language"].items():
        print(_line(f"gold {lang}", block))

    if args.skip_xquad:
        return
    ar = load_eval_set(args.xquad / "xquad-dev.ar.json")
    en = load_eval_set(args.xquad / "xquad-dev.ar.json", questions=args.xquad / "xquad-dev.en.json")
    qa = Assistant.build(e5, args.store / "xquad")
    for article in ar.articles:
        qa.ingest_article(article)
    # The answer decision and quote choice are fitted on the even-numbered articles
    # (benchmarks/calibrate_abstention.py): the odd-numbered ones are the split reported.
    odd = {a.article_id for a in ar.articles[1::2]}
    for name, s in (("xquad ar->ar", ar), ("xquad en->ar", en)):
        results = evaluate(qa, s.questions)
        print(_line(name, summarize(results)))
        print(_line(f"{name} report", summarize([r for r, q in zip(results, s.questions) if q.article_id in odd])))


if __name__ == "__main__":
    main()
