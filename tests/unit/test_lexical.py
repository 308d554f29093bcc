"""The segmented BM25 index: scores equal bm25s's over the live passages, through adds, removals, merges and files."""

from __future__ import annotations

import json

import bm25s
import numpy as np
import pytest

from assistant import lexical
from assistant.lexical import LexicalIndex
from ingest.normalize import lexical_tokens

TEXTS = [
    "بلغ حجم التبادل التجاري بين الصين وروسيا 102.5 مليار دولار في الأرباع الثلاثة الأولى",
    "شارك أكثر من 10 آلاف جندي روسي وصيني في التدريبات العسكرية المشتركة",
    "The G7 foreign ministers demanded that Russia withdraw its troops",
    "Putin and Xi met in person in Beijing in February 2022",
    "التقى بوتين وشي في بكين في فبراير 2022 قبل الحرب",
    "Trade between China and Russia reached $102.5 billion",
    "الرئيس الصيني شي جين بينغ يعقد لقاء عبر الفيديو مع بوتين",
    "Military exercises in Ningxia involved ten thousand soldiers",
]
QUESTIONS = [
    "كم بلغ حجم التبادل التجاري؟",
    "When did Putin and Xi meet?",
    "soldiers Ningxia Ningxia",
    "بوتين بكين 2022",
]


def passages(texts: list[str], version: str) -> list[tuple[str, str, list[str]]]:
    return [(f"{version}-{i}", version, lexical_tokens(t)) for i, t in enumerate(texts)]


def reference(rows: list[tuple[str, str, list[str]]], question: str) -> dict[str, float]:
    """bm25s's scores (Lucene BM25, k1 1.5, b 0.75) over ``rows``, positive ones, by passage id."""
    model = bm25s.BM25()
    model.index([t for _, _, t in rows], show_progress=False)
    tokens = [t for t in lexical_tokens(question) if t in model.vocab_dict]
    if not tokens:
        return {}
    scores = model.get_scores(tokens)
    return {rows[i][0]: float(s) for i, s in enumerate(scores) if s > 0}


def ours(index: LexicalIndex, question: str, versions: list[str] | None = None) -> dict[str, float]:
    return dict(index.rank(lexical_tokens(question), 100, versions))


def assert_same(index: LexicalIndex, rows: list[tuple[str, str, list[str]]]) -> None:
    for q in QUESTIONS:
        want, got = reference(rows, q), ours(index, q)
        assert want.keys() == got.keys(), q
        for pid, score in want.items():
            assert got[pid] == pytest.approx(score, rel=1e-5), (q, pid)


def test_scores_equal_bm25s_over_one_segment():
    rows = passages(TEXTS, "a@1")
    index = LexicalIndex()
    index.add(rows)
    assert_same(index, rows)
    assert ours(index, "كم بلغ حجم التبادل التجاري؟")  # the test can fail: something matches


def test_scores_stay_exact_through_adds_removals_and_merges():
    index = LexicalIndex()
    first, second, third = passages(TEXTS[:3], "a@1"), passages(TEXTS[3:6], "b@1"), passages(TEXTS[6:], "c@1")
    index.add(first)
    index.add(second)
    index.add(third)
    assert index.segments == 3
    assert_same(index, first + second + third)
    index.remove(["b@1"])
    assert index.versions == ("a@1", "c@1") and len(index) == 5
    assert_same(index, first + third)  # N, df and avgdl of the live passages only
    index.merge()
    assert index.segments == 1
    assert_same(index, first + third)
    again = passages(TEXTS[3:6], "b@2")
    index.add(again)
    assert_same(index, first + third + again)


def test_a_selection_of_versions_filters_the_ranking_not_the_statistics():
    index = LexicalIndex()
    rows = passages(TEXTS[:4], "a@1") + passages(TEXTS[4:], "b@1")
    index.add(rows)
    everything = ours(index, "بوتين بكين 2022")
    only_b = ours(index, "بوتين بكين 2022", ["b@1"])
    assert only_b and set(only_b) < set(everything) and all(pid.startswith("b@1") for pid in only_b)
    assert all(everything[pid] == score for pid, score in only_b.items())


def test_update_reads_only_the_versions_it_lacks_and_merges_past_the_limit(monkeypatch):
    monkeypatch.setattr(lexical, "MAX_SEGMENTS", 2)
    read: list[list[str]] = []
    corpus = {"a@1": TEXTS[:3], "b@1": TEXTS[3:6], "c@1": TEXTS[6:]}

    def passages_of(versions: list[str]) -> list[tuple[str, str, list[str]]]:
        read.append(versions)
        return [row for v in versions for row in passages(corpus[v], v)]

    index = LexicalIndex()
    assert index.update(["a@1"], passages_of)
    assert index.update(["a@1", "b@1"], passages_of)
    assert not index.update(["a@1", "b@1"], passages_of)
    assert index.update(["a@1", "b@1", "c@1"], passages_of)
    assert read == [["a@1"], ["b@1"], ["c@1"]]
    assert index.segments == 1  # three segments: merged
    assert index.update(["a@1", "c@1"], passages_of, reread=["c@1"])
    assert read[-1] == ["c@1"]
    assert_same(index, passages(corpus["a@1"], "a@1") + passages(corpus["c@1"], "c@1"))


