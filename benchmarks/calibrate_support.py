"""Calibrate the grounding check of generated answers: when does a cited passage support a sentence?

The check (:mod:`assistant.grounding`) needs every anchor of a sentence (its
numbers with their scale, its months) to occur in the passages it cites, and
then compares the sentence's embedding (``passage: ``, multilingual-e5-small)
with each sentence of the passage and each clause of those sentences,
keeping the highest cosine similarity. This script measures that score on
XQuAD dev (``../shared/data/xquad``: English paragraphs and their
professional Arabic translation, CC BY-SA 4.0):

* supported: an English sentence against the Arabic translation of its own
  paragraph (a claim restated in other words and another language, as an
  English answer about an Arabic article is);
* unsupported (hard): the same sentence against each other paragraph of the
  same article (same topic, same names, another claim); and, within one
  language, each Arabic (English) sentence against the other paragraphs of
  its article. Pairs whose anchors are missing from the paragraph are
  rejected by the anchor rule before any similarity, so they are left out.

Each group is also shown restricted to "anchored" sentences (at least one
number or month, all found in the paragraph), which may use a lower
threshold. It prints the share of each group at or above a range of
thresholds::

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

from assistant.grounding import anchors, clauses
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
    print(f"{len(ar)} articles, {sum(len(d['paragraphs']) for d in ar)} paragraphs")

    def embed(texts: list[str]) -> np.ndarray:
        return e5.encode_passages([for_embedding(t) for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def paragraph(text: str) -> dict:
        sents = sentences(text)
        units = sents + [c for s in sents for c in clauses(s)]
        return {"sentences": sents, "claims": embed(sents), "units": embed(units), "anchors": anchors(text)}

    groups: dict[str, list[tuple[float, bool]]] = {
        "en vs its own ar paragraph (supported)": [],
        "en vs another ar paragraph": [],
        "ar vs another ar paragraph": [],
        "en vs another en paragraph": [],
    }
    names = list(groups)
    for a_doc, e_doc in zip(ar, en):
        ar_pars = [paragraph(p["context"]) for p in a_doc["paragraphs"]]
        en_pars = [paragraph(p["context"]) for p in e_doc["paragraphs"]]
        for claims_from, against, own, other in ((en_pars, ar_pars, names[0], names[1]),
                                                 (ar_pars, ar_pars, None, names[2]),
                                                 (en_pars, en_pars, None, names[3])):  # fmt: skip
            for i, par in enumerate(claims_from):
                for text, v in zip(par["sentences"], par["claims"]):
                    claim_anchors = anchors(text)
                    for j, target in enumerate(against):
                        group = own if i == j else (other if (claims_from is not against or i != j) else None)
                        if group is None or not len(target["units"]) or not claim_anchors <= target["anchors"]:
                            continue
                        groups[group].append((float((target["units"] @ v).max()), bool(claim_anchors)))
    for name, rows in groups.items():
        x = np.array([s for s, _ in rows])
        anchored = np.array([s for s, a in rows if a])
        print(f"{name}: n={len(x)} (anchored {len(anchored)}) p05={np.percentile(x, 5):.3f} "
              f"p50={np.median(x):.3f} p95={np.percentile(x, 95):.3f}")  # fmt: skip
    print("\nshare at or above each threshold, in the order above: all | anchored only")
    for t in np.arange(0.78, 0.941, 0.01):
        cells = []
        for rows in groups.values():
            x = np.array([s for s, _ in rows])
            anchored = np.array([s for s, a in rows if a])
            cells.append(f"{(x >= t).mean():.3f} | {(anchored >= t).mean() if len(anchored) else 0:.3f}")
        print(f"{t:5.2f}   " + "   ".join(cells))


if __name__ == "__main__":
    main()
