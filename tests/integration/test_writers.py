"""Several writers on one store: threads, processes, kill -9, a lease that dies; and `article-qa check`.

Everything runs on real parts: the embedded store in tmp_path, a real
`chroma run` server, real `article-qa` processes killed for real. After each
fault the store is checked with `article-qa check` (every article whole).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

import ui
from assistant import Assistant
from vectorstore import PassageStore, StoreError, open_client, open_http_client
from vectorstore.locking import LeaseWriterLock

CLI = [sys.executable, "-m", "assistant.cli"]


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, **kwargs)


def check(*where: str) -> dict:
    """`article-qa check --json` on a store; the test fails on a traceback or on an article that is not whole."""
    done = run("check", "--json", *where)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["consistent"], report["found"]["problems"]
    return report


def news(i: int, tag: str) -> str:
    return (f"Report {tag} {i}\n\nThe council of district {tag}-{i} approved {100 + i} new homes on Monday, "
            f"at a cost of {i + 3} million dollars. Work starts in spring.\n")  # fmt: skip


def small_sync_store(path: Path, collection: str = "articles", *, batch: int = 10, sync: int = 10) -> None:
    """An embedded store whose collections persist their vector index every 10 writes (Chroma's default is
    1,000), so that a few dozen small articles make a writer with an old copy of the index drop vectors."""
    import chromadb
    from chromadb.config import Settings

    from ingest import E5Embeddings
    from vectorstore.chroma import ARTICLES_SUFFIX, SCHEMA_VERSION, SENTENCES_SUFFIX

    client = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
    metadata = {"embedding_model": E5Embeddings.model_name, "embedding_dim": 384, "schema": SCHEMA_VERSION}
    for name in (collection, collection + ARTICLES_SUFFIX, collection + SENTENCES_SUFFIX):
        client.create_collection(
            name, configuration={"hnsw": {"space": "cosine", "sync_threshold": sync, "batch_size": batch}},
            metadata=metadata, embedding_function=None,
        )  # fmt: skip


# -- one article, two writers -------------------------------------------------------------


@pytest.fixture(params=["embedded", "server"])
def where(request, tmp_path) -> dict:
    """Where a store is: an embedded directory, or a collection of its own on the session's Chroma server."""
    if request.param == "embedded":
        return {"store_path": tmp_path / "store"}
    host, port = request.getfixturevalue("chroma_server")
    return {"store_path": tmp_path / "unused", "collection": f"c{uuid.uuid4().hex[:12]}", "chroma_host": host,
            "chroma_port": port}  # fmt: skip


