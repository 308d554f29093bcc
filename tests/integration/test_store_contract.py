"""The store's contract, run against both clients: the embedded store and a real `chroma run` server.

Everything above the store (ingestion, retrieval, answers) relies on these
behaviours, so they must hold whichever client the user chose.
"""

from __future__ import annotations

import dataclasses
import uuid

import numpy as np
import pytest

from assistant import Assistant
from vectorstore import ArticleRecords, ModelMismatchError, PassageStore, StoreError, open_client, open_http_client


@pytest.fixture(params=["embedded", "server"])
def client(request, tmp_path):
    if request.param == "embedded":
        return open_client(tmp_path / "store")
    host, port = request.getfixturevalue("chroma_server")
    return open_http_client(host, port)


@pytest.fixture
def name() -> str:
    """A collection name of its own: the server is shared by the whole session."""
    return f"c{uuid.uuid4().hex[:12]}"


def unit(*values: float) -> np.ndarray:
    v = np.zeros(4, dtype=np.float32)
    v[: len(values)] = values
    return v / np.linalg.norm(v)


def article(article_id: str, version: str, texts: list[str], vectors: list[np.ndarray]) -> ArticleRecords:
    """An article of one-sentence passages, offsets into its text as ingestion gives them."""
    ids = [f"{article_id}-{version}-{i:04d}" for i in range(len(texts))]
    starts = np.cumsum([0] + [len(t) + 2 for t in texts[:-1]]).tolist()
    meta = [
        {"passage_idx": i, "char_start": a, "char_end": a + len(t), "sentences": ""}
        for i, (a, t) in enumerate(zip(starts, texts))
    ]
    sentence_meta = [
        {"passage_id": pid, "char_start": a, "char_end": a + len(t)} for pid, a, t in zip(ids, starts, texts)
    ]
    return ArticleRecords(
        article_id, version, "\n\n".join(texts), {"title": article_id}, vectors[0], ids, texts, meta,
        np.stack(vectors), [f"{p}-s0" for p in ids], texts, sentence_meta, np.stack(vectors),
    )  # fmt: skip


def test_put_query_replace_and_remove(client, name):
    store = PassageStore(client, "toy", 4, name)
    assert store.put_articles([article("a", "v1", ["alpha one", "alpha two"], [unit(1), unit(1, 1)])]) == [("added", 0)]
    assert store.put_articles([article("a", "v1", ["alpha one", "alpha two"], [unit(1), unit(1, 1)])]) == [
        ("unchanged", 0)
    ]
    assert [h.text for h in store.query(unit(1), 5)] == ["alpha one", "alpha two"]
    assert store.put_article(*_fields(article("a", "v2", ["alpha new"], [unit(1)]))) == ("replaced", 2)
    assert [h.text for h in store.query(unit(1), 5)] == ["alpha new"], "queries see the new version only"
    assert [h.metadata["passage_id"] for h in store.query_sentences(unit(1), 5, store.current_versions())] == [
        "a-v2-0000"
    ]
    assert store.get_article("a")[0] == "alpha new" and store.list_articles()[0]["title"] == "a"
    assert store.remove_article("a") == 1 and store.query(unit(1), 5) == [] and store.article_ids() == []


def _fields(r: ArticleRecords) -> list:
    return [getattr(r, f) for f in ArticleRecords.__slots__]


def test_a_write_through_another_client_is_seen_without_reopening(client, name, request, tmp_path):
    reader = PassageStore(client, "toy", 4, name)
    assert reader.current_versions() == []
    other = (
        client
        if request.node.callspec.params["client"] == "embedded"
        else open_http_client(*request.getfixturevalue("chroma_server"))
    )
    writer = PassageStore(other, "toy", 4, name)
    before = reader.generation()
    writer.put_articles([article("b", "v1", ["beta"], [unit(0, 1)])])
    assert reader.generation() != before
    assert reader.current_versions() == ["b@v1"] and [h.text for h in reader.query(unit(0, 1), 3)] == ["beta"]


