"""Question-answer test sets for ``article-qa eval``: SQuAD JSON, JSONL and CSV.

Three formats, one shape (:class:`EvalSet`):

* **SQuAD JSON** (SQuAD v1.1/v2.0, XQuAD, MLQA, ARCD; Rajpurkar et al. 2016):
  each ``data[]`` entry becomes one article, its paragraphs joined by blank
  lines in order, so a passage never crosses a paragraph (see
  :mod:`ingest.splitting`) and each question knows the span of its gold
  paragraph. ``is_impossible: true`` (SQuAD v2.0) marks an unanswerable
  question. With a parallel file (same question ids, e.g. XQuAD's English
  file against its Arabic one) the question texts come from that file:
  cross-lingual evaluation as in XQuAD (Artetxe et al. 2020) and MLQA
  (Lewis et al. 2020).
* **JSONL**: one object per line with ``id``, ``question``, ``answers`` (list
  of strings as they appear in the article), ``answerable`` (default true)
  and an optional ``lang``. Evaluated against articles given separately.
  ``"answerable": null`` with no answers is an *unlabelled* question (as
  ``article-qa feedback export`` writes the answers readers marked wrong, with
  the answer marked wrong in ``marked_wrong``): it is run and counted, and
  scored only for whether it now gets another answer.
* **CSV** with the same columns; ``answers`` is a JSON list
  (``["102.5", "١٠٢٫٥"]``) or a single answer written as is.

Every error names the file and the line or record at fault.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assistant.errors import EvalDataError
from assistant.request import MAX_QUESTION_CHARS
from ingest.language import detect_language
from ingest.loaders import make_article_id
from ingest.normalize import remove_invisible
from ingest.types import Article

#: File suffixes of each test-set format.
FORMATS: dict[str, Literal["squad", "jsonl", "csv"]] = {
    ".json": "squad",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
}
#: Columns a CSV test set must have (``answerable`` and ``lang`` are optional).
CSV_REQUIRED = ("id", "question", "answers")
_LANG = re.compile(r"[a-z]{2,3}(-[a-z0-9]+)*")
_TRUE = {"true", "1", "yes", "y", ""}
_FALSE = {"false", "0", "no", "n"}


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    """One question of a test set, with its gold answers.

    Attributes:
        id: Question id, unique in the set.
        question: The question text.
        answers: Gold answers as they appear in the article; empty when not answerable.
        answerable: Whether the article answers it; ``None`` when not labelled (JSONL ``null``).
        language: Language of the question: ``lang`` from the file, else
            :func:`ingest.detect_language` (``"ar"`` or ``"en"``).
        article_id: Article holding the gold paragraph (SQuAD sets), else ``None``.
        paragraph: ``(char_start, char_end)`` of the gold paragraph in that
            article's text (SQuAD sets), else ``None``.
        marked_wrong: For an unlabelled question from readers' feedback, the answer they marked wrong.
    """

    id: str
    question: str
    answers: tuple[str, ...]
    answerable: bool | None = True
    language: str = "en"
    article_id: str | None = None
    paragraph: tuple[int, int] | None = None
    marked_wrong: str | None = None


@dataclass(frozen=True, slots=True)
class EvalSet:
    """A loaded test set.

    Attributes:
        source: Path of the file.
        format: ``"squad"``, ``"jsonl"`` or ``"csv"``.
        questions: The questions, in file order.
        articles: The corpus a SQuAD file carries (one article per ``data[]``
            entry); empty for JSONL and CSV sets, which are run against
            articles given separately.
        questions_source: Path of the parallel SQuAD file the question texts
            came from, or ``None``.
    """

    source: str
    format: Literal["squad", "jsonl", "csv"]
    questions: list[EvalQuestion]
    articles: list[Article] = field(default_factory=list)
    questions_source: str | None = None


def load_eval_set(path: str | Path, questions: str | Path | None = None) -> EvalSet:
    """Load a test set, choosing the format by the file suffix (see :data:`FORMATS`).

    Args:
        path: ``.json`` (SQuAD), ``.jsonl``/``.ndjson`` or ``.csv`` file.
        questions: A parallel SQuAD file whose question texts replace those
            of ``path`` (same ids); SQuAD sets only.

    Raises:
        EvalDataError: If a file is missing, unreadable, of an unknown type,
            or has a bad record (the message names its line or position).
    """
    path = Path(path)
    if path.is_dir():
        raise EvalDataError(f"{path} is a directory: give a test-set file (SQuAD .json, .jsonl or .csv)")
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise EvalDataError(
            f"{path}: unknown test-set type {path.suffix or '(no suffix)'!r}: give a SQuAD .json, a .jsonl or a .csv file"
        )
    if questions is not None and kind != "squad":
        raise EvalDataError(
            f"--questions takes a parallel SQuAD file and works with a SQuAD .json set, not {path.name}"
        )
    if kind == "squad":
        return load_squad(path, questions)
    records = _jsonl_records(path) if kind == "jsonl" else _csv_records(path)
    seen: dict[str, str] = {}
    items = []
    for where, record in records:
        q = _question_from_record(record, where, strict_types=kind == "jsonl")
        if q.id in seen:
            raise EvalDataError(f"{where}: question id {q.id!r} is already used at {seen[q.id]}: ids must be unique")
        seen[q.id] = where
        items.append(q)
    if not items:
        raise EvalDataError(f"{path} holds no question")
    return EvalSet(str(path), kind, items)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise EvalDataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise EvalDataError(f"{path} is a directory: give a test-set file") from None
    except UnicodeDecodeError as exc:
        raise EvalDataError(f"{path} is not UTF-8 text (byte {exc.start}): save it as UTF-8") from None
    except OSError as exc:
        raise EvalDataError(f"{path}: cannot read ({exc.strerror})") from None


def _jsonl_records(path: Path) -> Iterator[tuple[str, Any]]:
    for lineno, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {lineno}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalDataError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None


def _csv_records(path: Path) -> Iterator[tuple[str, Any]]:
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise EvalDataError(f"{path}, line 1: the header has {', '.join(repeated)} more than once")
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise EvalDataError(
            f"{path}, line 1: the header lacks {', '.join(missing)}: the columns are "
            "id, question, answers, answerable (optional), lang (optional)"
        )
    reader.fieldnames = header
    for row in reader:
        where = f"{path}, line {reader.line_num}"
        if None in row:
            raise EvalDataError(f"{where}: more cells than header columns (quote cells that hold commas)")
        yield where, row


def _csv_answers(cell: str, where: str) -> list[str]:
    cell = cell.strip()
    if not cell:
        return []
    if cell.startswith("["):
        try:
            value = json.loads(cell)
        except json.JSONDecodeError as exc:
            raise EvalDataError(f"{where}: answers is not a valid JSON list ({exc.msg})") from None
        return value
    return [cell]


def _csv_bool(cell: str, where: str) -> bool:
    value = cell.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise EvalDataError(f"{where}: answerable is {cell!r}: write true or false")


def _question_text(value: Any, where: str) -> str:
    """A question as the assistant takes it: text, not empty without invisible characters, not too long."""
    if not isinstance(value, str) or not remove_invisible(value).strip():
        raise EvalDataError(f"{where}: no 'question' text")
    text = value.strip()
    if len(text) > MAX_QUESTION_CHARS:
        raise EvalDataError(
            f"{where}: the question is {len(text):,} characters long; the assistant takes at most {MAX_QUESTION_CHARS:,}"
        )
    return text


def _question_from_record(record: Any, where: str, strict_types: bool) -> EvalQuestion:
    """Check one JSONL object or CSV row and build its question."""
    if not isinstance(record, Mapping):
        raise EvalDataError(f"{where}: expected an object with id, question, answers; got {type(record).__name__}")
    qid = record.get("id")
    if isinstance(qid, bool) or not isinstance(qid, (str, int, float)) or not str(qid).strip():
        raise EvalDataError(f"{where}: no 'id' (a non-empty string or number)")
    qid = str(qid).strip()
    question = _question_text(record.get("question"), f"{where} (id {qid})")
    if strict_types:  # JSONL: JSON types
        answerable, answers = record.get("answerable", True), record.get("answers", [])
        if answerable is None and not record.get("answers"):  # unlabelled: from feedback, say
            answers = []
        elif not isinstance(answerable, bool):
            raise EvalDataError(
                f"{where} (id {qid}): 'answerable' is {json.dumps(answerable)}: write true or false "
                "(or null, with no answers, for a question not labelled yet)"
            )
    else:  # CSV: every cell is a string
        answerable = _csv_bool(record.get("answerable") or "", where)
        answers = _csv_answers(record.get("answers") or "", where)
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        raise EvalDataError(f"{where} (id {qid}): 'answers' must be a list of non-empty strings")
    if answerable and not answers:
        raise EvalDataError(
            f"{where} (id {qid}): an answerable question needs at least one gold answer; "
            'for a question the article does not answer write "answerable": false'
        )
    if answerable is False and answers:
        raise EvalDataError(f"{where} (id {qid}): marked not answerable but lists answers: drop one or the other")
    lang = record.get("lang") or None
    if lang is not None:
        if not isinstance(lang, str) or not _LANG.fullmatch(lang.strip().lower()):
            raise EvalDataError(f"{where} (id {qid}): 'lang' is {lang!r}: give a language code such as ar or en")
        lang = lang.strip().lower()
    return EvalQuestion(
        id=qid,
        question=question,
        answers=tuple(dict.fromkeys(a.strip() for a in answers)),
        answerable=answerable,
        language=lang or detect_language(question),
        marked_wrong=record.get("marked_wrong") if isinstance(record.get("marked_wrong"), str) else None,
    )


def _load_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise EvalDataError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None


def _squad_entries(path: Path) -> list[Any]:
    data = _load_json(path)
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise EvalDataError(
            f"{path}: no top-level 'data' list, so not a SQuAD file; JSONL and CSV sets take the suffix .jsonl or .csv"
        )
    return entries


def _squad_questions(path: Path) -> dict[str, str]:
    """Question texts of a SQuAD file by id (for ``--questions``)."""
    texts = {}
    for entry in _squad_entries(path):
        for paragraph in entry.get("paragraphs", []) if isinstance(entry, dict) else []:
            for qa in paragraph.get("qas", []) if isinstance(paragraph, dict) else []:
                if isinstance(qa, dict) and isinstance(qa.get("question"), str) and "id" in qa:
                    texts[str(qa["id"])] = qa["question"]
    return texts


def load_squad(path: str | Path, questions: str | Path | None = None) -> EvalSet:
    """Load a SQuAD-format file: its paragraphs as the corpus, its ``qas`` as the questions.

    Each ``data[]`` entry becomes an article whose id is its title made safe
    (``Super_Bowl_50``), numbered when titles repeat, and whose text is its
    paragraphs' ``context``, stripped, joined by blank lines.

    Args:
        path: The SQuAD file.
        questions: A parallel SQuAD file (same question ids) whose question
            texts are used instead, e.g. ``xquad.en.json`` against ``xquad.ar.json``.

    Raises:
        EvalDataError: If a record lacks a field (the message gives its
            position, e.g. ``data[3].paragraphs[2].qas[5]``), an id repeats,
            or the parallel file lacks some of the ids.
    """
    path = Path(path)
    entries = _squad_entries(path)
    other = _squad_questions(Path(questions)) if questions is not None else None
    articles: list[Article] = []
    items: list[EvalQuestion] = []
    seen: dict[str, str] = {}
    missing: list[str] = []
    for i, entry in enumerate(entries):
        where = f"{path}: data[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("paragraphs"), list):
            raise EvalDataError(f"{where} has no 'paragraphs' list")
        title = str(entry.get("title") or f"article {i}")
        article_id = make_article_id(title)
        if article_id in {a.article_id for a in articles}:
            article_id = f"{article_id}-{i}"
        parts: list[str] = []
        offset = 0
        for j, paragraph in enumerate(entry["paragraphs"]):
            pwhere = f"{where}.paragraphs[{j}]"
            context = paragraph.get("context") if isinstance(paragraph, dict) else None
            if not isinstance(context, str) or not context.strip():
                raise EvalDataError(f"{pwhere} has no 'context' text")
            context = context.strip()
            start = offset + (2 if parts else 0)
            span = (start, start + len(context))
            parts.append(context)
            offset = span[1]
            for k, qa in enumerate(paragraph.get("qas") or []):
                qwhere = f"{pwhere}.qas[{k}]"
                item = _squad_question(qa, qwhere, article_id, span)
                if item.id in seen:
                    raise EvalDataError(f"{qwhere}: question id {item.id!r} is already used at {seen[item.id]}")
                seen[item.id] = qwhere
                if other is not None:
                    if item.id not in other:
                        missing.append(item.id)
                        continue
                    text = _question_text(other[item.id], f"{questions}: question {item.id}")
                    item = EvalQuestion(
                        item.id, text, item.answers, item.answerable, detect_language(text), article_id, span
                    )
                items.append(item)
        text = "\n\n".join(parts)
        articles.append(
            Article(
                article_id=article_id,
                text=text,
                title=title.replace("_", " "),
                source=f"{path.resolve()}#data[{i}]",
                language=detect_language(text),
            )
        )
    if missing:
        raise EvalDataError(
            f"{questions} lacks {len(missing)} of the {len(seen)} question ids of {path} "
            f"(e.g. {', '.join(missing[:3])}): give the parallel file of the same dataset"
        )
    if not items:
        raise EvalDataError(f"{path} holds no question (no 'qas' in any paragraph)")
    return EvalSet(str(path), "squad", items, articles, str(questions) if questions is not None else None)


def _squad_question(qa: Any, where: str, article_id: str, span: tuple[int, int]) -> EvalQuestion:
    if not isinstance(qa, dict) or "id" not in qa:
        raise EvalDataError(f"{where} has no 'id'")
    qid = str(qa["id"])
    question = _question_text(qa.get("question"), f"{where} (id {qid})")
    impossible = qa.get("is_impossible", False)
    if not isinstance(impossible, bool):
        raise EvalDataError(f"{where} (id {qid}): 'is_impossible' is {json.dumps(impossible)}: write true or false")
    raw = qa.get("answers") or []
    if not isinstance(raw, list) or not all(isinstance(a, dict) and isinstance(a.get("text"), str) for a in raw):
        raise EvalDataError(f"{where} (id {qid}): 'answers' must be a list of {{'text': ..., 'answer_start': ...}}")
    answers = tuple(dict.fromkeys(a["text"].strip() for a in raw if a["text"].strip()))
    if not impossible and not answers:
        raise EvalDataError(f"{where} (id {qid}) has no answer text and is not marked 'is_impossible'")
    return EvalQuestion(
        id=qid,
        question=question,
        answers=() if impossible else answers,
        answerable=not impossible,
        language=detect_language(question),
        article_id=article_id,
        paragraph=span,
    )
