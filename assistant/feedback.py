"""Readers' feedback on answers, kept as JSON lines beside the store, and the answers marked wrong as a test set.

One line per thumbs up or down (:meth:`FeedbackLog.record`): the time, the verdict, the question, the
answer's text, mode, reason, citations (article id, offsets, quote) and short answer. Lines are only ever
appended, one ``write`` each under an exclusive ``fcntl`` lock and then ``fsync``-ed, so several windows
(processes) on one store never lose or interleave each other's lines. A damaged line (a crash mid-write on
another file system, a hand edit) is skipped with a warning in the log, never fatal.

:meth:`FeedbackLog.export_wrong` writes the questions marked wrong as a JSONL test set that
``article-qa eval`` reads: no gold answer is known, so each is an *unlabelled* question
(``"answerable": null``) carrying the answer marked wrong (``"marked_wrong"``); ``eval`` runs them and
reports how many now get another answer. Fill in ``answers`` (and set ``answerable``) to score them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.types import Answer

log = logging.getLogger(__name__)

#: The feedback file's name beside an embedded store.
FEEDBACK_FILE = "feedback.jsonl"


def feedback_entry(
    answer: Answer, liked: bool, *, article_ids: Sequence[str] | None = None, comment: str | None = None
) -> dict[str, Any]:
    """One feedback line: ``{"time" (UTC, ISO 8601), "liked", "question", "language", "answer", "mode",
    "abstained", "reason", "summary", "article_ids" (the articles asked about; ``[]`` for all),
    "citations" ([{"n", "article_id", "passage_id", "char_start", "char_end", "quote"}]),
    "short_answer" (``{"text", "article_id", "char_start", "char_end"}`` or ``None``), "comment"}``."""
    short = answer.short_answer
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "liked": liked,
        "question": answer.question,
        "language": answer.language,
        "answer": answer.text,
        "mode": answer.mode,
        "abstained": answer.abstained,
        "reason": answer.reason,
        "summary": answer.summary,
        "article_ids": list(article_ids or []),
        "citations": [
            {
                "n": c.n,
                "article_id": c.article_id,
                "passage_id": c.passage_id,
                "char_start": c.char_start,
                "char_end": c.char_end,
                "quote": c.quote,
            }
            for c in answer.citations
        ],
        "short_answer": None
        if short is None
        else {
            "text": short.text,
            "article_id": short.article_id,
            "char_start": short.char_start,
            "char_end": short.char_end,
        },
        "comment": comment,
    }


class FeedbackLog:
    """The feedback file of a store (:data:`FEEDBACK_FILE` beside an embedded one).

    Args:
        path: The JSONL file; created, with its directory, on the first :meth:`record`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def record(
        self, answer: Answer, liked: bool, *, article_ids: Sequence[str] | None = None, comment: str | None = None
    ) -> dict[str, Any]:
        """Append one verdict on ``answer`` (:func:`feedback_entry`); return the line written.

        Raises:
            AssistantError: If the file cannot be written (the reason, and the path, in the message).
        """
        entry = feedback_entry(answer, liked, article_ids=article_ids, comment=comment)
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)  # closing releases the lock
        except OSError as exc:
            raise AssistantError(f"cannot write feedback to {self.path}: {exc.strerror or exc}") from exc
        return entry

    def entries(self) -> list[dict[str, Any]]:
        """Every feedback line, oldest first; ``[]`` when there is no file. Damaged lines are skipped (logged)."""
        if not self.path.is_file():
            return []
        rows = []
        with self.path.open(encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    log.warning("%s:%d is not a JSON line: skipped", self.path, number)
                    continue
                if (
                    isinstance(row, dict)
                    and isinstance(row.get("question"), str)
                    and isinstance(row.get("liked"), bool)
                ):
                    rows.append(row)
                else:
                    log.warning("%s:%d is not a feedback line: skipped", self.path, number)
        return rows

    def verdicts(self) -> dict[str, dict[str, Any]]:
        """The latest line for each question (a reader who changes their mind: the last click counts), by a
        key of 12 hex digits of the question's SHA-256, in the order the questions were first rated."""
        latest: dict[str, dict[str, Any]] = {}
        for row in self.entries():
            latest[hashlib.sha256(row["question"].strip().encode("utf-8")).hexdigest()[:12]] = row
        return latest

    def export_wrong(self, out: str | Path) -> int:
        """Write the questions marked wrong (thumbs down) as a JSONL test set for ``article-qa eval``.

        Each line: ``{"id", "question", "lang", "answerable": null, "answers": [], "marked_wrong",
        "article_ids", "time"}``; ``id`` is ``feedback-`` and the key of :meth:`verdicts`: a question is
        written once, if its latest verdict is wrong (marked wrong and later right: left out).

        Returns:
            How many questions were written.

        Raises:
            AssistantError: If ``out`` cannot be written.
        """
        wrong = [(key, row) for key, row in self.verdicts().items() if not row["liked"]]
        lines = [
            json.dumps(
                {
                    "id": f"feedback-{key}",
                    "question": row["question"],
                    "lang": row.get("language"),
                    "answerable": None,
                    "answers": [],
                    "marked_wrong": row.get("answer", ""),
                    "article_ids": row.get("article_ids") or [],
                    "time": row.get("time"),
                },
                ensure_ascii=False,
            )
            for key, row in wrong
        ]
        try:
            Path(out).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        except OSError as exc:
            raise AssistantError(f"cannot write {out}: {exc.strerror or exc}") from exc
        return len(lines)
