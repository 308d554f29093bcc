"""Latency of the chat app's API under load: several people asking at once.

Launches the app (``ui.launch``) on 127.0.0.1 over a store holding the sample
article, then has ``--sessions`` clients (``gradio_client``, one thread each,
in a process of their own, so that they do not share the server's GIL) ask
``--questions`` questions each, in turn, through ``/chat``; first one client
alone, for comparison. Reports the latency each client saw (p50/p95, from
sending the question to the final answer, queueing included), the answers per
second, and the CPU time per answer of the server's process and of the
clients' (the clients run on the same cores)::

    python benchmarks/concurrency.py [--sessions 8] [--questions 10] [--floor]

``--floor`` measures the same way an endpoint with the same inputs and
outputs that answers at once (two updates, as ``/chat`` sends): what Gradio
and ``gradio_client`` cost by themselves. ``--embedding-threads`` and
``--concurrency-limit`` set those settings for the run.

The clients share one SSL context: ``gradio_client`` 2.7 opens two new
``httpx`` clients per request, and each builds a context loading the CA
bundle (about 50 ms of CPU per request, measured with py-spy, even over plain
HTTP) unless given one.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

QUESTIONS = [
    "ما حجم التبادل التجاري بين البلدين في الأرباع الثلاثة الأولى؟",
    "When did Putin and Xi last meet in person?",
    "كم جندياً شارك في التدريبات العسكرية المشتركة؟",
    "What did the G7 foreign ministers demand from Russia?",
    "متى يعقد الرئيسان لقاءهما عبر الفيديو؟",
]


def cpu_seconds() -> float:
    """User and system CPU time of this process so far, in seconds."""
    t = os.times()
    return t.user + t.system


def load(url: str, sessions: int, questions: int) -> dict[str, Any]:
    """Each of ``sessions`` clients asks ``questions`` questions (run in the clients' process).

    Returns:
        ``{"ms": latencies in ms, "wall": seconds, "cpu": the clients' CPU seconds, "answers": {question: reply}}``.
    """
    import ssl

    from gradio_client import Client

    context = ssl.create_default_context()  # one for every client (module docstring)

    def session(i: int) -> tuple[list[float], dict[str, str]]:
        client = Client(url, verbose=False, ssl_verify=context)  # type: ignore[arg-type]
        times, replies = [], {}
        for j in range(questions):
            question = QUESTIONS[(i + j) % len(QUESTIONS)]
            start = time.perf_counter()
            history, *_ = client.predict(question, [], api_name="/chat")
            times.append((time.perf_counter() - start) * 1000)
            replies[question] = str(history[-1]["content"])
        return times, replies

    cpu, start = cpu_seconds(), time.perf_counter()
    with ThreadPoolExecutor(sessions) as pool:
        results = list(pool.map(session, range(sessions)))
    wall = time.perf_counter() - start
    answers: dict[str, str] = {}
    for _, replies in results:
        answers.update(replies)
    return {"ms": [t for times, _ in results for t in times], "wall": wall, "cpu": cpu_seconds() - cpu,
            "answers": answers}  # fmt: skip


def floor_app() -> Any:
    """A Blocks whose ``/chat`` has the app's inputs and outputs and answers at once, in two updates."""
    import gradio as gr

    def chat(message: str, history: list[dict[str, Any]]) -> Any:
        reply = [{"role": "user", "content": message}, {"role": "assistant", "content": message}]
        yield reply, "…", {}, ""
        yield reply, "<p>sources</p>", {"question": message}, ""

    with gr.Blocks() as app:
        question, chatbot, sources, answer = gr.Textbox(), gr.Chatbot(), gr.HTML(), gr.JSON()
        question.submit(chat, [question, chatbot], [chatbot, sources, answer, question], api_name="chat")
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--questions", type=int, default=10, help="questions per session")
    parser.add_argument("--floor", action="store_true", help="a trivial endpoint instead of the assistant")
    parser.add_argument("--embedding-threads", type=int, default=None, help="default: the setting's default")
    parser.add_argument("--concurrency-limit", type=int, default=None, help="default: ui.launch's")
    parser.add_argument("--clients", help=argparse.SUPPRESS)  # internal: the clients' process, given the URL
    args = parser.parse_args()
    if args.clients:
        print(json.dumps(load(args.clients, args.sessions, args.questions)))
        return

    import ui
    from assistant import Assistant
    from ingest.embeddings import E5Embeddings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    limit = {} if args.concurrency_limit is None else {"concurrency_limit": args.concurrency_limit}
    if args.floor:
        app = floor_app()
        app.queue(default_concurrency_limit=args.concurrency_limit or 4)
        app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
        print("trivial endpoint (floor)")
    else:
        e5 = E5Embeddings() if args.embedding_threads is None else E5Embeddings(num_threads=args.embedding_threads)
        qa = Assistant.build(e5, Path(tempfile.mkdtemp(prefix="aq-load-")) / "store")
        qa.ingest_sample_if_empty()
        app = ui.launch(qa, host="127.0.0.1", port=port, block=False, quiet=True, **limit)
        threads = getattr(e5, "num_threads", "default")
        print(f"embedding threads {threads}, concurrency limit {args.concurrency_limit or 'default'}")

    def clients(sessions: int, questions: int) -> dict[str, Any]:
        command = [sys.executable, __file__, "--clients", app.local_url, "--sessions", str(sessions),
                   "--questions", str(questions)]  # fmt: skip
        cpu = cpu_seconds()
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        return {**json.loads(out.splitlines()[-1]), "server_cpu": cpu_seconds() - cpu}

    try:
        clients(1, 2)  # warm-up
        answers: dict[str, str] = {}
        for sessions in (1, args.sessions):
            got = clients(sessions, args.questions)
            ms, n = got["ms"], len(got["ms"])
            for question, reply in got["answers"].items():
                if answers.setdefault(question, reply) != reply:
                    print(f"  different answers to {question!r} across runs")
            print(f"{sessions} session(s) x {args.questions} questions: latency p50 {np.percentile(ms, 50):.0f} ms, "
                  f"p95 {np.percentile(ms, 95):.0f} ms; {n / got['wall']:.1f} answers/s; CPU per answer: "
                  f"server {1000 * got['server_cpu'] / n:.0f} ms, clients {1000 * got['cpu'] / n:.0f} ms")  # fmt: skip
    finally:
        app.close()


if __name__ == "__main__":
    main()
