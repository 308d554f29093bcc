"""Run a test set through the assistant and score every question.

The corpus of an evaluation goes into a temporary store (a Chroma store in
a temporary directory, removed afterwards), never into the user's: a SQuAD
file's own paragraphs, or the articles given with ``corpus``. A JSONL or CSV
set without a corpus is run against the user's store, which is only read.
"""

from __future__ import annotations

import logging
import platform
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from assistant.api import Assistant
from assistant.errors import EvalDataError
from assistant.evaluation.datasets import EvalQuestion, EvalSet
from assistant.evaluation.metrics import QuestionResult, contains_answer, score_question, summarize
from vectorstore.chroma import has_collection, store_location

if TYPE_CHECKING:
    from assistant.settings import Settings

log = logging.getLogger(__name__)

#: Collection name of the temporary evaluation store.
EVAL_COLLECTION = "eval"


@dataclass(frozen=True, slots=True)
class EvalRun:
    """The outcome of an evaluation.

    Attributes:
        results: One :class:`QuestionResult` per question, in test-set order.
        report: :func:`assistant.evaluation.metrics.summarize` of ``results``.
        info: What was run: ``dataset``, ``questions_from``, ``corpus``,
            ``articles``, ``passages``, ``embedding_model``, the answer
            settings, ``ingest_s`` and ``questions_s`` (seconds),
            ``started_at`` (ISO 8601, UTC), ``machine``.
        gold_not_in_corpus: Ids of answerable questions none of whose gold
            answers occurs in any article of the corpus: a typo in the test
            set, or the wrong corpus.
    """

    results: list[QuestionResult]
    report: dict[str, Any]
    info: dict[str, Any]
    gold_not_in_corpus: list[str] = field(default_factory=list)


def evaluate(qa: Assistant, questions: Sequence[EvalQuestion], *, progress: bool = False) -> list[QuestionResult]:
    """Ask every question and score the answer and the retrieval behind it.

    Latency is the wall time of one :meth:`Assistant.ask_traced` call, in
    ms. The first question is asked once untimed beforehand, so one-off
    costs (loading the model and the index) do not count as latency.

    Raises:
        StoreError: If the store cannot be read.
    """
    results = []
    if questions:
        qa.ask_traced(questions[0].question)  # warm-up, untimed
    for q in tqdm(questions, desc="questions", unit="q", disable=not progress):
        start = time.perf_counter()
        trace = qa.ask_traced(q.question)
        latency_ms = (time.perf_counter() - start) * 1000
        results.append(score_question(q, trace, latency_ms))
    return results


def _gold_not_in_corpus(qa: Assistant, questions: Sequence[EvalQuestion]) -> list[str]:
    texts = [record[0] for a in qa.store.article_ids() if (record := qa.store.get_article(a)) is not None]
    return [q.id for q in questions if q.answerable and not any(contains_answer(t, q.answers) for t in texts)]


def _run(qa: Assistant, eval_set: EvalSet, info: dict[str, Any], progress: bool) -> EvalRun:
    articles = qa.store.article_ids()
    info["articles"] = len(articles)
    info["passages"] = qa.store.count()
    missing = _gold_not_in_corpus(qa, eval_set.questions)
    if missing:
        log.info(
            "%d answerable question(s) have no gold answer in any article of the corpus (%s): check the answers "
            "or the corpus",
            len(missing),
            ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else ""),
        )
    start = time.perf_counter()
    results = evaluate(qa, eval_set.questions, progress=progress)
    info["questions_s"] = round(time.perf_counter() - start, 2)
    info["chat_model"] = qa.generative.name if qa.generative else None  # None: extractive answers only
    if qa.generative is not None:
        info["generated_answers"] = sum(r.mode == "generative" for r in results)
        info["fell_back_to_quoting"] = sum(r.fell_back for r in results)
    return EvalRun(results, summarize(results), info, missing)


def run_evaluation(
    eval_set: EvalSet,
    settings: Settings,
    *,
    corpus: Sequence[str | Path] = (),
    progress: bool = False,
) -> EvalRun:
    """Evaluate the assistant that ``settings`` describe on a test set.

    Args:
        eval_set: The test set (:func:`assistant.evaluation.load_eval_set`).
        settings: Embedding model and answer settings; its ``store`` is used
            only for a JSONL/CSV set without ``corpus``, and only read.
        corpus: Article files, directories or URLs for a JSONL/CSV set,
            ingested into a temporary store.
        progress: Show tqdm bars for ingestion and questions (on stderr).

    Raises:
        EvalDataError: If a SQuAD set is given a ``corpus``, or a JSONL/CSV
            set has neither a corpus nor articles in the store.
        IngestError: If a corpus article cannot be loaded.
        StoreError, ModelMismatchError: If the user's store cannot be read
            with this model.
    """
    info: dict[str, Any] = {
        "dataset": eval_set.source,
        "format": eval_set.format,
        "questions_from": eval_set.questions_source,
        "corpus": [str(c) for c in corpus] if corpus else None,
        "embedding_model": settings.embedding_model,
        **{k: getattr(settings, k) for k in ("top_k", "min_confidence", "max_quotes", "passage_tokens")},
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
    }
    if eval_set.articles and corpus:
        raise EvalDataError(
            f"{eval_set.source} is a SQuAD file and brings its own corpus (its paragraphs): drop --corpus"
        )
    if not eval_set.articles and not corpus:
        return _run_on_user_store(eval_set, settings, info, progress)
    with tempfile.TemporaryDirectory(prefix="article-qa-eval-") as tmp:
        # Always an embedded store of its own, even when the user's store is a Chroma server.
        qa = Assistant.from_settings(settings, store=Path(tmp) / "store", collection=EVAL_COLLECTION, chroma_host=None)
        start = time.perf_counter()
        if corpus:
            qa.ingest(corpus, progress=progress)
        else:
            for article in tqdm(eval_set.articles, desc="ingesting", unit="article", disable=not progress):
                qa.ingest_article(article)
        info["store"] = "temporary"
        info["ingest_s"] = round(time.perf_counter() - start, 2)
        return _run(qa, eval_set, info, progress)


def _run_on_user_store(eval_set: EvalSet, settings: Settings, info: dict[str, Any], progress: bool) -> EvalRun:
    store = store_location(settings.store, settings.chroma_host, settings.chroma_port)
    # Checked without opening it for writing: eval never creates a store or a collection.
    if not has_collection(settings.store, settings.collection, host=settings.chroma_host, port=settings.chroma_port):
        where = (
            f"there is no store at {store}"
            if not settings.chroma_host and not Path(settings.store).is_dir()
            else f"the store {store} has no collection {settings.collection!r}"
        )
        raise EvalDataError(f"{where} to evaluate against: give the articles with --corpus PATH, or ingest them first")
    qa = Assistant.from_settings(settings)
    if not qa.store.article_ids():
        raise EvalDataError(f"the store {store} holds no article: give the articles with --corpus PATH")
    info["store"] = store
    info["ingest_s"] = 0.0
    return _run(qa, eval_set, info, progress)