def test_records_kept_in_memory_never_outlive_a_write_of_another_client(client, name, request):
    other = (
        client
        if request.node.callspec.params["client"] == "embedded"
        else open_http_client(*request.getfixturevalue("chroma_server"))
    )
    reader, writer = PassageStore(client, "toy", 4, name), PassageStore(other, "toy", 4, name)

    def same_ids(r: ArticleRecords) -> ArticleRecords:  # ids that do not name the version: the worst case
        meta = [{**m, "passage_id": "a-p0"} for m in r.sentence_metadatas]
        return dataclasses.replace(r, passage_ids=["a-p0"], sentence_ids=["a-s0"], sentence_metadatas=meta)

    def read() -> tuple[list[str], list[str], list[str]]:
        hits = reader.query(unit(1), 3, versions=reader.current_versions(), documents=False)
        assert [h.text for h in hits] == [""]  # documents=False: ids, scores and metadata only
        return (
            [h.metadata["article_version"] for h in hits],
            [h.text for h in reader.passages_by_id([hits[0].id])],
            [h.text for h in reader.sentences_of([hits[0].id])[0]],
        )

    writer.put_articles([same_ids(article("a", "v1", ["alpha one"], [unit(1)]))])
    assert read() == read() == (["a@v1"], ["alpha one"], ["alpha one"])  # the second from memory
    writer.put_articles([same_ids(article("a", "v2", ["alpha two"], [unit(1)]))])
    assert read() == (["a@v2"], ["alpha two"], ["alpha two"])
    reader.remove_article("a")  # a write of its own
    assert reader.passages_by_id(["a-p0"]) == [] and reader.sentences_of(["a-p0"])[0] == []


def test_many_articles_query_without_a_long_filter_and_read_in_pages(client, name, monkeypatch):
    import vectorstore.chroma as chroma

    monkeypatch.setattr(chroma, "IN_FILTER_MAX", 3)
    monkeypatch.setattr(chroma, "READ_PAGE", 4)
    store = PassageStore(client, "toy", 4, name)
    store.put_articles([article(f"n{i}", "v1", [f"text {i}"], [unit(1, i / 10)]) for i in range(10)])
    store.put_articles([article("n0", "v2", ["text 0 new"], [unit(1)])])
    hits = store.query(unit(1), 4)
    assert len(hits) == 4 and hits[0].text == "text 0 new" and "text 0" not in [h.text for h in hits]
    assert {h.text for h in store.passages(store.current_versions())} == {
        "text 0 new",
        *(f"text {i}" for i in range(1, 10)),
    }
    assert [h.text for h in store.query(unit(1), 5, ["n3"])] == ["text 3"]


def test_another_model_is_refused(client, name):
    PassageStore(client, "toy", 4, name)
    with pytest.raises(ModelMismatchError, match="built with model toy"):
        PassageStore(client, "other", 4, name)


def test_the_assistant_answers_the_same_from_either_client(client, name, e5, sample_article, request, tmp_path):
    kind = request.node.callspec.params["client"]
    host, port = request.getfixturevalue("chroma_server") if kind == "server" else (None, 8000)
    qa = Assistant.build(e5, tmp_path / "store", name, chroma_host=host, chroma_port=port)
    qa.ingest_article(sample_article)
    answer = qa.ask("When did Putin and Xi last meet in person?")
    assert any("نوفمبر 2019" in c.quote for c in answer.citations)
    assert qa.store_location == (f"chroma://{host}:{port}" if host else str(tmp_path / "store"))


def test_no_server_is_a_clear_error():
    from tests.e2e.conftest import free_port

    with pytest.raises(
        StoreError, match=r"no Chroma server answers at 127.0.0.1:\d+: start one with .chroma run --path DIR"
    ):
        open_http_client("127.0.0.1", free_port())


def test_a_server_that_stops_gives_a_clear_error_not_a_traceback(tmp_path, e5, sample_article):
    from tests.conftest import start_chroma_server, stop_chroma_server

    process, port = start_chroma_server(tmp_path / "private-server")
    try:
        qa = Assistant.build(e5, tmp_path / "unused", chroma_host="127.0.0.1", chroma_port=port)
        qa.ingest_article(sample_article)
    finally:
        stop_chroma_server(process)
    with pytest.raises(StoreError, match=r"the Chroma server did not answer .*is `chroma run` still running"):
        qa.ask("When did Putin and Xi last meet in person?")
    with pytest.raises(StoreError, match=r"the Chroma server did not answer"):
        qa.ingest_text("A new article about the port of Alexandria and its ships, written for the test.")
