"""Generative answers from real models: what share is kept, cut or replaced by quotes, and how long it takes.

For each packaged model (tests/llm_server.py: SmolLM2-135M-Instruct, Gemma 3 270M base), starts
llama.cpp's server (built once into the user's cache) on 127.0.0.1, then asks, through
``Assistant.stream`` in generative mode, the gold set of the sample article (benchmarks/data, 64
questions) and ``--xquad N`` XQuAD dev questions (Arabic and English, drawn with a fixed seed, about
XQuAD's 24 Arabic articles). For each answer it records:

* kept: generated and every sentence the model wrote kept; partly kept: generated, with sentences
  dropped as unsupported; fell back: quoted instead, by reason (the first words of the note after
  "fell back to quoting:"); declined: abstained (by the retrieval, or the model's NOT_IN_ARTICLE);
* how many replies were asked again for the wrong language, and how many had a loop removed;
* how many written answers (kept or partly kept) hold a gold answer (``contains_answer`` of
  ``article-qa eval``): kept is not right. The gold answers are the article's words (Arabic for the
  sample article and XQuAD's Arabic paragraphs), so an English answer is found right only by its numbers
  or Latin names;
* time to the first draft (the model's first token) and to the checked answer, p50/p95 in seconds;
* the server's own counts (llama.cpp's ``/metrics``): prompt tokens read and tokens written per second.

::

    python benchmarks/llm_answers.py [--model smollm2|gemma3|all] [--xquad 100] [--out answers.jsonl] [--limit N]
    python benchmarks/llm_answers.py --xquad 0 --answering-margin inf   # the off-question check off, to compare
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.llm_server

import assistant.api  # noqa: E402
from assistant import Answer, Assistant, Draft  # noqa: E402
from assistant.evaluation import load_eval_set  # noqa: E402
from assistant.evaluation.metrics import contains_answer  # noqa: E402
from assistant.llm import make_chat_model, server_context_tokens  # noqa: E402
from ingest import E5Embeddings  # noqa: E402
from tests.llm_server import MODELS, start  # noqa: E402

GOLD = ROOT / "benchmarks" / "data" / "sample_article_gold.jsonl"
#: llama.cpp's /metrics counters read before and after each set (Prometheus text format).
COUNTERS = (
    "llamacpp:prompt_tokens_total",
    "llamacpp:prompt_seconds_total",
    "llamacpp:tokens_predicted_total",
    "llamacpp:tokens_predicted_seconds_total",
)


def outcome(answer: Answer) -> str:
    """kept / partly kept / fell back: REASON / declined."""
    if answer.abstained:
        return "declined"
    if answer.mode == "generative":
        return "partly kept" if answer.unsupported_sentences else "kept"
    reasons = [n.split("fell back to quoting:", 1)[1].strip() for n in answer.notes if "fell back to quoting:" in n]
    reason = reasons[-1] if reasons else "?"
    reason = re.sub(r" \([^)]*\d+\.\d+\.\d+\.\d+[^)]*\)", "", reason)  # the server's address
    return "fell back: " + " ".join(reason.split(":")[0].split()[:14])


def metrics(root: str) -> dict[str, float]:
    """The counters of :data:`COUNTERS` from llama.cpp's ``/metrics`` (the server runs with ``--metrics``)."""
    with urllib.request.urlopen(f"{root}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in COUNTERS:
            found[name] = float(value)
    return found


Asked = tuple[str, str, list[str]]  # language, question, gold answers


def xquad_questions(xquad_dir: Path, n: int) -> list[Asked]:
    """``n`` questions of XQuAD dev, Arabic and English pooled, drawn with seed 0, each with its gold answers:
    an English question's own and those of its Arabic translation (the store holds the Arabic articles)."""
    data = {
        lang: json.loads((xquad_dir / f"xquad-dev.{lang}.json").read_text(encoding="utf-8"))["data"]
        for lang in ("ar", "en")
    }
    golds = {q["id"]: [a["text"] for a in q["answers"]] for d in data["ar"] for p in d["paragraphs"] for q in p["qas"]}
    pool = [
        (lang, q["question"], [a["text"] for a in q["answers"]] + (golds.get(q["id"], []) if lang == "en" else []))
        for lang in ("ar", "en")
        for d in data[lang]
        for p in d["paragraphs"]
        for q in p["qas"]
    ]
    rng = np.random.default_rng(0)
    return [pool[i] for i in rng.choice(len(pool), n, replace=False)]


def run_set(qa: Assistant, questions: list[Asked], root: str, log: Any, tag: dict[str, str]) -> dict[str, Any]:
    """Ask every question; return the counts and timings of the set (each answer to ``log`` with ``tag``)."""
    counts: dict[str, collections.Counter[str]] = {"all": collections.Counter()}
    first, whole, retried, looped = [], [], 0, 0
    written, right = 0, 0  # generated answers (kept or partly), and those holding a gold answer
    before = metrics(root)
    for lang, q, golds in questions:
        started, first_at, answer = time.monotonic(), None, None
        for event in qa.stream(q, mode="generative"):
            if isinstance(event, Draft):
                first_at = first_at or time.monotonic()
            else:
                answer = event
        done = time.monotonic()
        assert answer is not None
        kind = outcome(answer)
        counts["all"][kind] += 1
        counts.setdefault(lang, collections.Counter())[kind] += 1
        retried += any("asked again" in n for n in answer.notes)
        looped += any("repeated in a loop" in n for n in answer.notes)
        if kind in ("kept", "partly kept") and golds:
            written += 1
            right += contains_answer(answer.text, golds)
        whole.append(done - started)
        if first_at is not None:
            first.append(first_at - started)
        if log:
            record = {**tag, "language": lang, "question": q, "golds": golds, "outcome": kind, "first_token_s": first_at and first_at - started,
                      "answer_s": done - started, "text": answer.text, "notes": answer.notes,
                      "unsupported": answer.unsupported_sentences}  # fmt: skip
            log.write(json.dumps(record, ensure_ascii=False) + "\n")
            log.flush()
    after = metrics(root)
    delta = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in COUNTERS}
    return {
        "n": len(questions), "counts": counts, "retried": retried, "looped": looped, "written": written, "right": right,
        "first": first, "whole": whole,
        "prompt_tps": delta[COUNTERS[0]] / delta[COUNTERS[1]] if delta[COUNTERS[1]] else None,
        "predicted_tps": delta[COUNTERS[2]] / delta[COUNTERS[3]] if delta[COUNTERS[3]] else None,
        "prompt_tokens": delta[COUNTERS[0]] / max(1, len(questions)),
    }  # fmt: skip


