"""Articles at and over the documented limits, bad stores, and failures in the middle of a write."""

from __future__ import annotations

import random

import pytest

from assistant import Assistant, IngestError
from ingest.loaders import MAX_ARTICLE_CHARS, MAX_FILE_BYTES

WORDS = "التجارة روسيا الصين الطاقة الغاز النفط الحدود الرئيس الاجتماع الفيديو الشراكة الاقتصاد العقوبات الجيش".split()


def test_a_10_mb_file_is_refused_at_once_and_nothing_is_stored(assistant, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text(("نص " * 3_500_000)[: MAX_FILE_BYTES + 10], encoding="utf-8")
    with pytest.raises(IngestError, match=r"over the 10,000,000-byte limit for one article: split it"):
        assistant.ingest(big)
    assert assistant.store.article_ids() == []


def test_a_text_over_the_character_limit_is_refused_before_embedding(assistant, tmp_path):
    long = tmp_path / "long.txt"
    long.write_text("كلمة " * (MAX_ARTICLE_CHARS // 5 + 10), encoding="utf-8")  # about 5.5 MB of UTF-8
    with pytest.raises(IngestError, match=r"over the 1,000,000 one article may have .*split it into several files"):
        assistant.ingest(long)
    assert assistant.store.article_ids() == []


@pytest.mark.slow
def test_one_200000_character_line_without_punctuation_is_ingested_and_answerable(assistant, tmp_path):
    rng = random.Random(0)
    line = " ".join(rng.choice(WORDS) for _ in range(40_000))[:200_000].rsplit(" ", 1)[0]
    path = tmp_path / "one-line.txt"
    path.write_text(line + " وفي الختام بلغ عدد الزوار 4321 زائراً", encoding="utf-8")
    (report,) = assistant.ingest(path)
    assert report.status == "added" and report.passages > 150
    text = assistant.article_text("one-line")
    passages = assistant.store.passages(assistant.store.current_versions())
    assert all(text[p.metadata["char_start"] : p.metadata["char_end"]] == p.text for p in passages)
    assert all(assistant.embeddings.token_count(p.text) <= assistant.indexer.passage_tokens for p in passages)
    assert any("4321" in c.passage_text for c in assistant.ask("كم بلغ عدد الزوار في الختام؟").citations)


def test_an_article_of_numbers_only_is_ingested(assistant, tmp_path):
    rng = random.Random(1)
    path = tmp_path / "numbers.txt"
    path.write_text(
        "\n\n".join(" ".join(str(rng.randint(0, 10**6)) for _ in range(12)) for _ in range(20)), encoding="utf-8"
    )
    (report,) = assistant.ingest(path)
    assert report.status == "added" and report.passages >= 1
    needle = path.read_text(encoding="utf-8").split("\n\n")[13].split()[5]
    assert needle in assistant.retriever.retrieve(f"أين يرد العدد {needle}؟").passages[0].passage.text


def test_a_store_path_that_cannot_be_a_directory_is_a_clear_error(e5, tmp_path, capsys):
    from assistant.cli import main

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["ask", "When did Putin and Xi last meet?", "--store", str(blocker / "store")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("article-qa: cannot open the store at") and "Traceback" not in err
    assert "--store DIR or ARTICLE_QA_STORE" in err, "the command line names the option that fixes it"


def test_a_kill_between_write_batches_leaves_the_old_version_and_a_rerun_finishes(e5, tmp_path, monkeypatch):
    import vectorstore.chroma as chroma

    qa = Assistant.build(e5, tmp_path / "store")
    path = tmp_path / "news.txt"
    path.write_text(
        "\n\n".join(f"الفقرة رقم {i} تتحدث عن التجارة بين البلدين في العام {2000 + i}." for i in range(12)),
        encoding="utf-8",
    )
    qa.ingest(path)
    old_version = qa.store.current_versions()
    path.write_text(path.read_text(encoding="utf-8").replace("التجارة", "الطاقة"), encoding="utf-8")
    monkeypatch.setattr(qa.store._client, "get_max_batch_size", lambda: 5)
    real_upsert, calls = chroma.PassageStore._upsert, []

    def dying_upsert(self, collection, ids, *args):
        calls.append(len(ids))
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process killed between two batches
        return real_upsert(self, collection, ids, *args)

    monkeypatch.setattr(chroma.PassageStore, "_upsert", dying_upsert)
    with pytest.raises(KeyboardInterrupt):
        qa.ingest(path)
    assert qa.store.current_versions() == old_version
    assert all("التجارة" in h.text for h in qa.store.passages(old_version)), "queries still see the old version whole"
    monkeypatch.setattr(chroma.PassageStore, "_upsert", real_upsert)
    assert qa.store.count() > 12, "the dead write left passages behind, unseen by queries"
    found = qa.check().found
    assert found.consistent and len(found.orphans) == 12, (
        "the old version is whole; the passages the dead write made are orphans"
    )
    (report,) = qa.ingest(path)
    assert report.status == "replaced" and all(
        "الطاقة" in h.text for h in qa.store.passages(qa.store.current_versions())
    )
    assert qa.store.count() == report.passages, "and the next write of the article swept them away"
    assert qa.check().found.orphans == [] and qa.check().consistent


def test_a_failed_batch_is_retried_with_the_embeddings_already_made(e5, tmp_path, monkeypatch):
    import vectorstore.chroma as chroma

    monkeypatch.setattr(chroma, "WRITE_BACKOFF_S", 0.01)
    path = tmp_path / "ten.txt"
    path.write_text(
        "\n\n".join(f"هذه فقرة رقم {i} عن الطاقة والغاز. وفيها جملة ثانية عن النفط والأسعار." for i in range(10)),
        encoding="utf-8",
    )
    embedded: list[int] = []
    real_encode = e5.encode_passages
    monkeypatch.setattr(e5, "encode_passages", lambda texts: embedded.append(len(texts)) or real_encode(texts))

    Assistant.build(e5, tmp_path / "calm").ingest(path)  # a write that never fails, for comparison
    calm = sum(embedded)
    embedded.clear()
    qa = Assistant.build(e5, tmp_path / "flaky")
    store = qa.store
    monkeypatch.setattr(store._client, "get_max_batch_size", lambda: 4)
    sizes: list[int] = []
    real_upsert = store._passages.upsert

    def flaky(**kwargs):
        sizes.append(len(kwargs["ids"]))
        if len(sizes) == 2:
            raise ConnectionError("the server hiccupped")
        return real_upsert(**kwargs)

    monkeypatch.setattr(store._passages, "upsert", flaky)
    (report,) = qa.ingest(path)
    assert report.status == "added" and store.count() == report.passages == 10
    assert sizes[1] == sizes[2] == 4 and max(sizes) <= 4, "the failed batch was sent again, whole"
    assert sum(embedded) == calm, "nothing was embedded twice"


def test_a_read_only_store_gives_a_clear_message_and_stays_as_it_was(tmp_path):
    import shutil
    import subprocess

    from assistant.cli import main
    from ingest import sample_article_path

    store = tmp_path / "store"
    assert main(["ingest", str(sample_article_path()), "--store", str(store)]) == 0
    files = [store, *store.rglob("*")]
    before = {p: p.stat().st_mtime_ns for p in files if p.is_file()}
    # Immutable files: read-only even for root, who ignores permission bits (CI runs as root).
    if (
        shutil.which("chattr") is None
        or subprocess.run(["chattr", "+i", *map(str, files)], capture_output=True).returncode
    ):
        pytest.skip("chattr +i is not available here to make the store read-only")
    try:
        import sys

        done = subprocess.run(  # another process, as a user would run it
            [sys.executable, "-m", "assistant.cli", "ask", "When did Putin and Xi last meet in person?", "--store", str(store)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 1
        assert f"the store at {store} is read-only" in done.stderr and "Traceback" not in done.stderr
    finally:
        subprocess.run(["chattr", "-i", *map(str, files)], check=True)
    assert {p: p.stat().st_mtime_ns for p in before} == before, "nothing already stored was touched"


def test_leftovers_of_a_dead_first_write_can_be_removed(e5, tmp_path, monkeypatch):
    import vectorstore.chroma as chroma

    qa = Assistant.build(e5, tmp_path / "store")
    path = tmp_path / "first.txt"
    path.write_text("خبر أول عن التجارة بين البلدين في هذا العام، وبلغ حجمها مليار دولار.", encoding="utf-8")
    monkeypatch.setattr(chroma.PassageStore, "_upsert", _dies_on_articles(chroma.PassageStore._upsert))
    with pytest.raises(KeyboardInterrupt):
        qa.ingest(path)
    assert qa.store.article_ids() == [] and qa.store.count() >= 1
    assert qa.check().consistent and qa.check().found.orphans, "no article is broken; the leftovers are orphans"
    assert qa.remove_article("first") >= 1 and qa.store.count() == 0
    with pytest.raises(IngestError, match="no article 'first'"):
        qa.remove_article("first")


def _dies_on_articles(real):
    def upsert(self, collection, ids, *args):
        if collection is self._articles:
            raise KeyboardInterrupt  # killed just before the switch
        return real(self, collection, ids, *args)

    return upsert
