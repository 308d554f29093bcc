"""Readers' feedback kept beside the store: appended by several processes without loss, damaged lines
skipped, the wrong answers exported as a test set that eval reads; a conversation exported."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from assistant import Answer, Assistant, AssistantError, Citation
from assistant.evaluation import load_eval_set
from assistant.feedback import FeedbackLog


def answer(question: str, text: str = "According to the article: “x” [1]") -> Answer:
    citation = Citation(1, "a-v-0000", "a", "x y", "x", 0, 1, 0.9)
    return Answer(question, "en", text, abstained=False, citations=[citation])


def _write(path: str, worker: int, count: int) -> None:
    log = FeedbackLog(path)
    for i in range(count):
        log.record(answer(f"question {worker}-{i} " + "long " * 400), liked=i % 2 == 0)


def test_several_processes_append_without_losing_or_mixing_a_line(tmp_path):
    path = tmp_path / "store" / "feedback.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write, args=(str(path), w, 25)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    entries = FeedbackLog(path).entries()
    assert len(entries) == 100, "every line of 4 × 25, each whole (one write of ~2 KB each)"
    assert {e["question"].split()[1] for e in entries} == {f"{w}-{i}" for w in range(4) for i in range(25)}


def test_damaged_lines_are_skipped_and_a_question_marked_wrong_twice_is_exported_once(tmp_path, caplog):
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    log.record(answer("When did they meet?"), liked=False)
    with log.path.open("a", encoding="utf-8") as f:
        f.write('{"broken": \n["not", "a", "dict"]\n')
    log.record(answer("When did they meet?", "Another answer [1]"), liked=False)
    log.record(answer("How much did trade grow?"), liked=False)
    log.record(answer("How much did trade grow?"), liked=True)  # marked right later: not exported
    log.record(answer("Who signed?"), liked=True)
    assert len(log.entries()) == 5 and "not a JSON line" in caplog.text
    assert [r["liked"] for r in log.verdicts().values()] == [False, True, True], "each question's latest verdict"
    out = tmp_path / "wrong.jsonl"
    assert log.export_wrong(out) == 1
    (q,) = load_eval_set(out).questions
    assert q.question == "When did they meet?" and q.answerable is None and q.answers == ()
    assert q.marked_wrong == "Another answer [1]", "the latest verdict's answer"
    with pytest.raises(AssistantError, match="cannot write"):
        log.export_wrong(tmp_path / "missing-dir" / "x.jsonl")
    assert FeedbackLog(tmp_path / "none.jsonl").entries() == []


def test_an_unlabelled_question_must_have_no_answers(tmp_path):
    from assistant.errors import EvalDataError

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": 1, "question": "q?", "answerable": None, "answers": ["x"]}) + "\n", "utf-8")
    with pytest.raises(EvalDataError, match="write true or false"):
        load_eval_set(bad)


def test_the_feedback_file_sits_beside_an_embedded_store_and_a_conversation_exports(sample_assistant):
    assert sample_assistant.feedback.path == sample_assistant.store_path / "feedback.jsonl"
    summary = sample_assistant.ask("لخص المقال")
    met = sample_assistant.ask("When did Putin and Xi last meet in person?")
    markdown = Assistant.export_conversation([summary, met])
    assert "## 1. السؤال: لخص المقال" in markdown and "نوفمبر 2019" in markdown
    for c in [*summary.citations, *met.citations]:
        assert f"> {c.quote}" in markdown and f"characters {c.char_start}–{c.char_end}" in markdown
    document = json.loads(Assistant.export_conversation([summary, met], "json"))
    assert document["turns"][1]["short_answer"]["char_start"] == met.short_answer.char_start  # type: ignore[union-attr]
    with pytest.raises(AssistantError, match="markdown"):
        Assistant.export_conversation([met], "pdf")  # type: ignore[arg-type]


def test_feedback_of_the_wrong_type_is_refused_before_anything_is_written(sample_assistant, tmp_path):
    from assistant import Assistant as A

    qa = A.build(sample_assistant.embeddings, tmp_path / "store")
    met = answer("When?")
    for bad in ({"liked": "no"}, {"liked": True, "article_ids": "football"}, {"liked": True, "comment": 5}):
        with pytest.raises(AssistantError):
            qa.record_feedback(met, **bad)
    with pytest.raises(AssistantError):
        qa.record_feedback("an answer", True)  # type: ignore[arg-type]
    assert not qa.feedback.path.exists()
    with pytest.raises(AssistantError, match="list of the Answers"):
        Assistant.export_conversation("text")  # type: ignore[arg-type]