def table(model: str, name: str, r: dict[str, Any]) -> str:
    """The set's figures as a Markdown table, with columns all / ar / en."""
    langs = [k for k in ("all", "ar", "en") if k in r["counts"]]
    kinds = [k for k, _ in r["counts"]["all"].most_common()]
    head = f"\n{MODELS[model].title}, {name}: {r['n']} questions\n\n| outcome | " + " | ".join(langs) + " |"
    rows = [head, "|---|" + "---|" * len(langs)]
    for kind in kinds:
        cells = []
        for lang in langs:
            c, n = r["counts"][lang][kind], sum(r["counts"][lang].values())
            cells.append(f"{c} ({c / n:.0%})" if n else "—")
        rows.append(f"| {kind} | " + " | ".join(cells) + " |")
    p = lambda xs, q: f"{np.percentile(xs, q):.1f}" if xs else "—"  # noqa: E731
    rows.append(
        f"\nasked again for the language: {r['retried']}; loops removed: {r['looped']}; "
        f"written answers (kept or partly) holding a gold answer: {r['right']} of {r['written']}\n"
        f"first token p50 {p(r['first'], 50)} s, p95 {p(r['first'], 95)} s; "
        f"checked answer p50 {p(r['whole'], 50)} s, p95 {p(r['whole'], 95)} s\n"
        f"server: {r['prompt_tokens']:.0f} prompt tokens per question, read at "
        f"{r['prompt_tps'] or 0:.0f} tokens/s; written at {r['predicted_tps'] or 0:.1f} tokens/s"
    )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=[*sorted(MODELS), "all"], default="all")
    parser.add_argument("--xquad", type=int, default=100, help="XQuAD dev questions (0: the gold set only)")
    parser.add_argument("--xquad-dir", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    parser.add_argument("--store", type=Path, default=Path("/tmp/aq-llm"))
    parser.add_argument("--threads", type=int, default=2, help="llama-server threads")
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--out", type=Path, help="write every answer here, one JSON object a line")
    parser.add_argument("--limit", type=int, help="ask at most this many questions of each set (a quick look)")
    parser.add_argument(
        "--answering-margin", type=float, default=assistant.api.ANSWERING_MARGIN,
        help="the off-question check's margin (inf: the check off, to compare)",
    )  # fmt: skip
    args = parser.parse_args()
    assistant.api.ANSWERING_MARGIN = args.answering_margin  # read at each question
    if args.xquad and not (args.xquad_dir / "xquad-dev.ar.json").is_file():
        parser.error(
            f"no XQuAD dev files in {args.xquad_dir}: give --xquad-dir DIR (or --xquad 0 for the gold set only)"
        )
    shutil.rmtree(args.store, ignore_errors=True)
    e5 = E5Embeddings()
    gold = Assistant.build(e5, args.store / "gold")
    gold.ingest_sample_if_empty()
    sets: list[tuple[str, Assistant, list[Asked]]] = [
        ("gold set", gold, [(q.language, q.question, list(q.answers)) for q in load_eval_set(GOLD).questions])
    ]
    if args.xquad:
        xq = Assistant.build(e5, args.store / "xquad")
        for article in load_eval_set(args.xquad_dir / "xquad-dev.ar.json").articles:
            xq.ingest_article(article)
        sets.append((f"XQuAD dev ({args.xquad})", xq, xquad_questions(args.xquad_dir, args.xquad)))
    log = open(args.out, "w", encoding="utf-8") if args.out else None  # noqa: SIM115
    for model in sorted(MODELS) if args.model == "all" else [args.model]:
        process, url = start(model=model, threads=args.threads, log_path=args.store / f"{model}-server.log")
        try:
            chat = make_chat_model(
                "openai-compatible", MODELS[model].alias, base_url=url, timeout=300, max_tokens=args.max_tokens
            )
            context = server_context_tokens(url)
            print(f"llama-server {url}: {MODELS[model].title}, context {context} tokens, {args.threads} threads")
            for name, qa, questions in sets:
                questions = questions[: args.limit] if args.limit else questions
                model_qa = qa.with_chat_model(chat, timeout=300, first_token_timeout=120, context_tokens=context)
                found = run_set(model_qa, questions, url.removesuffix("/v1"), log, {"model": model, "set": name})
                print(table(model, name, found), flush=True)
        finally:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
