"""Which candidate sentences count as answering a question, for the off-question check of written answers.

A written answer falls back to the quote when none of its kept sentences draws on a sentence that
answers the question (:func:`assistant.generative.off_question`): a candidate whose ranking score is
within :data:`assistant.generative.ANSWERING_MARGIN` of the best one's. This script measures, for each
rule, how often the sentence holding a gold answer counts as answering (a written answer drawn from it
is kept) and how often another candidate does not (a written answer drawn only from it falls back).

The questions and store are those of ``calibrate_abstention.py`` (XQuAD dev, its English translation, the
sample article's sets, the self-written articles), answerable questions whose candidates hold a gold
answer, asked scoped to their article. The rule was chosen on the **fit** split (XQuAD's even articles,
``answerability_fit.jsonl``, ``sample_questions.jsonl``); the **report** split was not looked at to choose::

    python benchmarks/calibrate_relevance.py [--rows /tmp/aq-candidates.pkl]
"""

from __future__ import annotations

import argparse
import pickle
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from calibrate_abstention import ROOT, build_store, collect

from assistant.abstention import FEATURES, RANKING_MODEL
from assistant.generative import ANSWERING_MARGIN

Rule = Callable[[np.ndarray], np.ndarray]


def rules() -> dict[str, Rule]:
    """Which candidates count as answering, given their ranking scores (best first)."""
    found: dict[str, Rule] = {}
    for n in (2, 3, 4):
        found[f"the best {n}"] = lambda s, n=n: np.arange(len(s)) < n
    for m in (2.0, ANSWERING_MARGIN, 4.0, 5.0, 7.0):
        found[f"within {m:g} of the best" + (" (the code)" if m == ANSWERING_MARGIN else "")] = lambda s, m=m: (
            s >= s.max() - m
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    parser.add_argument("--store", type=Path, default=Path("/tmp/aq-answerability"))
    parser.add_argument("--rows", type=Path, help="keep the candidates in this file and reuse them")
    args = parser.parse_args()
    if args.rows and args.rows.exists():
        rows = pickle.loads(args.rows.read_bytes())
    else:
        qa, names, articles = build_store(args.store, args.xquad)
        rows = collect(qa, names, articles, args.xquad)
        if args.rows:
            args.rows.write_bytes(pickle.dumps(rows))
    weights = np.array([RANKING_MODEL[name] for name in FEATURES])
    groups: dict[str, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    for r in rows:
        if not r.answerable or not len(r.labels) or not r.labels.any():
            continue
        group = "xquad" if r.group.startswith("xquad") else "sample" if "sample" in r.group else "articles"
        groups[f"{r.split}/{group}/{r.language}"].append((r.features @ weights, r.labels))
    for key, asked in sorted(groups.items()):
        print(f"\n{key}: {len(asked)} questions, candidates p50 {np.median([len(s) for s, _ in asked]):.0f}")
        for name, rule in rules().items():
            kept = np.mean([rule(s)[labels > 0].any() for s, labels in asked])
            others = sum(int((labels == 0).sum()) for _, labels in asked)
            caught = sum(int((~rule(s))[labels == 0].sum()) for s, labels in asked) / max(1, others)
            print(f"  {name:<32} gold sentence answering {kept:.3f}   other candidates not {caught:.2f}")


if __name__ == "__main__":
    main()
