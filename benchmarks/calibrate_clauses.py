"""Calibrate the clause check of generated answers: when does a passage state each part of a sentence?

A generated sentence can be true in its first part and invented in the next
("trade grew 29.8% to $102.5bn and Putin announced his resignation [1]"):
the sentence as a whole stays close to its passage. So each part of a kept
sentence (:func:`assistant.grounding.claim_clauses`: cut at punctuation,
conjunctions, relative words and Arabic words starting with و/ف) must be
stated on its own by a passage the sentence cites
(:func:`assistant.grounding.clause_supported`). This script measures, on
XQuAD dev (``../shared/data/xquad``: English paragraphs and their
professional Arabic translation, CC BY-SA 4.0):

* true sentences kept: every English sentence whose anchors are in the
  Arabic translation of its own paragraph, cut into parts, each part checked
  against that paragraph (an English answer about an Arabic article, in
  other words); a sentence of one part counts as kept;
* forged sentences caught: for each pair of paragraphs of one article, a
  sentence of the first with a clause of the second appended (same topic
  and names, another claim), joined as a model might join it (``, ``,
  `` and ``, ``, which ``, `` because `` in English; ``، ``, `` و``, `` ثم ``,
  `` بسبب `` in Arabic), checked against the first paragraph across languages
  (English against Arabic) and within each language. A forged sentence whose
  appended clause has an anchor missing from the paragraph is left out: the
  anchor rule rejects it before any similarity.

Thresholds are chosen on the first half of the articles (``--split tune``)
and reported on the second (``--split report``, the default), which they
were not chosen on::

    python benchmarks/calibrate_clauses.py [--split tune|report] [--xquad ../shared/data/xquad]
"""

from __future__ import annotations

import argparse
import json
import random
from functools import cache
from pathlib import Path

import numpy as np

from assistant import grounding
from assistant.grounding import anchors, claim_clauses, clause_supported, clauses
from ingest import E5Embeddings, for_embedding
from ingest.normalize import lexical_tokens
from ingest.splitting import split_sentences

ROOT = Path(__file__).resolve().parents[1]
JOINERS = {"en": [", ", " and ", ", which ", " because "], "ar": ["، ", " و", " ثم ", " بسبب "]}


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
    rng = random.Random(0)

    @cache
    def vector(text: str) -> np.ndarray:
        return e5.encode_passages([for_embedding(text)])[0]

    def paragraph(text: str, language: str) -> dict:
        sents = sentences(text)
        units = sents + [c for s in sents for c in clauses(s)]
        return {"language": language, "sentences": sents, "clauses": [c for s in sents for c in clauses(s)],
                "units": e5.encode_passages([for_embedding(u) for u in units]),
                "anchors": anchors(text, source=True), "tokens": set(lexical_tokens(text))}  # fmt: skip

    def checks(sentence: str, language: str, target: dict) -> list:
        """The check of each part of ``sentence`` against ``target``, as closures (evaluated per threshold pair)."""
        same = language == target["language"]
        return [
            (lambda part=part: clause_supported(vector(part), anchors(part), set(lexical_tokens(part)), same,
                                                target["units"], target["anchors"], target["tokens"]))
            for part in claim_clauses(sentence)
        ]  # fmt: skip

    true_sentences: list[list] = []
    forged: dict[str, list[list]] = {"en forged vs ar": [], "ar forged vs ar": [], "en forged vs en": []}
    scores: dict[str, list[float]] = {"en part vs own ar paragraph": [], "appended clause vs the other paragraph": []}
    for a_doc, e_doc in zip(ar_docs, en_docs):
        ar = [paragraph(p["context"], "ar") for p in a_doc["paragraphs"]]
        en = [paragraph(p["context"], "en") for p in e_doc["paragraphs"]]
        for i, par in enumerate(en):
            for s in par["sentences"]:
                if anchors(s) <= ar[i]["anchors"]:
                    true_sentences.append(checks(s, "en", ar[i]))
                    scores["en part vs own ar paragraph"] += [
                        float((ar[i]["units"] @ vector(p)).max()) for p in claim_clauses(s)
                    ]
        for name, source, against, language in (("en forged vs ar", en, ar, "en"), ("ar forged vs ar", ar, ar, "ar"),
                                                ("en forged vs en", en, en, "en")):  # fmt: skip
            for j, first in enumerate(source):
                for k, second in enumerate(source):
                    if j == k or not first["sentences"] or not second["clauses"]:
                        continue
                    clause = rng.choice(second["clauses"])
                    if not anchors(clause) <= against[j]["anchors"]:
                        continue
                    sentence = rng.choice(first["sentences"]).rstrip(".؟?!") + rng.choice(JOINERS[language]) + clause
                    forged[name].append(checks(sentence, language, against[j]))
                    if name == "en forged vs ar":
                        scores["appended clause vs the other paragraph"].append(
                            float((against[j]["units"] @ vector(clause)).max())
                        )
    for name, x in scores.items():
        x = np.array(x)
        print(f"{name}: n={len(x)} p05={np.percentile(x, 5):.3f} p50={np.median(x):.3f} p95={np.percentile(x, 95):.3f}")
    chosen_pair = (grounding.CLAUSE_SAME_LANGUAGE, grounding.CLAUSE_CROSS_LINGUAL)
    print(f"\nper pair of clause thresholds (same language, across; * = assistant/grounding.py's): true English "
          f"sentences kept against their Arabic paragraph (n={len(true_sentences)}); forged sentences caught: "
          + ", ".join(f"{k} (n={len(v)})" for k, v in forged.items()))  # fmt: skip
    for same in (0.86, 0.88, 0.90, 0.92):
        for cross in (0.80, 0.82, 0.84, 0.86):
            grounding.CLAUSE_SAME_LANGUAGE, grounding.CLAUSE_CROSS_LINGUAL = same, cross
            kept = np.mean([all(check() for check in parts) for parts in true_sentences])
            caught = [np.mean([not all(check() for check in parts) for parts in group]) for group in forged.values()]
            star = "*" if (same, cross) == chosen_pair else " "
            print(f" {star}{same:.2f} {cross:.2f}   kept {kept:.3f}   caught " + "  ".join(f"{c:.3f}" for c in caught))
    grounding.CLAUSE_SAME_LANGUAGE, grounding.CLAUSE_CROSS_LINGUAL = chosen_pair


if __name__ == "__main__":
    main()