def test_held_tokens_are_those_of_the_passage():
    index = LexicalIndex()
    rows = passages(TEXTS[:4], "a@1") + passages(TEXTS[4:], "b@1")
    index.add(rows[:4])
    index.add(rows[4:])
    for pid, _, tokens in rows:
        asked = lexical_tokens("بوتين بكين 2022 Putin Beijing soldiers")
        assert index.held_tokens(pid, asked) == set(asked) & set(tokens)
    assert index.held_tokens("no-such-passage", ["2022"]) == set()


def test_a_saved_index_loads_equal_and_a_changed_tokenizer_or_lost_file_builds_again(tmp_path, monkeypatch):
    index = LexicalIndex()
    rows = passages(TEXTS[:5], "a@1")
    index.add(rows)
    index.add(passages(TEXTS[5:], "b@1"))
    index.remove(["b@1"])
    index.generation = "g1"
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert loaded is not None and loaded.generation == "g1" and loaded.versions == ("a@1",)
    assert_same(loaded, rows)
    more = passages(TEXTS[5:], "c@1")
    loaded.add(more)  # a loaded index takes new segments, with new tokens
    loaded.save(tmp_path)
    again = LexicalIndex.load(tmp_path)
    assert again is not None
    assert_same(again, rows + more)
    assert sorted(p.name for p in tmp_path.glob("seg-*.npz")) == sorted(
        json.loads((tmp_path / "manifest.json").read_text())["segments"]
    )

    monkeypatch.setattr(lexical, "tokenizer_hash", lambda: "another")
    assert LexicalIndex.load(tmp_path) is None
    monkeypatch.undo()
    next(tmp_path.glob("seg-*.npz")).unlink()
    assert LexicalIndex.load(tmp_path) is None
    assert LexicalIndex.load(tmp_path / "nothing-here") is None


def test_an_empty_index_ranks_nothing():
    index = LexicalIndex()
    assert index.rank(["x"], 5) == [] and len(index) == 0
    index.add([("p", "a@1", [])])  # a passage with no token
    assert index.rank(["x"], 5) == [] and np.isclose(len(index), 1)


def test_a_version_stored_again_is_live_once_also_in_the_next_process(tmp_path):
    """A removed article ingested again at its old version: its older copy stays dead after a reload."""
    index = LexicalIndex()
    first, second = passages(TEXTS[:4], "a@1"), passages(TEXTS[4:], "b@1")
    index.add(first)
    index.add(second)
    index.remove(["b@1"])
    index.add(second)  # the same version again
    index.add(second)  # and once more, without a removal
    assert len(index) == len(TEXTS)
    assert_same(index, first + second)
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert loaded is not None and len(loaded) == len(TEXTS)
    assert_same(loaded, first + second)
    assert [pid for pid, _ in loaded.rank(lexical_tokens("بوتين بكين 2022"), 10)].count("b@1-0") == 1


@pytest.mark.parametrize(
    "damage",
    ["empty segment", "short segment", "manifest []", "manifest null", "no live_versions", "live_versions 5",
     "segments null", "garbage manifest", "lengths cut", "negative index", "pointers out of order", "ids cut",
     "NaN length"],
)  # fmt: skip
def test_a_damaged_saved_index_is_built_again_never_an_error(tmp_path, damage, caplog):
    index = LexicalIndex()
    index.add(passages(TEXTS, "a@1"))
    index.save(tmp_path)
    segment, manifest = next(tmp_path.glob("seg-*.npz")), tmp_path / "manifest.json"
    saved = json.loads(manifest.read_text())
    if damage == "empty segment":
        segment.write_bytes(b"")
    elif damage == "short segment":
        segment.write_bytes(segment.read_bytes()[:1000])
    elif damage == "manifest []":
        manifest.write_text("[]")
    elif damage == "manifest null":
        manifest.write_text("null")
    elif damage == "no live_versions":
        manifest.write_text(json.dumps({k: v for k, v in saved.items() if k != "live_versions"}))
    elif damage == "live_versions 5":
        manifest.write_text(json.dumps({**saved, "live_versions": 5}))
    elif damage == "segments null":
        manifest.write_text(json.dumps({**saved, "segments": None}))
    elif damage in ("lengths cut", "negative index", "pointers out of order", "ids cut", "NaN length"):
        arrays = dict(np.load(segment))  # a well-formed file whose arrays do not fit together
        if damage == "lengths cut":
            arrays["lengths"] = arrays["lengths"][:2]
        elif damage == "negative index":
            arrays["indices"][0] = -3
        elif damage == "pointers out of order":
            arrays["indptr"][1] = arrays["indptr"][-1] + 5
        elif damage == "ids cut":
            arrays["ids"] = arrays["ids"][:-1]
        else:
            arrays["lengths"][0] = np.nan
        with segment.open("wb") as f:
            np.savez(f, **arrays)
    else:
        manifest.write_bytes(b"\xff\xfe{")
    assert LexicalIndex.load(tmp_path) is None
    assert "building it again" in caplog.text


def test_a_failed_save_leaves_no_temporary_file(tmp_path, monkeypatch):
    index = LexicalIndex()
    index.add(passages(TEXTS, "a@1"))

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lexical.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        index.save(tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.name != ".lock"] == []
