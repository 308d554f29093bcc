"""Large corpora: ingest throughput, query latency and memory with 100,000+ passages.

The corpus: XQuAD dev's paragraphs (../shared/data/xquad, CC BY-SA 4.0; the
Arabic and the English text of 24 articles, 48 articles in all) are ingested
once for real (split, embedded, stored: the *embedding included* rate), then
their stored records (passages, sentences, embeddings) are written again and
again as copies under new article ids until the store holds ``--passages``
passages (the *embedding excluded* rate: what the store itself takes).
Queries are XQuAD questions, Arabic and English, timed after a warm-up:

* dense: one Chroma query of the passage collection (top 20), current versions only;
* lexical: BM25 over every passage (:mod:`assistant.lexical`), the index built once;
* hybrid: :meth:`assistant.retrieval.HybridRetriever.retrieve` (the question embedded,
  dense passages, dense sentences, BM25, fused);
* ask: a whole extractive answer.

It also reports the BM25 index's start-up: built from the store with no saved
index (read every passage, tokenise, index, save), loaded by a new assistant
from the saved index (what a process starting does), and updated after one
more article, by both; and the process's peak resident memory after each phase.
``--reuse`` times start-up and queries on a store built by an earlier run::

    python benchmarks/scale.py [--passages 100000] [--store /tmp/aq-scale] [--questions 200]
                               [--chroma-host 127.0.0.1 --chroma-port 8000]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant import Assistant
from assistant.lexical import index_directory
from ingest import E5Embeddings, for_embedding
from ingest.loaders import article_from_text
from vectorstore.chroma import ArticleRecords

ROOT = Path(__file__).resolve().parents[1]


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(ms: list[float]) -> str:
    return f"p50 {np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms (n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    parser.add_argument("--passages", type=int, default=100_000, help="passages to reach")
    parser.add_argument("--store", type=Path, help="store directory (default: a temporary one, removed after)")
    parser.add_argument("--questions", type=int, default=200, help="questions timed per kind of query")
    parser.add_argument("--chroma-host", help="use a Chroma server (chroma run) instead of an embedded store")
    parser.add_argument("--chroma-port", type=int, default=8000)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="the store already holds the big collection: time start-up and queries only",
    )
    args = parser.parse_args()
    if not (args.xquad / "xquad-dev.ar.json").is_file():
        parser.error(f"no XQuAD files in {args.xquad}: pass --xquad DIR (they live in shared/data/xquad/)")
    store = args.store or Path(tempfile.mkdtemp(prefix="aq-scale-"))
    e5 = E5Embeddings()
    e5.encode_queries(["warm up"])

    def assistant(path: Path, collection: str) -> Assistant:
        return Assistant.build(e5, path, collection, chroma_host=args.chroma_host, chroma_port=args.chroma_port)

    if args.reuse:
        qa = assistant(store / "big", "big")
        extra = json.loads((args.xquad / "xquad-dev.ar.json").read_text(encoding="utf-8"))["data"][0]
        text = "\n\n".join(p["context"].strip() for p in extra["paragraphs"])
        print(f"store: {qa.store.count()} passages of {len(qa.store.article_ids())} articles")
        lexical_start_up(
            args, assistant, store, lambda: qa.ingest_article(article_from_text(text, f"extra-{time.time():.0f}"))
        )
        queries(args, e5, qa)
        return

    # 1. The unique articles, ingested for real.
    docs = []
    for lang in ("ar", "en"):
        data = json.loads((args.xquad / f"xquad-dev.{lang}.json").read_text(encoding="utf-8"))["data"]
        docs += [
            (f"xq-{lang}-{i:02d}", "\n\n".join(p["context"].strip() for p in d["paragraphs"]))
            for i, d in enumerate(data)
        ]
    seed = assistant(store / "seed", "seed")
    start = time.perf_counter()
    unique = sum(seed.ingest_article(article_from_text(text, article_id)).passages for article_id, text in docs)
    embed_s = time.perf_counter() - start
    print(f"embedding included: {unique} passages (and their sentences) of {len(docs)} articles in {embed_s:.1f} s "
          f"= {unique / embed_s:.1f} passages/s; peak memory {peak_mb():.0f} MiB")  # fmt: skip

    # 2. Copies of the stored records under new article ids, until --passages.
    src = seed.store
    articles = src._articles.get(include=["documents", "metadatas", "embeddings"])
    passages = src._passages.get(include=["documents", "metadatas", "embeddings"])
    sentences = src._sentences.get(include=["documents", "metadatas", "embeddings"])
    by_article: dict[str, dict[str, list]] = {a: {"p": [], "s": []} for a in articles["ids"]}
    for i, m in enumerate(passages["metadatas"]):
        by_article[m["article_id"]]["p"].append(i)
    for i, m in enumerate(sentences["metadatas"]):
        by_article[m["article_id"]]["s"].append(i)
    qa = assistant(store / "big", "big")
    target = qa.store
    copies = -(-args.passages // unique)

    def copy(c: int, a: int) -> ArticleRecords:
        article_id, rows, meta = articles["ids"][a], by_article[articles["ids"][a]], articles["metadatas"][a]
        suffix = f"-c{c:04d}"
        own = ("article_id", "article_version")
        return ArticleRecords(
            article_id + suffix, meta["version"], articles["documents"][a],
            {k: v for k, v in meta.items() if k != "version"}, np.asarray(articles["embeddings"][a]),
            [passages["ids"][i] + suffix for i in rows["p"]],
            [passages["documents"][i] for i in rows["p"]],
            [{k: v for k, v in passages["metadatas"][i].items() if k not in own} for i in rows["p"]],
            np.asarray([passages["embeddings"][i] for i in rows["p"]]),
            [sentences["ids"][i] + suffix for i in rows["s"]],
            [sentences["documents"][i] for i in rows["s"]],
            [{**{k: v for k, v in sentences["metadatas"][i].items() if k not in own},
              "passage_id": sentences["metadatas"][i]["passage_id"] + suffix} for i in rows["s"]],
            np.asarray([sentences["embeddings"][i] for i in rows["s"]]),
        )  # fmt: skip

    # One article at a time, as `article-qa ingest` stores them: a sample of 2 copies.
    start = time.perf_counter()
    one_by_one = 0
    for c in range(2):
        for a in range(len(articles["ids"])):
            record = copy(c, a)
            target.put_articles([record])  # what put_article does
            one_by_one += len(record.passage_ids)
    single_s = time.perf_counter() - start
    print(f"embedding excluded, one article per write: {one_by_one} passages in {single_s:.1f} s = "
          f"{one_by_one / single_s:.0f} passages/s")  # fmt: skip
    start, written = time.perf_counter(), 0
    for c in range(2, copies):
        batch = [copy(c, a) for a in range(len(articles["ids"]))]
        target.put_articles(batch)
        written += sum(len(r.passage_ids) for r in batch)
        if c % 40 == 0:
            print(
                f"  copy {c + 1}/{copies}: {written} passages, {written / (time.perf_counter() - start):.0f} passages/s",
                flush=True,
            )
    write_s = time.perf_counter() - start
    n_articles = len(target.article_ids())
    print(f"embedding excluded, {len(articles['ids'])} articles per write (put_articles): {written} passages "
          f"(and {len(sentences['ids']) * (copies - 2)} sentences) in {write_s:.1f} s = {written / write_s:.0f} passages/s; "
          f"store: {target.count()} passages of {n_articles} articles; peak memory {peak_mb():.0f} MiB")  # fmt: skip
    print(
        f"embedding included, at the measured rates: {1 / (1 / (unique / embed_s) + 1 / (written / write_s)):.1f} passages/s"
    )

    lexical_start_up(args, assistant, store, lambda: target.put_articles([copy(copies, 0)]))
    queries(args, e5, qa)
    if args.store is None:
        shutil.rmtree(store, ignore_errors=True)


def lexical_start_up(args: argparse.Namespace, assistant, store: Path, one_more) -> None:
    """Start-up of the BM25 index: built from the store, saved, loaded by a new assistant, updated after one more article."""
    index_dir = index_directory(store / "big", "big", host=args.chroma_host, port=args.chroma_port)
    shutil.rmtree(index_dir, ignore_errors=True)
    cold = assistant(store / "big", "big")
    start = time.perf_counter()
    versions = cold.store.current_versions()
    versions_s = time.perf_counter() - start
    index = cold.retriever.lexical_index(versions)
    build_s = time.perf_counter() - start
    size = sum(f.stat().st_size for f in index_dir.iterdir()) / 2**20
    print(f"start-up without a saved index: {len(versions)} article versions read in {versions_s:.2f} s; BM25 index of "
          f"{len(index)} passages built (read, tokenised, indexed, saved: {size:.0f} MiB) in {build_s:.1f} s; "
          f"peak memory {peak_mb():.0f} MiB")  # fmt: skip
    for attempt in range(2):
        warm = assistant(store / "big", "big")  # what a new process opens
        start = time.perf_counter()
        versions = warm.store.current_versions()
        versions_s = time.perf_counter() - start
        index = warm.retriever.lexical_index(versions)
        print(f"start-up with the saved index ({attempt + 1}): versions read in {versions_s:.2f} s, index of "
              f"{len(index)} passages loaded in {time.perf_counter() - start - versions_s:.2f} s; "
              f"total {time.perf_counter() - start:.2f} s")  # fmt: skip
    one_more()  # one more article, as an ingestion in another process would add
    for name, qa in (("the window that loaded it", warm), ("the window that built it", cold)):
        start = time.perf_counter()
        versions = qa.store.current_versions()
        versions_s = time.perf_counter() - start
        index = qa.retriever.lexical_index(versions)
        print(f"after one more article, {name}: versions read again in {versions_s:.2f} s, index updated (and "
              f"saved) in {time.perf_counter() - start - versions_s:.2f} s; total {time.perf_counter() - start:.2f} s; "
              f"{index.segments} segment(s)")  # fmt: skip


def queries(args: argparse.Namespace, e5: E5Embeddings, qa: Assistant) -> None:
    target = qa.store
    # 4. Queries.
    questions = []
    for lang in ("ar", "en"):
        data = json.loads((args.xquad / f"xquad-dev.{lang}.json").read_text(encoding="utf-8"))["data"]
        questions += [q["question"] for d in data for p in d["paragraphs"] for q in p["qas"]]
    rng = np.random.default_rng(0)
    sample = [questions[i] for i in rng.choice(len(questions), size=min(args.questions, len(questions)), replace=False)]
    vectors = e5.encode_queries([for_embedding(q) for q in sample])
    from ingest.normalize import lexical_tokens

    timings: dict[str, list[float]] = {"dense": [], "lexical": [], "hybrid": [], "ask": []}
    qa.ask(sample[0])  # warm-up
    for q, v in zip(sample, vectors):
        t = time.perf_counter()
        target.query(v, 20)
        timings["dense"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        qa.retriever.lexical_index(target.current_versions()).rank(lexical_tokens(q), 20)
        timings["lexical"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        qa.retriever.retrieve(for_embedding(q))
        timings["hybrid"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        qa.ask(q)
        timings["ask"].append((time.perf_counter() - t) * 1000)
    for name, ms in timings.items():
        print(f"query {name}: {percentiles(ms)}")
    print(f"peak memory {peak_mb():.0f} MiB")


if __name__ == "__main__":
    main()
