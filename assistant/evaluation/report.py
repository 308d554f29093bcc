"""What ``article-qa eval`` writes: terminal tables, ``report.json``, ``questions.csv``, ``report.md`` and a chart."""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from assistant.errors import EvalDataError
from assistant.evaluation.metrics import MRR_DEPTH, QuestionResult, recall_at
from assistant.evaluation.run import EvalRun

#: Each reported metric: dotted key in ``report.json``, label, and whether higher is better.
METRICS: tuple[tuple[str, str, bool], ...] = (
    ("retrieval.recall@1", "recall@1", True),
    ("retrieval.recall@3", "recall@3", True),
    ("retrieval.recall@5", "recall@5", True),
    ("retrieval.mrr", f"MRR@{MRR_DEPTH}", True),
    ("answer.answer_in_citation", "answer in citation", True),
    ("answer.exact_match", "exact match (short answer, else sentences)", True),
    ("answer.f1", "F1 (short answer, else sentences)", True),
    ("answer.sentence_exact_match", "exact match (sentences)", True),
    ("answer.sentence_f1", "F1 (sentences)", True),
    ("short_answer.coverage", "short answer given (answered questions)", True),
    ("short_answer.in_citation", "short answer's sentence holds the answer", True),
    ("citations.precision", "citation precision", True),
    ("abstention.abstain_rate_unanswerable", "abstain rate (unanswerable)", True),
    ("abstention.false_abstain_rate_answerable", "false-abstain rate (answerable)", False),
    ("abstention.partial_rate_unanswerable", "partial answers (unanswerable)", True),
    ("abstention.partial_rate_answerable", "partial answers (answerable)", False),
    ("abstention.reasons.not_stated", "not answered in full: detail not stated", False),
    ("abstention.reasons.outside_articles", "not answered: outside the articles", False),
    ("feedback.marked_wrong", "marked wrong by readers (unlabelled)", False),
    ("feedback.answered_otherwise", "of those, now answered otherwise", True),
    ("latency_ms.p50", "latency p50 (ms)", False),
    ("latency_ms.p95", "latency p95 (ms)", False),
)
#: Files written into ``--out DIR``.
REPORT_JSON, QUESTIONS_CSV, REPORT_MD, RECALL_PNG = "report.json", "questions.csv", "report.md", "recall_at_k.png"
#: Cut-offs drawn in the recall@k chart.
CHART_KS = tuple(range(1, 11))


def metric(report: dict[str, Any], key: str) -> Any:
    """The value of a dotted key (``"retrieval.recall@1"``) in a nested report; ``None`` if absent."""
    value: Any = report
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _format(value: Any, key: str) -> str:
    if value is None:
        return "—"
    if key.startswith("latency_ms"):
        return f"{value:.1f}"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}"


def _scopes(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("all", report), *sorted(report.get("by_language", {}).items())]


def _counts(block: dict[str, Any]) -> str:
    return f"{block['n_questions']} ({block.get('n_answerable', '?')}/{block.get('n_unanswerable', '?')})"


def summary_table(report: dict[str, Any], title: str = "article-qa eval") -> Table:
    """A rich table of every metric, one column for all questions and one per language."""
    scopes = _scopes(report)
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    for name, _ in scopes:
        table.add_column(name, justify="right")
    table.add_row("questions (answerable/not)", *(_counts(block) for _, block in scopes))
    for key, label, _ in METRICS:
        table.add_row(label, *(_format(metric(block, key), key) for _, block in scopes))
    return table


def print_summary(report: dict[str, Any], console: Console | None = None) -> None:
    """Print :func:`summary_table` on the terminal (stdout)."""
    (console or Console(soft_wrap=True)).print(summary_table(report))


