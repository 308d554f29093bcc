"""Latency of the chat app's API under load: several people asking at once.

Launches the app (``ui.launch``, default concurrency limit) on 127.0.0.1 over
a store holding the sample article, then has ``--sessions`` clients
(``gradio_client``, one thread each) ask ``--questions`` questions each, in
turn, through ``/chat``; first one client alone, for comparison. Reports the
latency each client saw (p50/p95, from sending the question to the final
answer, queueing included) and the answers per second::

    python benchmarks/concurrency.py [--sessions 8] [--questions 10]
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from assistant import Assistant
from ingest import E5Embeddings

QUESTIONS = [
    "ما حجم التبادل التجاري بين البلدين في الأرباع الثلاثة الأولى؟",
    "When did Putin and Xi last meet in person?",
    "كم جندياً شارك في التدريبات العسكرية المشتركة؟",
    "What did the G7 foreign ministers demand from Russia?",
    "متى يعقد الرئيسان لقاءهما عبر الفيديو؟",
]


def load(url: str, sessions: int, questions: int) -> tuple[list[float], float]:
    """Each of ``sessions`` clients asks ``questions`` questions; the latencies (ms) and the wall time (s)."""
    from gradio_client import Client

    def session(i: int) -> list[float]:
        client = Client(url, verbose=False)
        times = []
        for j in range(questions):
            start = time.perf_counter()
            client.predict(QUESTIONS[(i + j) % len(QUESTIONS)], [], api_name="/chat")
            times.append((time.perf_counter() - start) * 1000)
        return times

    start = time.perf_counter()
    with ThreadPoolExecutor(sessions) as pool:
        latencies = [t for times in pool.map(session, range(sessions)) for t in times]
    return latencies, time.perf_counter() - start


def main() -> None:
    import ui

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--questions", type=int, default=10, help="questions per session")
    args = parser.parse_args()
    qa = Assistant.build(E5Embeddings(), Path(tempfile.mkdtemp(prefix="aq-load-")) / "store")
    qa.ingest_sample_if_empty()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = ui.launch(qa, host="127.0.0.1", port=port, block=False, quiet=True)
    try:
        load(app.local_url, 1, 2)  # warm-up
        for sessions in (1, args.sessions):
            ms, wall = load(app.local_url, sessions, args.questions)
            print(f"{sessions} session(s) x {args.questions} questions: latency p50 {np.percentile(ms, 50):.0f} ms, "
                  f"p95 {np.percentile(ms, 95):.0f} ms; {len(ms) / wall:.1f} answers/s")  # fmt: skip
    finally:
        app.close()


if __name__ == "__main__":
    main()
