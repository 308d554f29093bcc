"""Calibrate the grounding check of generated answers: when does a cited passage support a sentence?

The check (:mod:`assistant.grounding`) compares an answer sentence's embedding
(``passage: ``, multilingual-e5-small) with the sentences of the passages it
cites and takes the highest cosine similarity. This script measures that
score on XQuAD dev (``../shared/data/xquad``: English paragraphs and their
professional Arabic translation, CC BY-SA 4.0):

* supported: an English sentence against the Arabic translation of its own
  paragraph (a claim restated in other words and another language, as an
  English answer about an Arabic article is);
* unsupported (hard): the same sentence against each other paragraph of the
  same article (same topic, same names, another claim); and, within one
  language, each Arabic (English) sentence against the other paragraphs of
  its article.

It prints the share of each group at or above a range of thresholds::

    python benchmarks/calibrate_support.py [--xquad ../shared/data/xquad]

Sentence splits of the two languages do not line up one to one, so some
"supported" pairs hold only part of the sentence: the supported rates are a
lower bound.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ingest import E5Embeddings, for_embedding
from ingest.splitting import split_sentences

ROOT = Path(__file__).resolve().parents[1]


def sentences(text: str) -> list[str]:
    """Sentences of at least 4 words (the quotable ones)."""
    return [text[a:b] for a, b in split_sentences(text) if len(text[a:b].split()) >= 4]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    args = parser.parse_args()
    e5 = E5Embeddings()
    ar = json.loads((args.xquad / "xquad-dev.ar.json").read_text(encoding="utf-8"))["data"]
    en = json.loads((args.xquad / "xquad-dev.en.json").read_text(encoding="utf-8"))["data"]

    def embed(texts: list[str]) -> np.ndarray:
        return e5.encode_passages([for_embedding(t) for t in texts]) if texts else np.zeros((0, 384), np.float32)

    supported, cross_other, same_other, en_other = [], [], [], []
    for a_doc, e_doc in zip(ar, en):
        ar_vecs = [embed(sentences(p["context"])) for p in a_doc["paragraphs"]]
        en_vecs = [embed(sentences(p["context"])) for p in e_doc["paragraphs"]]
        for i, ev in enumerate(en_vecs):
            for v in ev:
                supported.append(float((ar_vecs[i] @ v).max()))
                cross_other.extend(float((ar_vecs[j] @ v).max()) for j in range(len(ar_vecs)) if j != i and len(ar_vecs[j]))
        for vecs, out in ((ar_vecs, same_other), (en_vecs, en_other)):
            for i, sv in enumerate(vecs):
                for v in sv:
                    out.extend(float((vecs[j] @ v).max()) for j in range(len(vecs)) if j != i and len(vecs[j]))
    groups = {
        "en sentence vs its ar paragraph (supported)": np.array(supported),
        "en sentence vs another ar paragraph": np.array(cross_other),
        "ar sentence vs another ar paragraph": np.array(same_other),
        "en sentence vs another en paragraph": np.array(en_other),
    }
    print(f"{len(ar)} articles, {sum(len(d['paragraphs']) for d in ar)} paragraphs")
    for name, x in groups.items():
        print(f"{name}: n={len(x)} p05={np.percentile(x, 5):.3f} p50={np.median(x):.3f} p95={np.percentile(x, 95):.3f}")
    print("\nshare at or above each threshold, in the order above")
    for t in np.arange(0.80, 0.921, 0.01):
        print(f"{t:9.2f}  " + "  ".join(f"{(x >= t).mean():6.3f}" for x in groups.values()))


if __name__ == "__main__":
    main()
