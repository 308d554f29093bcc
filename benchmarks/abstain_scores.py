"""Best passage and best sentence similarity for answerable vs unanswerable questions on the sample article.

Prints, per question, the cosine similarity of the best retrieved passage, its margin over
the median retrieved passage, whether the assistant abstained and whether a gold answer is
in the quoted sentences; then the rates, and the ranges of score and margin for answerable
and unanswerable questions. The defaults of ``min_score`` and ``min_margin`` were picked on
benchmarks/data/sample_questions.jsonl; sample_questions_heldout.jsonl, written by another
tester afterwards, was not used for tuning.

    python benchmarks/abstain_scores.py [--questions FILE.jsonl] [--min-score 0.76] [--min-margin 0.04]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path


from assistant import Assistant
from assistant.answer import MARGIN_REFERENCE_K
from ingest import E5Embeddings
from ingest.normalize import for_embedding

DATA = Path(__file__).parent / "data" / "sample_questions.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DATA, help="JSONL: id, question, answers, answerable, lang")
    parser.add_argument("--min-score", type=float, default=None, help="threshold to evaluate (default: the assistant's)")
    parser.add_argument("--min-margin", type=float, default=None, help="margin to evaluate (default: the assistant's)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    e5 = E5Embeddings()
    with tempfile.TemporaryDirectory() as tmp:
        qa = Assistant(e5, Path(tmp) / "store")
        if args.min_score is not None:
            qa.min_score = args.min_score
        if args.min_margin is not None:
            qa.min_margin = args.min_margin
        qa.ingest_sample_if_empty()
        results = []
        for row in rows:
            q = row["question"]
            _, hits = qa.retrieve(for_embedding(q), k=MARGIN_REFERENCE_K)
            scores = [h.score for h in hits]
            margin = scores[0] - statistics.median(scores)
            answer = qa.ask(q)
            found = any(a in c.quote for a in row["answers"] for c in answer.citations)  # gold answer quoted
            results.append((row, scores[0], margin, answer.abstained, found))
            print(f"{row['lang']} {'A' if row['answerable'] else '-'} best {scores[0]:.3f} "
                  f"margin {margin:.3f} abstained={answer.abstained!s:5} gold_quoted={found!s:5} {q}")
    answerable = [r for r in results if r[0]["answerable"]]
    unanswerable = [r for r in results if not r[0]["answerable"]]
    print(f"\nmin_score {qa.min_score}: answerable {len(answerable)}, gold quoted "
          f"{sum(r[4] for r in answerable) / len(answerable):.2f}, false abstain "
          f"{sum(r[3] for r in answerable) / len(answerable):.2f}; unanswerable {len(unanswerable)}, abstain "
          f"{sum(r[3] for r in unanswerable) / len(unanswerable):.2f}")
    for name, col in (("best score", 1), ("margin", 2)):
        lo = min(r[col] for r in answerable)
        hi = max(r[col] for r in unanswerable)
        print(f"{name}: lowest answerable {lo:.3f}, highest unanswerable {hi:.3f}")


if __name__ == "__main__":
    main()
