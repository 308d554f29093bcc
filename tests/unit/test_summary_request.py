"""Summary requests are told from questions without a model, and their topic is read as written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.summary import select_sentences, summary_length, summary_request
from ingest.types import Passage

FIT = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "summary_requests_fit.jsonl"
ROWS = [json.loads(line) for line in FIT.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("row", ROWS, ids=[r["text"][:40] for r in ROWS])
def test_the_fit_set_is_recognised_with_its_topics(row):
    got = summary_request(row["text"], row["language"])
    assert (got is not None) == row["summary"]
    if got is not None:
        assert got.topic == row["topic"]


@pytest.mark.parametrize(
    "question",
    [
        "What was the main idea of James Hutton's paper?",  # an XQuAD question: "main idea" of something else
        "ما الموضوع الذي ناقشه الوزراء في اجتماعهم؟",
        "ماذا جاء في ملخص البيان الختامي عن أوكرانيا؟",
        "What did the summit's summary statement say about Russia?",
        "كم بلغ حجم التبادل التجاري؟",
    ],
)
def test_a_question_that_only_mentions_a_summary_or_a_topic_is_a_question(question):
    assert summary_request(question, "en") is None


def test_a_prefix_glued_to_the_topic_is_left_out_and_diacritics_kept():
    assert summary_request("لخّص الجزء المتعلق بالطاقة", "ar").topic == "الطاقة"  # type: ignore[union-attr]
    assert summary_request("عن ماذا يتحدث الخبر؟", "ar").topic is None  # type: ignore[union-attr]


def _passage(pid: str, start: int, sentences: list[str]) -> tuple[Passage, list[tuple[int, int]]]:
    text, spans, at = "", [], start
    for s in sentences:
        spans.append((at, at + len(s)))
        text += s + " "
        at += len(s) + 1
    return Passage("a", pid, int(pid[-1]), text.rstrip(), start, start + len(text.rstrip()), None, tuple(spans)), spans


def test_selection_opens_with_the_lead_covers_passages_and_keeps_article_order():
    """Four passages of two near-identical sentences each, along their own direction plus a shared one; the
    second passage holds most of the shared direction (the most central), the third none."""
    passages, vectors, at = [], {}, 0
    shared = np.eye(6)[5]
    for k, weight in enumerate([1.0, 3.0, 0.0, 1.0]):
        p, spans = _passage(f"p{k}", at, [f"sentence number {k} one here", f"sentence number {k} two here"])
        passages.append(p)
        at = p.char_end + 2
        for j, span in enumerate(spans):
            v = np.eye(6)[k] + weight * shared + 0.05 * j * np.eye(6)[4]
            vectors[(p.passage_id, *span)] = (v / np.linalg.norm(v)).astype(np.float32)
    chosen = select_sentences(list(reversed(passages)), vectors)
    assert len(chosen) == summary_length(8) == 3
    assert [c.char_start for c in chosen] == sorted(c.char_start for c in chosen), "article order"
    assert chosen[0].passage.passage_id == "p0" and chosen[1].passage.passage_id == "p1", "the lead, the most central"
    assert len({c.passage.passage_id for c in chosen}) == 3, "never the same passage's twin sentence"
    assert "p2" not in {c.passage.passage_id for c in chosen}, "the passage farthest from the centroid is left out"
    for c in chosen:
        assert c.passage.text[c.char_start - c.passage.char_start : c.char_end - c.passage.char_start] == c.text
    first = select_sentences(passages, vectors, count=1)
    assert [c.passage.passage_id for c in first] == ["p1"], "the lead: the most central of the first three sentences"


def test_sentences_without_a_stored_embedding_or_too_short_are_never_chosen():
    p, spans = _passage(
        "p0", 0, ["Too short.", "This sentence is long enough to quote.", "Another long enough sentence here."]
    )
    v = np.ones(4, dtype=np.float32) / 2
    vectors = {("p0", *spans[0]): v, ("p0", *spans[1]): v}
    chosen = select_sentences([p], vectors)
    assert [c.text for c in chosen] == ["This sentence is long enough to quote."]
    assert select_sentences([p], {}) == []
