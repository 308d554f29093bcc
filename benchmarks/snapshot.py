"""Every answer of the default assistant, for checking that a change to the code changes no answer.

Asks the sample-article gold set, XQuAD dev (Arabic and English questions) and
a few follow-ups and small-talk turns (1,373 questions), and writes per
question the answer text, whether it abstained, its citations and the top 10
retrieved passage ids with their scores, plus the eval summaries::

    python benchmarks/snapshot.py --out before.json --store /tmp/snap-before   # on the old code
    python benchmarks/snapshot.py --out after.json --store /tmp/snap-after     # on the new code
    python benchmarks/snapshot.py --compare before.json after.json

Use a fresh store for each run: retrieval past the first few ranks varies
between runs on a reopened Chroma store (its HNSW index), whatever the code.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "benchmarks" / "data" / "sample_article_gold.jsonl"
FOLLOW_UPS = ["And where?", "وبأي نسبة نما؟", "hello", "شكرا", "?!", "What about the trade?"]


def snapshot(xquad: Path, store: Path) -> dict[str, Any]:
    from assistant import Assistant
    from assistant.evaluation import evaluate, load_eval_set, summarize
    from ingest import E5Embeddings

    e5, rows = E5Embeddings(), {}

    def run(name: str, qa: Assistant, questions: list[Any], history: Any = None) -> None:
        for q in questions:
            trace = qa.ask_traced(getattr(q, "question", q), history)
            a = trace.answer
            rows[f"{name}|{getattr(q, 'id', q)}"] = {
                "text": a.text,
                "abstained": a.abstained,
                "citations": [(c.passage_id, c.char_start, c.char_end) for c in a.citations],
                "retrieved": [p.passage.passage_id for p in trace.retrieved][:10],
                "scores": [round(p.score, 5) for p in trace.retrieved][:10],
            }

    gold = load_eval_set(GOLD).questions
    qa = Assistant.build(e5, store / "gold")
    qa.ingest_sample_if_empty()
    run("gold", qa, gold)
    run("follow-up", qa, FOLLOW_UPS, [("When did Putin and Xi last meet in person?", "In November 2019.")])
    ar = load_eval_set(xquad / "xquad-dev.ar.json")
    en = load_eval_set(xquad / "xquad-dev.ar.json", questions=xquad / "xquad-dev.en.json")
    qx = Assistant.build(e5, store / "xquad")
    for article in ar.articles:
        qx.ingest_article(article)
    run("xquad-ar", qx, ar.questions)
    run("xquad-en", qx, en.questions)
    summaries = {"gold": summarize(evaluate(qa, gold)), "xquad-ar": summarize(evaluate(qx, ar.questions))}
    summaries["xquad-en"] = summarize(evaluate(qx, en.questions))
    for s in summaries.values():
        s.pop("latency_ms", None)
    return {"rows": rows, "summary": summaries}


def compare(a: dict[str, Any], b: dict[str, Any]) -> None:
    ra, rb = a["rows"], b["rows"]
    answers = [k for k in ra if any(ra[k][f] != rb.get(k, {}).get(f) for f in ("text", "abstained", "citations"))]
    top3 = [k for k in ra if ra[k]["retrieved"][:3] != rb.get(k, {}).get("retrieved", [])[:3]]
    top10 = [k for k in ra if ra[k]["retrieved"] != rb.get(k, {}).get("retrieved")]
    print(f"{len(ra)} questions: answers differ {len(answers)}, top-3 differ {len(top3)}, top-10 differ {len(top10)}")
    for k in answers[:5]:
        print(" ", k, "\n    A:", ra[k]["text"][:100], "\n    B:", rb.get(k, {}).get("text", "")[:100])
    for name in a["summary"]:
        for part in ("retrieval", "answer", "citations", "abstention"):
            x, y = a["summary"][name].get(part), b["summary"][name].get(part)
            print(f"{name:<9} {part:<10} {'same' if x == y else f'{x} -> {y}'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    parser.add_argument("--store", type=Path, default=Path("/tmp/aq-snapshot"))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    args = parser.parse_args()
    if args.compare:
        compare(*(json.loads(p.read_text(encoding="utf-8")) for p in args.compare))
        return
    if args.out is None:
        parser.error("give --out FILE (or --compare A B)")
    args.out.write_text(json.dumps(snapshot(args.xquad, args.store), ensure_ascii=False, default=str), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