def test_two_uploads_of_one_name_at_once_leave_one_whole_version(e5, where, tmp_path, monkeypatch):
    """Two uploads of report.txt with different texts, through the window's own path, in two threads.

    The first writer is held after writing its passages, before its switch,
    for as long as the second needs to write its own (or 3 s): without the
    writer lock each would then delete the other's new passages."""
    import vectorstore.chroma as chroma

    qa = Assistant.build(e5, **where)
    qa.ingest_text(news(0, "old"), "report")  # an earlier version, written before
    real_upsert, passages_written = chroma.PassageStore._upsert, threading.Event()

    def upsert(self, collection, ids, *args):
        if collection is self._articles and not passages_written.is_set():
            passages_written.set()
            time.sleep(3)  # the other upload gets its chance to write meanwhile
        return real_upsert(self, collection, ids, *args)

    monkeypatch.setattr(chroma.PassageStore, "_upsert", upsert)
    uploads = []
    for tag in ("alpha", "beta"):
        folder = tmp_path / tag
        folder.mkdir()
        (folder / "report.txt").write_text(news(7, tag), encoding="utf-8")
        uploads.append(folder / "report.txt")
    messages: list[str] = []
    threads = [threading.Thread(target=lambda p=p: messages.append(ui.add_article(qa, str(p), None))) for p in uploads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(": replaced" in m or ": unchanged" in m for m in messages), messages
    report = qa.check()
    assert report.consistent and report.found.problems == {}
    record = qa.store.article_metadata("report")
    passages = qa.store._passages.get(where={"article_version": f"report@{record['version']}"}, include=[])["ids"]
    assert len(passages) == record["passages"] >= 1
    answer = qa.ask("How many new homes did the council approve?")
    assert not answer.abstained and "107" in answer.citations[0].quote


def test_two_assistants_writing_one_article_on_a_server_take_turns(e5, chroma_server, tmp_path):
    """Two writers of one article, each with a lease of its own, in two threads, several rounds."""
    host, port = chroma_server
    collection = f"c{uuid.uuid4().hex[:12]}"
    writers = [
        Assistant.build(e5, tmp_path / "unused", collection, chroma_host=host, chroma_port=port) for _ in range(2)
    ]
    for round_ in range(3):
        barrier = threading.Barrier(2)

        def write(qa: Assistant, tag: str) -> None:
            barrier.wait()
            qa.ingest_text(news(round_, tag), "shared")

        threads = [threading.Thread(target=write, args=(qa, tag)) for qa, tag in zip(writers, ("left", "right"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert writers[0].check().consistent
    assert writers[0].check(repair=True).found.orphans == []


# -- processes -----------------------------------------------------------------------------


#: A process writing N articles of P passages (and as many sentences) through PassageStore, one article
#: per write, with 4-d vectors: enough records, fast, for Chroma to persist its copy of the index meanwhile.
#: Its first argument is a store directory or ``chroma://host:port/collection``.
STORE_WRITER = """
import sys
from urllib.parse import urlsplit
import numpy as np
from vectorstore import ArticleRecords, PassageStore, open_client, open_http_client
where, tag, n, per = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if where.startswith("chroma://"):
    url = urlsplit(where)
    store = PassageStore(open_http_client(url.hostname, url.port), "toy", 4, url.path.strip("/"))
else:
    store = PassageStore(open_client(where), "toy", 4)
rng = np.random.default_rng(len(tag))
for a in range(n):
    texts = [f"{tag} article {a} passage {i}." for i in range(per)]
    starts = np.cumsum([0] + [len(t) + 2 for t in texts[:-1]]).tolist()
    ids = [f"{tag}{a}-v1-{i:04d}" for i in range(per)]
    vectors = rng.random((per, 4)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    meta = [{"passage_idx": i, "char_start": s, "char_end": s + len(t), "sentences": ""} for i, (s, t) in enumerate(zip(starts, texts))]
    sentence_meta = [{"passage_id": p, "char_start": s, "char_end": s + len(t)} for p, s, t in zip(ids, starts, texts)]
    store.put_articles([ArticleRecords(f"{tag}{a}", "v1", "\\n\\n".join(texts), {"title": tag}, vectors[0], ids, texts, meta,
                                       vectors, [f"{p}-s0" for p in ids], texts, sentence_meta, vectors)])
"""


@pytest.mark.slow
def test_two_writing_processes_on_one_embedded_store_lose_no_vector(tmp_path):
    """Two processes writing 60 articles each (1,200 passages and 1,200 sentences) into one embedded store at once.

    Without the writer lock and the reopening of a copy another process
    made stale, about 40 of the 120 articles lose passage and sentence
    vectors (`Error finding id`: measured with the code before this test),
    and questions about them fail even after a restart."""
    store = tmp_path / "store"
    subprocess.run([sys.executable, "-c", STORE_WRITER, str(store), "seed", "1", "5"], check=True, timeout=120)
    writers = [subprocess.Popen([sys.executable, "-c", STORE_WRITER, str(store), tag, "60", "20"], stderr=subprocess.PIPE, text=True)
               for tag in ("east", "west")]  # fmt: skip
    errors = [w.communicate(timeout=300)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
    found = PassageStore(open_client(store), "toy", 4).check()
    assert (found.articles, found.passages, found.sentences) == (121, 2405, 2405)
    assert found.problems == {} and found.orphans == []


#: A process asking N questions of a store (as `article-qa ask` does: current versions, dense passages and
#: sentences) with 4-d vectors; its first argument is a store directory.
STORE_READER = """
import sys
import numpy as np
from vectorstore import PassageStore, open_client
store = PassageStore(open_client(sys.argv[1]), "toy", 4)
rng = np.random.default_rng(int(sys.argv[3]))
for _ in range(int(sys.argv[2])):
    vector = rng.random(4).astype(np.float32)
    vector /= np.linalg.norm(vector)
    versions = store.current_versions()
    store.query(vector, 5, versions=versions)  # none found if a writer switched since: no error either
    store.query_sentences(vector, 5, versions)
"""


@pytest.mark.slow
def test_processes_asking_while_another_writes_large_articles_leave_the_store_whole(tmp_path):
    """Chroma writes to an embedded store even to answer a query (it applies its log to the vector index): readers
    that took no lock, querying while a process rewrote articles of 800 passages, crashed (SIGSEGV) and left a
    store that no process could open again ("Error in compaction"). Readers take the lock for each call."""
    store = tmp_path / "store"
    subprocess.run([sys.executable, "-c", STORE_WRITER, str(store), "big", "2", "800"], check=True, timeout=300)
    for round in range(3):
        writer = subprocess.Popen([sys.executable, "-c", STORE_WRITER.replace("-v1-", f"-v{round + 2}-").replace('"v1"', f'"v{round + 2}"'),
                                   str(store), "big", "2", "800"], stderr=subprocess.PIPE, text=True)  # fmt: skip
        readers = [subprocess.run([sys.executable, "-c", STORE_READER, str(store), "40", str(i)], capture_output=True, text=True, timeout=300)
                   for i in range(2)]  # fmt: skip
        assert [r.returncode for r in readers] == [0, 0], [r.stderr[-600:] for r in readers]
        assert writer.wait(timeout=300) == 0, writer.stderr.read()[-600:]
    found = PassageStore(open_client(store), "toy", 4).check()
    assert (found.articles, found.passages, found.sentences) == (2, 1600, 1600)
    assert found.problems == {} and found.orphans == []


def test_two_processes_creating_one_store_at_once_both_succeed(tmp_path):
    store = tmp_path / "new-store"
    paths = []
    for tag in ("north", "south"):
        path = tmp_path / f"{tag}.txt"
        path.write_text(news(1, tag), encoding="utf-8")
        paths.append(path)
    processes = [subprocess.Popen([*CLI, "ingest", str(p), "--store", str(store)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for p in paths]  # fmt: skip
    outputs = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [err for _, err in outputs]
    assert sorted(a["article_id"] for a in json.loads(run("list", "--json", "--store", str(store)).stdout)) == [
        "north",
        "south",
    ]
    check("--store", str(store))


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_kill_9_during_ingest_loses_no_article_reported_stored(mode, tmp_path, request):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(30):
        (folder / f"item-{i:02d}.txt").write_text(news(i, "k"), encoding="utf-8")
    if mode == "embedded":
        where = ["--store", str(tmp_path / "store")]
    else:
        host, port = request.getfixturevalue("chroma_server")
        where = ["--chroma-host", host, "--chroma-port", str(port), "--collection", f"c{uuid.uuid4().hex[:12]}"]
    process = subprocess.Popen(
        [*CLI, "ingest", str(folder), *where], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stored = []
    while len(stored) < 5:  # killed in the middle of its work, once some articles are reported stored
        line = process.stdout.readline()
        assert line, process.stderr.read()
        stored.append(line.split(" ", 1)[0].rstrip(":"))
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    report = check(*where)
    listed = {a["article_id"] for a in json.loads(run("list", "--json", *where).stdout)}
    assert set(stored) <= listed, "every article reported stored is there, whole (check)"
    again = run("ingest", str(folder), *where)
    assert again.returncode == 0 and again.stdout.count(": unchanged") >= len(stored)
    assert check(*where)["found"]["articles"] == 30 >= report["found"]["articles"]


# -- the lease of a store on a server -----------------------------------------------------


def test_a_lease_left_by_a_dead_writer_is_taken_over_once_it_expires(e5, chroma_server, tmp_path, caplog):
    host, port = chroma_server
    collection = f"c{uuid.uuid4().hex[:12]}"
    qa = Assistant.build(e5, tmp_path / "unused", collection, chroma_host=host, chroma_port=port)
    qa.store.count()  # the store, its lock collection with it, exists
    locks = open_http_client(host, port).get_collection(collection + "-locks")
    dead = LeaseWriterLock(locks, "test", ttl=1.0)
    dead._acquire()  # a writer that took the lease and was killed: never released
    with caplog.at_level("WARNING", logger="vectorstore.locking"):
        report = qa.ingest_text(news(3, "lease"), "leased")
    assert report.status == "added"
    assert any("waiting for another writer" in r.message for r in caplog.records)
    assert any("took over the write lease" in r.message for r in caplog.records)
    with pytest.raises(StoreError, match="another writer took over the store"):
        dead.confirm()  # the dead writer, had it only been paused, must not switch anything


def test_a_writer_that_lost_its_lease_switches_nothing(e5, chroma_server, tmp_path, monkeypatch):
    import vectorstore.chroma as chroma

    host, port = chroma_server
    collection = f"c{uuid.uuid4().hex[:12]}"
    qa = Assistant.build(e5, tmp_path / "unused", collection, chroma_host=host, chroma_port=port)
    qa.ingest_text(news(1, "first"), "paused")
    lock = qa.store._lock
    lock.ttl = 0.5
    other = LeaseWriterLock(open_http_client(host, port).get_collection(collection + "-locks"), "other", ttl=30)
    real_upsert = chroma.PassageStore._upsert

    def paused(self, collection, ids, *args):  # this writer is paused past its lease, and another takes it
        if collection is self._sentences:
            time.sleep(1.0)
            other._acquire()
        return real_upsert(self, collection, ids, *args)

    monkeypatch.setattr(chroma.PassageStore, "_upsert", paused)
    with pytest.raises(StoreError, match="another writer took over the store"):
        qa.ingest_text(news(2, "second"), "paused")
    monkeypatch.setattr(chroma.PassageStore, "_upsert", real_upsert)
    other._collection.delete(ids=["writer"])  # the other writer is done
    assert "102 new homes" not in qa.article_text("paused") and "101 new homes" in qa.article_text("paused")
    assert qa.check().consistent


# -- check and repair ----------------------------------------------------------------------


def test_an_article_whose_passages_are_gone_is_repaired_not_reported_unchanged(e5, tmp_path):
    path = tmp_path / "report.txt"
    path.write_text(news(5, "gone"), encoding="utf-8")
    qa = Assistant.build(e5, tmp_path / "store")
    qa.ingest(path)
    version = qa.store.stored_version("report")
    qa.store._passages.delete(where={"article_version": f"report@{version}"})  # what a second writer used to do
    assert qa.ask("How many new homes did the council approve?").abstained
    found = qa.check().found
    assert list(found.problems) == ["report"] and found.problems["report"][0] == "holds 0 of its 1 passages"
    done = run("check", "--store", str(tmp_path / "store"))
    assert done.returncode == 1 and "report: holds 0 of its 1 passages" in done.stdout and "--repair" in done.stderr
    (again,) = qa.ingest(path)
    assert again.status == "repaired"
    assert not qa.ask("How many new homes did the council approve?").abstained and qa.check().consistent


def test_a_repair_by_another_process_reaches_a_window_whose_lexical_index_missed_a_passage(e5, tmp_path):
    """The window's BM25 index was built while the store lacked one of an article's passages; another
    process repairs the article (same version): the window's index holds it at its next question."""
    from assistant.lexical import index_directory

    path = tmp_path / "report.txt"
    filler = " ".join(f"The district's {w} committee met again on Tuesday." for w in ("first", "second") * 12)
    path.write_text(f"Report late\n\n{filler}\n\n{news(7, 'late').split(chr(10), 2)[2]}", encoding="utf-8")
    writer = Assistant.build(e5, tmp_path / "store")
    writer.ingest(path)
    version = writer.store.stored_version("report")
    ids = writer.store._passages.get(where={"article_version": f"report@{version}"})["ids"]
    assert len(ids) >= 2
    writer.store._passages.delete(ids=[max(ids)])  # damaged: the passage about the homes is gone
    shutil.rmtree(index_directory(tmp_path / "store", "articles"), ignore_errors=True)
    window = Assistant.build(e5, tmp_path / "store")
    assert len(window.retriever.lexical_index()) == len(ids) - 1  # built from the damaged store
    done = run("ingest", str(path), "--store", str(tmp_path / "store"))
    assert done.returncode == 0 and "repaired" in done.stdout, done.stdout + done.stderr
    assert len(window.retriever.lexical_index()) == len(ids)
    answer = window.ask("How many new homes did the council of district late-7 approve?")
    assert not answer.abstained and "107 new homes" in answer.citations[0].quote


#: A raw Chroma client (another program, or an article-qa without the writer lock) that opens a
#: collection of the store, waits for a file, then upserts N stray records in batches of 50.
RAW_WRITER = """
import pathlib, sys, time
import chromadb
from chromadb.config import Settings
store, name, go, n, tag = sys.argv[1:]
collection = chromadb.PersistentClient(path=store, settings=Settings(anonymized_telemetry=False)).get_collection(name)
collection.count()  # its copy of the index is loaded now
while not pathlib.Path(go).exists():
    time.sleep(0.05)
for i in range(0, int(n), 50):
    ids = [f"{tag}-{j}" for j in range(i, i + 50)]
    collection.upsert(ids=ids, embeddings=[[0.1] * 384] * 50, documents=["x"] * 50, metadatas=[{"article_id": "none"}] * 50)
"""


@pytest.mark.slow
def test_check_repair_deletes_leftovers_and_rewrites_unreadable_vectors(tmp_path):
    """Writers that ignore the lock break a store: one with an old copy of the index writes after another
    wrote 1,100 records, and the vectors of articles ingested meanwhile cannot be read. `check` finds them and
    the stray records; `check --repair` deletes the strays and re-embeds the broken articles from their stored text."""
    store = tmp_path / "store"
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(12):
        (folder / f"doc-{i:02d}.txt").write_text(news(i, "r"), encoding="utf-8")
    assert run("ingest", str(folder / "doc-00.txt"), "--store", str(store)).returncode == 0
    (folder / "doc-00.txt").unlink()
    raw = [sys.executable, "-c", RAW_WRITER, str(store), "articles-sentences"]
    stale = subprocess.Popen([*raw, str(tmp_path / "go-stale"), "1100", "stale"])
    time.sleep(3)  # it has opened the store
    assert run("ingest", str(folder), "--store", str(store)).returncode == 0
    (tmp_path / "go-bulk").touch()
    subprocess.run([*raw, str(tmp_path / "go-bulk"), "1100", "bulk"], check=True, timeout=120)
    (tmp_path / "go-stale").touch()
    assert stale.wait(timeout=120) == 0
    found = json.loads(run("check", "--json", "--store", str(store)).stdout)["found"]
    assert len(found["orphans"]) == 2200, "the stray records belong to no article"
    assert found["problems"] and all(
        any(p.endswith("vectors cannot be read") for p in problems) for problems in found["problems"].values()
    ), found["problems"]
    repaired = run("check", "--repair", "--store", str(store))
    assert repaired.returncode == 0 and "consistent after the repair" in repaired.stdout, (
        repaired.stdout + repaired.stderr
    )
    assert all(f"{a}: repaired" in repaired.stdout for a in found["problems"])
    after = check("--store", str(store))
    assert after["found"]["orphans"] == [] and after["found"]["articles"] == 12
    qa = Assistant.from_settings(store=store)
    assert "103 new homes" in qa.ask("How many new homes did the council of district r-3 approve?").citations[0].quote


def test_a_handed_in_client_is_reopened_before_it_is_first_used(e5, tmp_path):
    """A PersistentClient made outside article-qa may hold an old copy of the store: the first call under the lock
    loads the store as it is on disk, and the handed-in client is used no more."""
    import chromadb

    from vectorstore.embedded import EmbeddedStore

    path = tmp_path / "handed"
    handed = chromadb.PersistentClient(path=str(path))
    store = PassageStore(handed, e5.model_name, 384)
    assert EmbeddedStore.at(path).client is not handed
    Assistant.build(e5, path).ingest_text(news(2, "h"), "h")
    assert store.article_ids() == ["h"]
    assert open_client(path) is EmbeddedStore.at(path).client


def test_a_writer_waiting_for_another_says_so_once_and_then_writes(tmp_path):
    from vectorstore.locking import FileWriterLock

    store, path = tmp_path / "store", tmp_path / "waits.txt"
    path.write_text(news(4, "wait"), encoding="utf-8")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:  # another writer, busy for a while
        with FileWriterLock(store).held():
            held.set()
            release.wait(timeout=60)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(timeout=30)
    ingest = subprocess.Popen([*CLI, "ingest", str(path), "--store", str(store)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
    time.sleep(4)
    release.set()
    holder.join()
    out, err = ingest.communicate(timeout=300)
    assert ingest.returncode == 0 and "waits — Report wait 4: added" in out
    assert err.count("waiting for another writer") == 1
    assert f"article-qa: waiting for another writer of the store at {store.resolve()} (pid {os.getpid()} on " in err


def test_two_sources_ingested_under_one_id_at_once_one_is_refused_none_lost(e5, where, tmp_path, monkeypatch):
    """Both writers find the id free before either writes (a barrier makes sure): the second to take the
    lock finds the first's article and is refused, as it would be one after the other."""
    from assistant import IngestError
    from assistant.indexer import Indexer

    qa = Assistant.build(e5, **where)
    qa.store.count()
    real_check, both_checked = Indexer._stored_version, threading.Barrier(2, timeout=30)

    def stored_version(self, article):
        found = real_check(self, article)
        both_checked.wait()
        return found

    monkeypatch.setattr(Indexer, "_stored_version", stored_version)
    results: dict[str, object] = {}
    paths = []
    for tag in ("left", "right"):
        paths.append(tmp_path / f"{tag}.txt")
        paths[-1].write_text(news(8, tag), encoding="utf-8")

    def ingest(path: Path) -> None:
        try:
            results[path.stem] = qa.ingest(path, article_id="shared")[0].status
        except IngestError as exc:
            results[path.stem] = exc

    threads = [threading.Thread(target=ingest, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [r for r in results.values() if isinstance(r, IngestError)]
    assert len(refused) == 1 and "already holds" in str(refused[0]) and refused[0].setting == "article_id"
    assert [r for r in results.values() if not isinstance(r, IngestError)] == ["added"]
    winner = next(stem for stem, r in results.items() if r == "added")
    assert f"district {winner}-8" in qa.article_text("shared") and qa.check().consistent


def test_a_writer_paused_during_its_switch_leaves_the_article_whole(e5, chroma_server, tmp_path, monkeypatch):
    """Writer 1 is paused between its last look at its lease and the switch of the article record; writer 2
    (another process) takes the lease over and writes another version. When writer 1 resumes its switch wins,
    and the passages it switches to are there: writer 2 spared what the writer it took over from had written."""
    import vectorstore.chroma as chroma
    import vectorstore.locking as locking

    host, port = chroma_server
    collection = f"c{uuid.uuid4().hex[:12]}"
    where = ["--chroma-host", host, "--chroma-port", str(port), "--collection", collection]
    path = tmp_path / "ver.txt"
    path.write_text(news(1, "v1"), encoding="utf-8")
    qa = Assistant.build(e5, tmp_path / "unused", collection, chroma_host=host, chroma_port=port)
    qa.store._lock.ttl = 1.0  # writer 2 takes over one second after writer 1's last renewal
    real_upsert, paused = chroma.PassageStore._upsert, []

    def upsert(self, collection, ids, *args):
        if collection is self._articles and not paused:
            paused.append(True)
            path.write_text(news(2, "v2"), encoding="utf-8")
            second = run("ingest", str(path), *where)
            assert second.returncode == 0 and ": added" in second.stdout, second.stderr
            assert "took over the write lease" in second.stderr
        return real_upsert(self, collection, ids, *args)

    monkeypatch.setattr(chroma.PassageStore, "_upsert", upsert)
    monkeypatch.setattr(locking, "LEASE_POLL_S", 0.05)
    path.write_text(news(1, "v1"), encoding="utf-8")
    assert qa.ingest(path)[0].status == "added"
    monkeypatch.setattr(chroma.PassageStore, "_upsert", real_upsert)
    assert "district v1-1" in qa.article_text("ver"), "the last switch wins"
    assert check(*where)["found"]["problems"] == {}
    assert any("101 new homes" in c.quote for c in qa.ask("How many new homes did the council approve?").citations)


# -- readers of one process share the lock ----------------------------------------------------

_TRY_LOCK = """
import fcntl, sys
with open(sys.argv[1], "a") as f:
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("held")
    else:
        print("free")
"""


def _lock_seen_by_another_process(path: Path) -> str:
    return subprocess.run([sys.executable, "-c", _TRY_LOCK, str(path)], capture_output=True, text=True,
                          timeout=60).stdout.strip()  # fmt: skip


def test_reading_threads_of_one_process_share_one_hold_that_excludes_other_processes(tmp_path):
    from vectorstore.locking import FileWriterLock

    lock, starts = FileWriterLock(tmp_path), []
    both_inside = threading.Barrier(3, timeout=10)  # two readers inside at once, and the test

    def reader() -> None:
        with lock.shared(10, on_start=lambda: starts.append(threading.get_ident())):
            both_inside.wait()  # a second reader can only arrive here while the first is still inside
            both_inside.wait()  # held until the test has looked from another process

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    both_inside.wait()
    assert len(starts) == 1  # one hold: the second reader joined it, nothing was checked again
    assert _lock_seen_by_another_process(lock.path) == "held"
    both_inside.wait()
    for t in threads:
        t.join(10)
    assert _lock_seen_by_another_process(lock.path) == "free"  # the last reader out released it


def test_a_writer_of_the_process_waits_for_its_readers_and_excludes_new_ones(tmp_path):
    from vectorstore.locking import FileWriterLock

    lock, events = FileWriterLock(tmp_path), []
    reader_inside, release_reader = threading.Event(), threading.Event()

    def first_reader() -> None:
        with lock.shared(10):
            events.append("reader 1 in")
            reader_inside.set()
            release_reader.wait(10)
            events.append("reader 1 out")

    def writer() -> None:
        with lock.held():
            events.append("writer in")
            time.sleep(0.3)  # a reader arriving now must wait
            events.append("writer out")

    def second_reader() -> None:
        with lock.shared(10):
            events.append("reader 2 in")

    threads = [threading.Thread(target=first_reader)]
    threads[0].start()
    reader_inside.wait(10)
    threads.append(threading.Thread(target=writer))
    threads[1].start()
    time.sleep(0.2)
    assert events == ["reader 1 in"]  # the writer waits for the reader inside
    threads.append(threading.Thread(target=second_reader))
    threads[2].start()
    time.sleep(0.2)
    assert events == ["reader 1 in"]  # a writer is waiting: a new reader does not join the hold
    release_reader.set()
    for t in threads:
        t.join(10)
    assert events == ["reader 1 in", "reader 1 out", "writer in", "writer out", "reader 2 in"]


def test_a_reader_waiting_for_a_writer_gives_up_with_a_message(tmp_path):
    from vectorstore.locking import FileWriterLock

    lock, other = FileWriterLock(tmp_path), FileWriterLock(tmp_path)  # two instances: as two processes
    with other.held(), pytest.raises(StoreError, match="another process has been writing"), lock.shared(0.2):
        pass
    with lock.shared(1):
        pass
