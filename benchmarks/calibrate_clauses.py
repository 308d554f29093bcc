"""Calibrate the clause check of generated answers: when does a passage support each clause of a sentence?

A generated sentence can be true in its first clause and invented in its
second ("trade grew 29.8% to $102.5bn, and Putin announced his resignation
[1]"): the sentence as a whole stays close to its passage. So every clause
of a kept sentence (:func:`assistant.grounding.clauses`) must be supported on
its own by the passages the sentence cites (:mod:`assistant.grounding`). This
script measures, on XQuAD dev (``../shared/data/xquad``: English paragraphs
and their professional Arabic translation, CC BY-SA 4.0):

* true sentences kept: English sentences of several clauses whose sentence
  passes the sentence check against the Arabic translation of their own
  paragraph, and whose every clause passes the clause check there (an
  English answer about an Arabic article, restated in other words);
* forged sentences caught: a sentence of a paragraph with a clause of another
  paragraph of the same article appended (same topic and names, another
  claim), checked against the first paragraph, across languages (an English
  sentence against the Arabic paragraph) and within each language;
* the clause score of each group (best cosine of a clause against the
  paragraph's sentences and clauses, ``passage: `` embeddings of
  multilingual-e5-small), its lexical share, and the share of clauses that
  reach each threshold.

Thresholds are chosen on the first half of the articles (``--split tune``)
and reported on the second (``--split report``, the default), which they
were not chosen on::

    python benchmarks/calibrate_clauses.py [--split tune|report] [--xquad ../shared/data/xquad]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from assistant import grounding
from assistant.grounding import anchors, clauses, clause_supported
from ingest import E5Embeddings, for_embedding
from ingest.normalize import lexical_tokens
from ingest.splitting import split_sentences

ROOT = Path(__file__).resolve().parents[1]


def sentences(text: str) -> list[str]:
    """Sentences of at least 4 words (the quotable ones)."""
    return [text[a:b] for a, b in split_sentences(text) if len(text[a:b].split()) >= 4]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    parser.add_argument("--split", choices=["tune", "report"], default="report")
    args = parser.parse_args()
    e5 = E5Embeddings()
    ar_all = json.loads((args.xquad / "xquad-dev.ar.json").read_text(encoding="utf-8"))["data"]
    en_all = json.loads((args.xquad / "xquad-dev.en.json").read_text(encoding="utf-8"))["data"]
    half = len(ar_all) // 2
    chosen = slice(0, half) if args.split == "tune" else slice(half, None)
    ar_docs, en_docs = ar_all[chosen], en_all[chosen]
    print(f"split {args.split}: {len(ar_docs)} articles, {sum(len(d['paragraphs']) for d in ar_docs)} paragraphs")

    def embed(texts: list[str]) -> np.ndarray:
        return e5.encode_passages([for_embedding(t) for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def paragraph(text: str, language: str) -> dict:
        sents = sentences(text)
        units = sents + [c for s in sents for c in clauses(s)]
        return {"text": text, "language": language, "sentences": sents, "units": embed(units),
                "anchors": anchors(text, source=True), "tokens": set(lexical_tokens(text))}  # fmt: skip

    def supported(text: str, vector: np.ndarray, language: str, target: dict) -> bool:
        """Evaluated later, once per pair of thresholds: the clause check, as a closure."""
        facts = (vector, anchors(text), set(lexical_tokens(text)), language == target["language"],
                 target["units"], target["anchors"], target["tokens"])  # fmt: skip
        return lambda: clause_supported(*facts)  # type: ignore[return-value]

    scores: dict[str, list[float]] = {"en clause vs own ar paragraph": [], "en clause vs other ar paragraph": [],
                                      "ar clause vs other ar paragraph": [], "en clause vs other en paragraph": []}  # fmt: skip
    true_sentences: list[list] = []  # per true English sentence of several clauses: its clause checks
    forged: dict[str, list] = {"en forged vs ar": [], "ar forged vs ar": [], "en forged vs en": []}
    for a_doc, e_doc in zip(ar_docs, en_docs):
        ar = [paragraph(p["context"], "ar") for p in a_doc["paragraphs"]]
        en = [paragraph(p["context"], "en") for p in e_doc["paragraphs"]]
        for pars, language in ((en, "en"), (ar, "ar")):
            for par in pars:
                par["clauses"] = [clauses(s) for s in par["sentences"]]
                flat = [c for cs in par["clauses"] for c in cs]
                par["clause_vectors"] = embed(flat)
        for i, par in enumerate(en):
            at = 0
            for cs in par["clauses"]:
                vectors = par["clause_vectors"][at : at + len(cs)]
                at += len(cs)
                if not cs:
                    continue
                for c, v in zip(cs, vectors):
                    scores["en clause vs own ar paragraph"].append(float((ar[i]["units"] @ v).max()))
                if all(anchors(c) <= ar[i]["anchors"] for c in cs):
                    true_sentences.append([supported(c, v, "en", ar[i]) for c, v in zip(cs, vectors)])
        # Forged: each clause of another paragraph, appended to this paragraph's sentence.
        for name, claims_from, against, group in (("en forged vs ar", en, ar, "en clause vs other ar paragraph"),
                                                  ("ar forged vs ar", ar, ar, "ar clause vs other ar paragraph"),
                                                  ("en forged vs en", en, en, "en clause vs other en paragraph")):  # fmt: skip
            language = "en" if claims_from is en else "ar"
            for j, other in enumerate(claims_from):
                flat = [c for cs in other["clauses"] for c in cs]
                for i, target in enumerate(against):
                    if i == j:
                        continue
                    for c, v in zip(flat, other["clause_vectors"]):
                        if not anchors(c) <= target["anchors"]:
                            continue  # the anchor rule rejects it before any similarity
                        scores[group].append(float((target["units"] @ v).max()))
                        forged[name].append(supported(c, v, language, target))
    for name, x in scores.items():
        x = np.array(x)
        print(f"{name}: n={len(x)} p05={np.percentile(x, 5):.3f} p50={np.median(x):.3f} p95={np.percentile(x, 95):.3f}")
    chosen_pair = (grounding.CLAUSE_SAME_LANGUAGE, grounding.CLAUSE_CROSS_LINGUAL)
    print(f"\nper pair of clause thresholds (same language, across; * = assistant/grounding.py's): true English "
          f"sentences of several clauses kept against their Arabic paragraph (n={len(true_sentences)}); forged "
          "sentences caught: " + ", ".join(f"{k} (n={len(v)})" for k, v in forged.items()))  # fmt: skip
    for same in (0.86, 0.88, 0.90, 0.92):
        for cross in (0.82, 0.84, 0.85, 0.86, 0.87):
            grounding.CLAUSE_SAME_LANGUAGE, grounding.CLAUSE_CROSS_LINGUAL = same, cross
            kept = np.mean([all(check() for check in checks) for checks in true_sentences])
            caught = [np.mean([not check() for check in checks]) for checks in forged.values()]
            star = "*" if (same, cross) == chosen_pair else " "
            print(f" {star}{same:.2f} {cross:.2f}   kept {kept:.3f}   caught " + "  ".join(f"{c:.3f}" for c in caught))
    grounding.CLAUSE_SAME_LANGUAGE, grounding.CLAUSE_CROSS_LINGUAL = chosen_pair
    print("\nshare of clauses at or above each threshold, groups in the order above")
    for t in np.arange(0.80, 0.951, 0.01):
        print(f"{t:5.2f}   " + "   ".join(f"{(np.array(x) >= t).mean():.3f}" for x in scores.values()))


if __name__ == "__main__":
    main()
