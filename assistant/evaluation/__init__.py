"""``article-qa eval``: score the assistant on question-answer test sets.

Load a set (:func:`load_eval_set`), run it (:func:`run_evaluation`, or
:func:`evaluate` with an assistant you built), and write or print the
report (:func:`write_report`, :func:`print_summary`). The metrics and their
sources are in :mod:`assistant.evaluation.metrics`.

Example:
    >>> from assistant.settings import Settings
    >>> s = load_eval_set("xquad-dev.ar.json", questions="xquad-dev.en.json")
    >>> run = run_evaluation(s, Settings(), progress=True)
    >>> run.report["retrieval"]["recall@1"]
"""

from assistant.evaluation.datasets import EvalQuestion, EvalSet, load_eval_set
from assistant.evaluation.metrics import QuestionResult, summarize
from assistant.evaluation.report import (
    comparison_table,
    load_report,
    print_summary,
    report_document,
    summary_table,
    write_report,
)
from assistant.evaluation.run import EvalRun, evaluate, run_evaluation

__all__ = [
    "EvalQuestion",
    "EvalRun",
    "EvalSet",
    "QuestionResult",
    "comparison_table",
    "evaluate",
    "load_eval_set",
    "load_report",
    "print_summary",
    "report_document",
    "run_evaluation",
    "summarize",
    "summary_table",
    "write_report",
]
