"""Store invariance: does the answer decision on a question about the sample article change with what else is stored?

The gold set (benchmarks/data/sample_article_gold.jsonl) is asked (a) of a
store holding the sample article alone and (b) of a store holding the sample,
the 24 Arabic XQuAD dev articles and the English articles of
benchmarks/data/articles/, once scoped to the sample (``article_ids``) and
once unscoped. The decision is one of answer, partial, decline; the script
prints, per language, the share of questions with the same decision in (a)
and (b), and the questions that differ::

    python benchmarks/store_invariance.py [--xquad ../shared/data/xquad] [--store /tmp/aq-invariance]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from assistant import Answer, Assistant
from assistant.evaluation import load_eval_set
from ingest import E5Embeddings, sample_article_path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"


def decision(a: Answer) -> str:
    return "partial" if a.partial else "decline" if a.abstained else "answer"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    parser.add_argument("--store", type=Path, default=Path("/tmp/aq-invariance"))
    args = parser.parse_args()
    e5 = E5Embeddings()
    alone = Assistant.build(e5, args.store / "alone")
    (sample,) = [r.article_id for r in alone.ingest(sample_article_path())]
    crowded = Assistant.build(e5, args.store / "crowded")
    crowded.ingest(sample_article_path())
    for article in load_eval_set(args.xquad / "xquad-dev.ar.json").articles:
        crowded.ingest_article(article)
    crowded.ingest(sorted((DATA / "articles").glob("*.md")))
    print(f"crowded store: {len(crowded.store.article_ids())} articles, {crowded.store.count()} passages")

    same: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    differ = []
    for q in load_eval_set(DATA / "sample_article_gold.jsonl").questions:
        a = decision(alone.ask(q.question))
        for scope, ids in (("scoped", [sample]), ("unscoped", None)):
            b = decision(crowded.ask(q.question, article_ids=ids))
            same[scope][q.language].append(a == b)
            if a != b:
                differ.append(f"  {scope:8} {q.id:8} alone {a:7} crowded {b:7} {q.question}")
    for scope, by_lang in same.items():
        cells = [f"{lang} {sum(v) / len(v):.3f} ({sum(v)}/{len(v)})" for lang, v in sorted(by_lang.items())]
        every = [x for v in by_lang.values() for x in v]
        print(f"{scope:8} same decision: all {sum(every) / len(every):.3f}; " + "; ".join(cells))
    print("\n".join(["differ:", *differ]) if differ else "no question changes its decision")


if __name__ == "__main__":
    main()
