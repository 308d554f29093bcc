"""Lexical tokens, rank fusion, answer types, follow-ups and small talk: pure functions, worked by hand."""

from __future__ import annotations

import contextlib
import logging
import unicodedata

import numpy as np
import pytest

from assistant.abstention import FEATURES, answer_probability
from assistant.conversation import is_follow_up, resolve_follow_up, small_talk, user_turns
from assistant.evidence import asked_type
from assistant.retrieval import HybridRetriever, reciprocal_rank_fusion
from ingest.normalize import lexical_tokens
from vectorstore.chroma import Hit


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("والصين بالصين الصين", ["صين", "صين", "صين"]),  # light10 prefixes
        ("التجارة التجاري", ["تجار", "تجار"]),  # one light10 suffix (ه, ي) after ة → ه
        ("بنسبة ٢٩٫٨٪ في 2019", ["بنسب", "29.8", "2019"]),  # digits folded, decimal kept, stopword في dropped
        ("What was the trade volume in 2019?", ["trade", "volume", "2019"]),
        ("ما هو ذلك الذي في", []),  # stopwords only
    ],
)
def test_lexical_tokens(text, tokens):
    assert lexical_tokens(text) == tokens


def test_reciprocal_rank_fusion_by_hand():
    # k = 60: a = 1/61 + 1/62, b = 1/62 + 1/61 (tie with a; a came first), c = 1/63
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "a"]])
    assert [x for x, _ in fused] == ["a", "b", "c"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62) and fused[2][1] == pytest.approx(1 / 63)
    # a weight of 2 on the second ranking puts b first: 1/62 + 2/61 > 1/61 + 2/62
    assert reciprocal_rank_fusion([["a", "b"], ["b", "a"]], weights=[1, 2])[0][0] == "b"


def _hit(pid: str, text: str) -> Hit:
    return Hit(pid, text, {}, 0.0)


class _Store:
    """What the retriever reads of a store to index it: the current versions and their passages."""

    def __init__(self, passages: list[Hit]) -> None:
        self.all, self.read = passages, []

    def current_versions(self) -> list[str]:
        return sorted({str(h.metadata["article_version"]) for h in self.all})

    def passages(self, versions: list[str]) -> list[Hit]:
        self.read.append(list(versions))
        return [h for h in self.all if h.metadata["article_version"] in versions]

    def generation(self) -> str:
        return str(len(self.all))

    def reading(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def passage_counts(self) -> tuple[str, dict[str, int]]:
        counts: dict[str, int] = {}
        for h in self.all:
            counts[str(h.metadata["article_version"])] = counts.get(str(h.metadata["article_version"]), 0) + 1
        return self.generation(), counts


def test_lexical_index_ranks_by_bm25_and_warns_on_passages_without_tokens(caplog):
    store = _Store([_versioned("p1", "a@1", "نما حجم التجارة بنسبة 29.8%"), _versioned("p2", "a@1", "التقى بوتين وشي في 2019"),
                    _versioned("p3", "a@1", "هو في ذلك")])  # fmt: skip
    with caplog.at_level(logging.WARNING):
        index = HybridRetriever(None, lambda: store).lexical_index()  # type: ignore[arg-type]
    assert "p3 has no lexical token" in caplog.text
    assert [pid for pid, _ in index.rank(lexical_tokens("When did Putin meet Xi, in 2019?"), 5)] == ["p2"]
    assert [pid for pid, _ in index.rank(lexical_tokens("ما حجم التجارة؟"), 5)] == ["p1"]
    assert index.rank([], 5) == []


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("كم جندياً شارك في التدريبات؟", "number"),
        ("How much did trade grow?", "number"),
        ("بأي نسبة انخفض حجم التجارة؟", "percent"),
        ("By what percentage did trade fall?", "percent"),
        ("How much did the Ningxia exercises cost?", "money"),
        ("كم كلفت التدريبات؟", "money"),
        ("ما تكلفة التدريبات؟", "money"),
        ("متى عقد الرئيسان اجتماعاً؟", "date"),
        ("ومتى حدث ذلك؟", "date"),
        ("When did Putin and Xi last meet?", "date"),
        ("أين جرت التدريبات؟", "place"),
        ("In which province were the exercises held?", "place"),
        ("من هو رئيس روسيا؟", "person"),
        ("Who carried the statement?", "person"),
        ("What did the G7 condemn?", None),
        ("ماذا أدان بيان مجموعة السبع؟", None),
    ],
)
def test_asked_type(question, kind):
    assert asked_type(question) == kind