def load_report(path: str | Path) -> dict[str, Any]:
    """Read a ``report.json`` written by ``article-qa eval --out`` (or the directory holding one).

    Raises:
        EvalDataError: If it is missing or is not such a report.
    """
    path = Path(path)
    if path.is_dir():
        path = path / REPORT_JSON
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalDataError(f"{path}: no such file (give a report.json written by `article-qa eval --out`)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvalDataError(f"{path}: cannot read it as a report ({exc})") from None
    if not isinstance(report, dict) or "n_questions" not in report or "retrieval" not in report:
        raise EvalDataError(f"{path} is not a report.json of `article-qa eval` (no n_questions/retrieval keys)")
    by_language = report.get("by_language", {})
    if not isinstance(by_language, dict):
        raise EvalDataError(f"{path}: 'by_language' is not an object of languages")
    for scope, block in [("all", report), *by_language.items()]:
        _check_block(block, f"{path}: {'by_language.' + scope if scope != 'all' else 'the report'}")
    return report


def _check_block(block: Any, where: str) -> None:
    if not isinstance(block, dict):
        raise EvalDataError(f"{where} is not an object of metrics")
    for key in ("n_questions", *(k for k, _, _ in METRICS)):
        group = key.split(".")[0]
        if group != key and not isinstance(block.get(group, {}), dict):
            raise EvalDataError(f"{where}: '{group}' is not an object of metrics")
        value = metric(block, key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise EvalDataError(f"{where}: {key} is {json.dumps(value)}, not a number")


def comparison_table(a: dict[str, Any], b: dict[str, Any], names: tuple[str, str] = ("A", "B")) -> Table:
    """A rich table of two reports' metrics side by side, with the difference B − A.

    Rows cover all questions, then each language present in either report;
    a difference is green when it is an improvement and red when not.
    """
    older = [name for name, r in zip(names, (a, b), strict=True) if _before_short_answers(r)]
    a, b = _as_scored_now(a), _as_scored_now(b)
    title = f"A = {names[0]}\nB = {names[1]}"
    if older:
        title += (
            f"\n{' and '.join(older)} predate short answers: their exact match and F1 scored the quoted sentences,"
            " shown here as the sentences' rows"
        )
    table = Table(title=title, title_justify="left")
    for column, justify in (("scope", "left"), ("metric", "left"), ("A", "right"), ("B", "right"), ("B − A", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    languages = sorted(set(a.get("by_language", {})) | set(b.get("by_language", {})))
    for scope in ["all", *languages]:
        ra = a if scope == "all" else a.get("by_language", {}).get(scope, {})
        rb = b if scope == "all" else b.get("by_language", {}).get(scope, {})
        table.add_row(scope, "questions", str(ra.get("n_questions", "—")), str(rb.get("n_questions", "—")), "")
        for key, label, higher_is_better in METRICS:
            va, vb = metric(ra, key), metric(rb, key)
            delta = ""
            if isinstance(va, (int, float)) and isinstance(vb, (int, float)):
                d = vb - va
                text = f"{d:+.1f}" if key.startswith("latency_ms") else f"{d:+.3f}"
                better = d > 0 if higher_is_better else d < 0
                delta = text if abs(d) < 1e-9 else f"[{'green' if better else 'red'}]{text}[/]"
            table.add_row("", label, _format(va, key), _format(vb, key), delta)
        table.add_section()
    return table


def _before_short_answers(report: dict[str, Any]) -> bool:
    """Whether a report was written before short answers: its ``answer`` block has no ``sentence_f1``."""
    return "answer" in report and "sentence_f1" not in report["answer"]


def _as_scored_now(report: dict[str, Any]) -> dict[str, Any]:
    """A report written before short answers with its EM and F1 moved to the sentences' keys (they scored
    the quoted sentences then), so that a comparison pairs like with like; other reports as they are."""
    if not _before_short_answers(report):
        return report
    answer = dict(report["answer"])
    answer["sentence_exact_match"], answer["sentence_f1"] = answer.pop("exact_match", None), answer.pop("f1", None)
    moved = {**report, "answer": answer}
    if "by_language" in report:
        moved["by_language"] = {k: _as_scored_now(v) for k, v in report["by_language"].items()}
    return moved


def report_document(run: EvalRun) -> dict[str, Any]:
    """What ``report.json`` holds: :attr:`EvalRun.report` and a ``run`` object (:attr:`EvalRun.info` and ``gold_not_in_corpus``)."""
    return {**run.report, "run": {**run.info, "gold_not_in_corpus": run.gold_not_in_corpus}}


def write_report(run: EvalRun, out: str | Path) -> list[Path]:
    """Write ``report.json``, ``questions.csv``, ``report.md`` and ``recall_at_k.png`` into ``out``.

    ``report.json`` holds :attr:`EvalRun.report` plus a ``run`` object
    (:attr:`EvalRun.info`); ``questions.csv`` is UTF-8 with a byte-order mark,
    so spreadsheet programs show the Arabic.

    Returns:
        The paths written.

    Raises:
        OSError: If ``out`` cannot be created or written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / REPORT_JSON, out / QUESTIONS_CSV, out / RECALL_PNG, out / REPORT_MD]
    paths[0].write_text(json.dumps(report_document(run), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    _write_questions(run.results, paths[1])
    _plot_recall(run.results, paths[2])
    paths[3].write_text(_markdown(run), encoding="utf-8")
    return paths


def _write_questions(results: Sequence[QuestionResult], path: Path) -> None:
    columns = (
        "id", "language", "question", "answerable", "gold", "answer", "abstained", "hit_rank",
        "cited_passage_ids", "answer_in_citation", "exact_match", "f1", "latency_ms", "mode", "fell_back",
        "partial", "reason", "short_answer", "short_in_citation", "sentence_exact_match", "sentence_f1",
    )  # fmt: skip
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for r in results:
            writer.writerow(
                [
                    r.id, r.language, r.question, r.answerable, " | ".join(r.gold), r.answer, r.abstained,
                    "" if r.hit_rank is None else r.hit_rank, " ".join(r.cited_passage_ids),
                    r.answer_in_citation, r.exact_match, round(r.f1, 4), round(r.latency_ms, 1), r.mode, r.fell_back,
                    r.partial, r.reason or "", r.short_answer or "",
                    "" if r.short_in_citation is None else r.short_in_citation, r.sentence_exact_match,
                    round(r.sentence_f1, 4),
                ]
            )  # fmt: skip


def _plot_recall(results: Sequence[QuestionResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only; no display
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    scopes = [("all", results)] + [
        (lang, [r for r in results if r.language == lang]) for lang in sorted({r.language for r in results})
    ]
    drawn = 0
    for name, subset in scopes if len(scopes) > 2 else scopes[:1]:
        values = [recall_at(subset, k) for k in CHART_KS]
        if values[0] is not None:  # else the subset has no answerable question
            ax.plot(
                CHART_KS,
                [v for v in values if v is not None],
                marker="o",
                label=f"{name} ({sum(r.answerable is True for r in subset)} answerable)",
            )
            drawn += 1
    ax.set_xlabel("k (passages retrieved)")
    ax.set_ylabel("recall@k")
    ax.set_xticks(CHART_KS)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(loc="lower right")
    else:
        ax.text(5.5, 0.5, "no answerable question: no recall", ha="center", va="center")
    ax.set_title("Share of answerable questions with a hit in the top k")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _cell(text: str, limit: int = 120) -> str:
    """One Markdown table cell: one line, shortened, with pipes and HTML escaped (test sets are untrusted)."""
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(text, quote=False).replace("|", "\\|")


def _markdown(run: EvalRun) -> str:
    report, info = run.report, run.info
    scopes = _scopes(report)
    questions_from = f" (question texts from `{info['questions_from']}`)" if info.get("questions_from") else ""
    if info.get("corpus"):
        corpus = ", ".join(f"`{c}`" for c in info["corpus"]) + " (in a temporary store)"
    elif info.get("store") == "temporary":
        corpus = "the test set's paragraphs (in a temporary store)"
    else:
        corpus = f"the store `{info.get('store')}` (read only)"
    counts = f"{_plural(info.get('articles', 0), 'article')}, {_plural(info.get('passages', 0), 'passage')}"
    lines = [
        "# Evaluation report",
        "",
        f"- Test set: `{info['dataset']}` ({info['format']}){questions_from}",
        f"- Corpus: {corpus}: {counts}",
        f"- Model: `{info['embedding_model']}`; top_k {info['top_k']}, min_confidence {info['min_confidence']}, "
        f"max_quotes {info['max_quotes']}, passage_tokens {info['passage_tokens']}",
        "- Answers: "
        + (
            f"written by {_cell(info['chat_model'])} ({info['generated_answers']} of {len(run.results)}; "
            f"{info['fell_back_to_quoting']} fell back to quoting)"
            if info.get("chat_model")
            else "extractive (quotes)"
        ),
        f"- Run: {info['started_at']} on {info['machine']}; ingestion {info.get('ingest_s')} s, "
        f"questions {info.get('questions_s')} s",
        "",
        "## Metrics",
        "",
        "| metric | " + " | ".join(name for name, _ in scopes) + " |",
        "|---|" + "---:|" * len(scopes),
        "| questions (answerable/not) | " + " | ".join(_counts(block) for _, block in scopes) + " |",
    ]
    for key, label, _ in METRICS:
        lines.append(f"| {label} | " + " | ".join(_format(metric(block, key), key) for _, block in scopes) + " |")
    lines += [
        "",
        "Rates are shares in [0, 1]; — means no question qualifies. Definitions and sources: the README's "
        "*Evaluation* section.",
        "",
        f"![recall@k]({RECALL_PNG})",
        "",
    ]
    if run.gold_not_in_corpus:
        lines += [
            "## Gold answers not found in the corpus",
            "",
            "These answerable questions have no gold answer in any article (after normalisation): "
            + ", ".join(f"`{i}`" for i in run.gold_not_in_corpus),
            "",
        ]
    answerable = [r for r in run.results if r.answerable]
    misses = [r for r in answerable if not r.answer_in_citation]
    lines += _question_list("Answerable questions whose gold answer is not in a citation", misses, len(answerable))
    unanswerable = [r for r in run.results if not r.answerable]
    wrong = [r for r in unanswerable if r.answered]
    lines += _question_list("Unanswerable questions that were answered", wrong, len(unanswerable))
    declined = [r for r in answerable if not r.answered]
    lines += _question_list("Answerable questions declined or answered in part", declined, len(answerable))
    return "\n".join(lines)


def _question_list(title: str, rows: Sequence[QuestionResult], total: int, limit: int = 30) -> list[str]:
    if not rows:
        return [f"## {title}", "", "None.", ""]
    lines = [
        f"## {title}",
        "",
        f"{len(rows)} of {total}"
        + (f"; the first {limit} (all in `{QUESTIONS_CSV}`)" if len(rows) > limit else "")
        + ".",
        "",
        "| id | lang | question | gold | hit rank | reason | answer |",
        "|---|---|---|---|---:|---|---|",
    ]
    for r in rows[:limit]:
        rank = "—" if r.hit_rank is None else str(r.hit_rank)
        lines.append(
            f"| {_cell(r.id, 40)} | {_cell(r.language)} | {_cell(r.question)} | {_cell(' | '.join(r.gold), 60)} | {rank} | {r.reason or ''} | {_cell(r.answer)} |"
        )
    return [*lines, ""]
