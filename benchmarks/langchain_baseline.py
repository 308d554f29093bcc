"""Side by side: article-qa against the plain LangChain recipe, on the same data in the same run.

The recipe a user would build: ``RecursiveCharacterTextSplitter`` (1,000
characters, 200 overlap), the same embedding model (multilingual-e5-small
through our LangChain ``Embeddings``, so prefixes are right), ``langchain_chroma``
similarity search, and as the answer the best sentence (by embedding
similarity) of the top chunk. article-qa runs with its defaults.

Both are scored the same way: a hit is a retrieved passage or chunk containing
a gold answer (the JSONL rule; chunks may cross paragraphs, so the paragraph
rule would not be fair), and answer_in_citation is a gold answer inside the
quoted sentence(s). Prints recall@1, MRR@10, answer_in_citation and latency
p50/p95 per system and test set::

    python benchmarks/langchain_baseline.py [--xquad ../shared/data/xquad]
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import tempfile
import time
from pathlib import Path

import numpy as np
from langchain_chroma import Chroma
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant import Assistant
from assistant.evaluation import evaluate, load_eval_set, summarize
from assistant.evaluation.metrics import contains_answer
from ingest import E5Embeddings, load_article, sample_article_path

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "benchmarks" / "data" / "sample_article_gold.jsonl"
_SENTENCE = re.compile(r"(?<=[.!?؟])\s+|\n+")


def baseline(e5: E5Embeddings, articles, questions, workdir: Path) -> dict[str, float]:
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    docs = splitter.create_documents(
        [a.text for a in articles], metadatas=[{"article_id": a.article_id} for a in articles]
    )
    store = Chroma(collection_name="baseline", embedding_function=e5, persist_directory=str(workdir))
    store.add_documents(docs)
    ranks, in_citation, latencies = [], [], []
    answerable = [q for q in questions if q.answerable]
    for q in answerable:
        start = time.perf_counter()
        found = store.similarity_search(q.question, k=10)
        sentences = [s for s in _SENTENCE.split(found[0].page_content) if s.strip()] if found else []
        best = ""
        if sentences:
            vectors = np.asarray(e5.embed_documents(sentences))
            best = sentences[int(np.argmax(vectors @ np.asarray(e5.embed_query(q.question))))]
        latencies.append((time.perf_counter() - start) * 1000)
        ranks.append(next((i for i, d in enumerate(found, 1) if contains_answer(d.page_content, q.answers)), None))
        in_citation.append(contains_answer(best, q.answers))
    return {
        "recall@1": float(np.mean([r == 1 for r in ranks])),
        "mrr": float(np.mean([1 / r if r else 0.0 for r in ranks])),
        "answer_in_citation": float(np.mean(in_citation)),
        "p50": float(np.percentile(latencies, 50)),
        "p95": float(np.percentile(latencies, 95)),
    }


def ours(e5: E5Embeddings, articles, questions, workdir: Path) -> dict[str, float]:
    qa = Assistant.build(e5, workdir)
    for a in articles:
        qa.ingest_article(a)
    by_answer = [
        dataclasses.replace(q, paragraph=None) for q in questions if q.answerable
    ]  # hit: contains a gold answer
    report = summarize(evaluate(qa, by_answer))
    return {
        "recall@1": report["retrieval"]["recall@1"],
        "mrr": report["retrieval"]["mrr"],
        "answer_in_citation": report["answer"]["answer_in_citation"],
        "p50": report["latency_ms"]["p50"],
        "p95": report["latency_ms"]["p95"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    args = parser.parse_args()
    e5 = E5Embeddings()
    ar = load_eval_set(args.xquad / "xquad-dev.ar.json")
    en = load_eval_set(args.xquad / "xquad-dev.ar.json", questions=args.xquad / "xquad-dev.en.json")
    gold = load_eval_set(GOLD)
    sample = [load_article(sample_article_path())]
    sets = [
        ("XQuAD ar→ar", ar.articles, ar.questions),
        ("XQuAD en→ar", ar.articles, en.questions),
        ("gold set ar", sample, [q for q in gold.questions if q.language == "ar"]),
        ("gold set en", sample, [q for q in gold.questions if q.language == "en"]),
    ]
    print("| test set | system | recall@1 | MRR@10 | answer in citation | latency p50 / p95 (ms) |")
    print("|---|---|---|---|---|---|")
    for name, articles, questions in sets:
        for system, run in (("LangChain recipe", baseline), ("article-qa", ours)):
            with tempfile.TemporaryDirectory() as tmp:
                m = run(e5, articles, questions, Path(tmp))
            print(
                f"| {name} | {system} | {m['recall@1']:.3f} | {m['mrr']:.3f} | {m['answer_in_citation']:.3f} "
                f"| {m['p50']:.0f} / {m['p95']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
