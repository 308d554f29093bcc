"""Many articles per store, unchanged and changed re-ingestion, failures half-way, list and remove."""

from __future__ import annotations

import json

import pytest

from assistant import Assistant, IngestError, StoreError
from assistant.cli import FIXES, main
from assistant.errors import user_message
from ingest import sample_article_path

EDITED_FROM = "ليصل إلى 102.5 مليار دولار"
EDITED_TO = "ليصل إلى 115.7 مليار دولار"
TRADE_QUESTION = "ما حجم التبادل التجاري بين البلدين في الأرباع الثلاثة الأولى؟"


@pytest.fixture
def sample_copy(tmp_path):
    path = tmp_path / "putin-xi.txt"
    path.write_text(sample_article_path().read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_unchanged_article_is_a_no_op(assistant, sample_copy):
    first = assistant.ingest(sample_copy)[0]
    count = assistant.store.count()
    again = assistant.ingest(sample_copy)[0]
    assert (first.status, again.status) == ("added", "unchanged")
    assert assistant.store.count() == count and again.removed == 0


def test_edited_sentence_replaces_only_that_article(assistant, sample_copy, tmp_path):
    other = tmp_path / "energy.md"
    other.write_text("# Energy\n\nRussia agreed to supply 38 billion cubic metres of gas to China every year.\n")
    assistant.ingest([sample_copy, other])
    other_ids = set(assistant.store._passages.get(where={"article_id": "energy"}, include=[])["ids"])
    sample_copy.write_text(sample_copy.read_text(encoding="utf-8").replace(EDITED_FROM, EDITED_TO), encoding="utf-8")
    report = assistant.ingest(sample_copy)[0]
    assert report.status == "replaced" and report.removed == report.passages
    assert set(assistant.store._passages.get(where={"article_id": "energy"}, include=[])["ids"]) == other_ids
    answer = assistant.ask(TRADE_QUESTION)
    quoted = " ".join(c.quote for c in answer.citations)
    assert "115.7" in quoted and "102.5" not in quoted
    stored = " ".join(assistant.store._passages.get(include=["documents"])["documents"])
    assert "102.5" not in stored, "the old text is no longer retrievable"


def test_a_new_version_without_a_title_does_not_keep_the_old_one(assistant, tmp_path):
    """Chroma merges metadata on upsert: what the old version had and the new one lacks must go."""
    path = tmp_path / "ferry.txt"
    path.write_text(
        "Old Headline Here\n\nThe ferry company carried eighty thousand passengers in July.\n", encoding="utf-8"
    )
    assistant.ingest(path)
    assert assistant.store.article_metadata("ferry").get("title") == "Old Headline Here"
    path.write_text(
        "the ferry company carried ninety thousand passengers in august, a record for the line.\n", encoding="utf-8"
    )
    assert assistant.ingest(path)[0].status == "replaced"
    assert assistant.store.article_metadata("ferry").get("title") != "Old Headline Here"


def test_failure_half_way_leaves_the_old_version_whole(assistant, sample_copy, monkeypatch):
    assistant.ingest(sample_copy)
    before = assistant.ask(TRADE_QUESTION)
    sample_copy.write_text(sample_copy.read_text(encoding="utf-8").replace(EDITED_FROM, EDITED_TO), encoding="utf-8")
    articles = assistant.store._articles

    def crash(*args, **kwargs):  # the process dies after the new passages, before the switch
        raise RuntimeError("killed")

    monkeypatch.setattr(articles, "upsert", crash)
    with pytest.raises(StoreError, match="could not write"):
        assistant.ingest(sample_copy)
    assert assistant.ask(TRADE_QUESTION) == before, "queries see the old version only, never a mix"
    monkeypatch.undo()
    assert assistant.check().consistent, "the old version is whole"
    report = assistant.ingest(sample_copy)[0]  # a re-run completes and cleans up
    assert report.status == "replaced"
    assert assistant.store.count() == report.passages
    assert assistant.check().found.orphans == []
    assert any("115.7" in c.quote for c in assistant.ask(TRADE_QUESTION).citations)


def test_a_directory_is_ingested_whole_and_ids_stay_apart(assistant, tmp_path):
    news = tmp_path / "news"
    (news / "sub").mkdir(parents=True)
    (news / "a.txt").write_text("The first article reports that wheat prices rose sharply this week.")
    (news / "sub" / "b.md").write_text("# B\n\nThe second article says the central bank kept its rates unchanged.")
    (news / "c.html").write_text(
        "<html><head><title>C</title></head><body><article><h1>C</h1><p>The third article covers a marathon "
        "held in the capital with twenty thousand runners taking part.</p></article></body></html>"
    )
    (news / "notes.csv").write_text("ignored,file")
    reports = assistant.ingest(news)
    assert sorted(r.article_id for r in reports) == ["a", "b", "c"]
    rows = assistant.list_articles()
    assert [r["article_id"] for r in rows] == ["a", "b", "c"]
    assert all(r["passages"] == 1 and r["ingested_at"] for r in rows)
    assert not assistant.ask("Did the central bank change its rates?").abstained


def test_another_source_under_the_same_id_is_refused(assistant, sample_copy, tmp_path):
    assistant.ingest(sample_copy)
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    (elsewhere / "putin-xi.txt").write_text("A different article about something else entirely, with more words.")
    with pytest.raises(IngestError, match="already holds .*give it another id") as caught:
        assistant.ingest(elsewhere / "putin-xi.txt")
    assert caught.value.setting == "article_id"
    assert "--article-id" in user_message(caught.value, FIXES)
    assistant.ingest(elsewhere / "putin-xi.txt", article_id="putin-xi-2")
    assert assistant.store.article_ids() == ["putin-xi", "putin-xi-2"]


def test_remove_deletes_the_article_and_its_passages(assistant, sample_copy):
    assistant.ingest(sample_copy)
    assert assistant.remove_article("putin-xi") > 0
    assert assistant.store.count() == 0 and assistant.list_articles() == []
    with pytest.raises(IngestError, match="no article 'putin-xi'"):
        assistant.remove_article("putin-xi")


def test_cli_list_remove_and_article_id(tmp_path, sample_copy, capsys):
    store = ["--store", str(tmp_path / "s")]
    assert main(["ingest", str(sample_copy), "--article-id", "summit", *store]) == 0
    assert "summit — الشراكة" in capsys.readouterr().out
    assert main(["ingest", str(sample_copy), "--article-id", "summit", *store]) == 0
    assert "summit — الشراكة والقضايا الإقليمية على طاولة مباحثات بوتين وشي: unchanged" in capsys.readouterr().out
    assert main(["list", "--json", *store]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["article_id"] == "summit" and rows[0]["dateline"] == "دبي -الشرق" and rows[0]["language"] == "ar"
    assert main(["remove", "summit", *store]) == 0
    assert "removed summit" in capsys.readouterr().out
    assert main(["list", *store]) == 0
    assert "holds no article" in capsys.readouterr().out


def test_the_same_file_by_another_path_is_the_same_source(assistant, sample_copy, monkeypatch):
    assistant.ingest(sample_copy)
    monkeypatch.chdir(sample_copy.parent)
    assert assistant.ingest(sample_copy.name)[0].status == "unchanged"


def test_hidden_files_in_a_directory_are_skipped(assistant, tmp_path):
    (tmp_path / "news" / ".git").mkdir(parents=True)
    (tmp_path / "news" / "story.txt").write_text("The harbour reopened after a week of repairs to the main pier.")
    (tmp_path / "news" / ".draft.md").write_text("A draft that is not ready to be published at all.")
    (tmp_path / "news" / ".git" / "notes.md").write_text("Internal notes of the version control system here.")
    assert [r.article_id for r in assistant.ingest(tmp_path / "news")] == ["story"]


def test_vowelled_article_answers_a_plain_question(assistant, tmp_path):
    article = tmp_path / "riyadh.txt"
    article.write_text(
        "مِيزَانِيَّةُ الرِّيَاض\n\n"
        "بَلَغَتْ مِيزَانِيَّةُ أَمَانَةِ الرِّيَاضِ لِعَامِ 2025 نَحْوَ 12 مِلْيَارَ رِيَالٍ.\n\n"
        "وَافْتُتِحَتْ حَدِيقَةٌ جَدِيدَةٌ فِي شَمَالِ المَدِينَةِ يَوْمَ الخَمِيسِ.\n\n"
        "وَتَسْتَضِيفُ المَدِينَةُ مَعْرِضاً لِلْكِتَابِ فِي الخَرِيفِ المُقْبِلِ.\n",
        encoding="utf-8",
    )
    assistant.ingest(article)
    answer = assistant.ask("كم بلغت ميزانية أمانة الرياض لعام 2025؟")
    assert not answer.abstained and "12 مِلْيَارَ" in answer.citations[0].quote


def test_a_store_of_an_older_layout_is_refused(e5, tmp_path):
    from vectorstore import open_client

    client = open_client(tmp_path / "old")
    client.create_collection(
        "articles", metadata={"embedding_model": e5.model_name, "embedding_dim": 384}, embedding_function=None
    )
    with pytest.raises(StoreError, match="older article-qa"):
        Assistant.build(e5, tmp_path / "old").store.count()


def test_interrupted_ingest_says_what_was_kept(tmp_path, capsys, monkeypatch):
    from assistant.api import Assistant as AssistantClass

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(AssistantClass, "ingest", interrupted)
    assert main(["ingest", str(tmp_path), "--store", str(tmp_path / "s")]) == 130
    assert "interrupted" in capsys.readouterr().err
