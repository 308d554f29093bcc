"""The checks of written answers on held-out replies: an answer to the question is kept, one to another is not.

``benchmarks/data/written_answers_report.jsonl`` (written by a helper session that never read the code,
and never used to choose a threshold) gives, for 80 questions about the sample article and the two
``report_*`` English articles, Arabic and English, two replies a chat model might write, each sentence
cited ``[1]``: ``on_question`` answers the question from the article; ``off_question`` states true facts
of the same article that do not answer it. Each reply is played by langchain-core's
``GenericFakeChatModel`` through the whole pipeline (the question scoped to its article, retrieval,
abstention, the checks of :mod:`assistant.grounding`, the off-question check of
:func:`assistant.generative.off_question`), with the check on and, for comparison, off
(``ANSWERING_MARGIN`` infinite). It prints, per reply kind and language, the share kept as written
(generative), fallen back by reason, and declined before any call::

    python benchmarks/written_answers.py [--store /tmp/aq-written]
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import shutil
from pathlib import Path

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

import assistant.api
from assistant import Answer, Assistant
from ingest import E5Embeddings, sample_article_path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
SET = DATA / "written_answers_report.jsonl"


def outcome(answer: Answer) -> str:
    """kept / declined / partial / fell back: REASON (the note's words up to a colon or bracket)."""
    if answer.mode == "generative" and not answer.abstained:
        return "kept"
    if answer.abstained or answer.partial:
        return "declined or partial (no call)"
    reasons = [n.split("fell back to quoting:", 1)[1] for n in answer.notes if "fell back to quoting:" in n]
    return "fell back: " + (reasons[-1].split("(")[0].split(":")[0].strip() if reasons else "?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/aq-written"))
    args = parser.parse_args()
    shutil.rmtree(args.store, ignore_errors=True)
    qa = Assistant.build(E5Embeddings(), args.store)
    ids = {"sample": next(iter(qa.ingest(sample_article_path()))).article_id}
    for name in ("report_chess_final", "report_river_flood"):
        ids[name] = next(iter(qa.ingest(DATA / "articles" / f"{name}.md"))).article_id
    records = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    margin = assistant.api.ANSWERING_MARGIN
    for label, value in (("check on", margin), ("check off", math.inf)):
        assistant.api.ANSWERING_MARGIN = value  # read at each question
        counts: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(collections.Counter)
        for r in records:
            for kind in ("on_question", "off_question"):
                model_qa = qa.with_chat_model(GenericFakeChatModel(messages=iter([r[kind]])))
                answer = model_qa.ask(r["question"], article_ids=[ids[r["article"]]])
                counts[(kind, r["lang"])][outcome(answer)] += 1
                counts[(kind, "all")][outcome(answer)] += 1
        print(f"\n{label} (ANSWERING_MARGIN {value}), {len(records)} questions")
        for (kind, lang), c in sorted(counts.items()):
            n = sum(c.values())
            shares = ", ".join(f"{k} {v / n:.0%} ({v})" for k, v in c.most_common())
            print(f"  {kind:<13} {lang:<4} n={n:<3} {shares}")
    assistant.api.ANSWERING_MARGIN = margin


if __name__ == "__main__":
    main()