def test_answer_probability_grows_with_the_evidence():
    # cosine, passage cosine, coverage, passage coverage, missing names/numbers, type fit, cross-lingual,
    # cross × coverage; then the gaps to the best candidate (cosine, passage rank, coverage, passage cosine, cross)
    weak = np.array([0.78, 0.78, 0.0, 0.2, 2.0, -1.0, 0.0, 0.0, -0.05, 2.0, -0.5, -0.05, 0.0])
    strong = np.array([0.90, 0.88, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert len(weak) == len(FEATURES)
    assert answer_probability(weak) < 0.1 < 0.9 < answer_probability(strong)


@pytest.mark.parametrize(
    ("message", "kind"),
    [("مرحباً 👋", "greeting"), ("السلام عليكم", "greeting"), ("Hello!", "greeting"), ("شكراً جزيلاً", "thanks"),
     ("Thanks a lot", "thanks"), ("hi there", "greeting"), ("ok thanks", "thanks"), ("bye", "farewell"), ("مع السلامة", "farewell"),
     ("شكرا لك على المساعدة", "thanks"), ("Hello, when did they meet?", None), ("شكراً، وكم بلغت التجارة؟", None)],
)  # fmt: skip
def test_small_talk(message, kind):
    assert small_talk(message) == kind


def test_follow_ups_are_retrieved_with_the_previous_question():
    history = [
        {"role": "user", "content": "مرحباً"},
        {"role": "assistant", "content": "أهلاً"},
        {"role": "user", "content": [{"type": "text", "text": "ما حجم التبادل التجاري بين البلدين؟"}]},
        {"role": "assistant", "content": "…"},
    ]
    assert user_turns(history) == ["مرحباً", "ما حجم التبادل التجاري بين البلدين؟"]
    assert (
        is_follow_up("ومتى حدث ذلك؟")
        and is_follow_up("what about the trade figures?")
        and is_follow_up("And last year?")
    )
    assert is_follow_up("وبأي نسبة نما؟") and is_follow_up("why?")
    assert not is_follow_up("When did Putin and Xi last meet in person?")
    assert not is_follow_up("كم عدد الجنود؟") and not is_follow_up("ما عاصمة فرنسا؟")  # short, but standing alone
    assert resolve_follow_up("ومتى حدث ذلك؟", history) == "ما حجم التبادل التجاري بين البلدين؟ ومتى حدث ذلك؟"
    assert resolve_follow_up("ومتى حدث ذلك؟", []) == "ومتى حدث ذلك؟"  # nothing to lean on
    assert resolve_follow_up("When did Putin and Xi last meet in person?", history).startswith("When")
    assert resolve_follow_up("why?", [("كم بلغت التجارة؟", "…")]) == "كم بلغت التجارة؟ why?"  # (user, assistant) pairs
    chain = [("كم بلغت التجارة؟", "…"), ("وبأي نسبة نمت؟", "…")]
    assert resolve_follow_up("and last year?", chain) == "كم بلغت التجارة؟ and last year?"  # the chain's first question


def test_a_history_is_read_within_bounds_whatever_its_size():
    """A million-character turn, a turn of ﷺ (18 code points each in NFKC), 100,000 turns, text parts that are not
    text: what the follow-up rewrite reads is bounded like a question (measured before: 38 s for a 40,000-character
    turn, minutes for a million)."""
    from assistant.conversation import MAX_TURN_CHARS, MAX_TURNS, turns

    huge = [{"role": "user", "content": "trade " * 200_000}, {"role": "assistant", "content": "ok"}]
    assert [len(t) for _, t in turns(huge)] == [MAX_TURN_CHARS, 2]
    ((_, fdfa),) = turns([{"role": "user", "content": "ﷺ" * 600}])
    assert 0 < len(unicodedata.normalize("NFKC", fdfa)) <= MAX_TURN_CHARS
    many = [("q", "a")] * 100_000 + [("كم بلغت التجارة؟", "…")]
    assert len(turns(many)) == MAX_TURNS and turns(many)[-2:] == [("user", "كم بلغت التجارة؟"), ("assistant", "…")]
    assert resolve_follow_up("why?", many) == "كم بلغت التجارة؟ why?"
    assert turns([{"role": "user", "content": [{"type": "text", "text": 5}, {"type": "text", "text": "hi"}]}]) == [
        ("user", "hi")
    ]


def test_quotes_follow_the_probability_order_and_a_weak_second_sentence_is_left_out():
    from assistant.answer import ScoredSentence, extractive_answer
    from assistant.types import RetrievedPassage
    from ingest.types import Passage

    first, second, third = "The early sentence has four words.", "The later sentence answers it.", "A third one, weak."
    text = f"{first} {second} {third}"
    p = Passage("a", "a-v-0000", 0, text, 0, len(text))
    hit = RetrievedPassage(p, 0.9)
    at = {s: text.index(s) for s in (first, second, third)}
    ranked = [
        ScoredSentence(hit, at[s], at[s] + len(s), s, score) for s, score in ((second, 0.9), (first, 0.6), (third, 0.3))
    ]
    answer = extractive_answer("Which?", "en", ranked)
    assert [c.quote for c in answer.citations] == [second, first]  # best first, whatever the article order
    assert all(text[c.char_start : c.char_end] == c.quote for c in answer.citations)
    assert [c.quote for c in extractive_answer("Which?", "en", ranked, quote_margin=0.2).citations] == [second]


def _versioned(pid: str, version: str, text: str) -> Hit:
    return Hit(pid, text, {"article_version": version}, 0.0)


def test_the_lexical_index_reads_only_new_versions_and_a_new_process_loads_it_saved(tmp_path):
    passages = [_versioned("a1", "a@1", "trade grew fast"), _versioned("b1", "b@1", "trade fell"),
                _versioned("c1", "c@1", "energy deals")]  # fmt: skip
    store = _Store(passages)
    retriever = HybridRetriever(None, lambda: store, tmp_path / "lexical")  # type: ignore[arg-type]
    index = retriever.lexical_index()
    assert [pid for pid, _ in index.rank(["trade"], 5)] == ["b1", "a1"]
    assert [pid for pid, _ in index.rank(["trade"], 5, ["a@1", "c@1"])] == ["a1"], "a selection filters the ranking"
    store.all = [*passages[1:], _versioned("d1", "d@1", "trade talks")]  # a@1 removed, d@1 added
    grown = retriever.lexical_index()
    assert store.read == [["a@1", "b@1", "c@1"], ["d@1"]], "only the new version is read"
    assert [pid for pid, _ in grown.rank(["trade"], 2)] == ["b1", "d1"]
    # Another process: the saved index, no passage read.
    other = _Store(store.all)
    loaded = HybridRetriever(None, lambda: other, tmp_path / "lexical").lexical_index()  # type: ignore[arg-type]
    assert other.read == [] and loaded.versions == ("b@1", "c@1", "d@1")
    assert loaded.rank(["trade"], 2) == grown.rank(["trade"], 2)
