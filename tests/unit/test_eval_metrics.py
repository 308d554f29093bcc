"""Each evaluation metric on a tiny case whose expected value is worked out by hand in the test."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.evaluation.datasets import EvalQuestion
from assistant.evaluation.metrics import (
    QuestionResult,
    answer_text,
    contains_answer,
    exact_match,
    hit_rank,
    normalize_answer,
    score_question,
    summarize,
    token_f1,
)
from assistant.types import Answer, AnswerTrace, Citation, RetrievedPassage, ShortAnswer
from ingest.types import Passage


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("«الأربعاء»", "اربعاء"),  # quote marks dropped, hamza alef folded, article removed
        ("بنسبة ٢٩٫٨٪", "بنسبه 298"),  # taa marbuta, Arabic-Indic digits and separator, percent sign
        ("وأربعة  مرات", "اربعه مرات"),  # conjunction و removed (3 letters remain), spaces collapsed
        ("ومن", "ومن"),  # و kept when fewer than 3 letters would remain
        ("للولايات والصين", "ولايات صين"),  # لل and وال prefixes
        ("The U.S. Army", "us army"),  # SQuAD: case, ASCII punctuation, English articles
        ("مَدِينَةُ دبي", "مدينه دبي"),  # diacritics
    ],
)
def test_normalize_answer(text, expected):
    assert normalize_answer(text) == expected


def test_exact_match_is_equality_after_normalisation_best_over_golds():
    assert exact_match("الاربعاء", ["الأربعاء"]) == 1.0
    assert exact_match("يوم الأربعاء", ["الأربعاء"]) == 0.0
    assert exact_match("يوم الأربعاء", ["الأحد", "يوم الأربعاء"]) == 1.0


def test_token_f1_by_hand():
    # prediction tokens: حجم تجاره 1025 مليار (4); gold tokens: 1025 مليار دولار (3); common: 1025 مليار (2)
    # P = 2/4, R = 2/3, F1 = 2PR/(P+R) = (2/3)/(7/6) = 4/7
    assert token_f1("حجم التجارة 102.5 مليار", ["102.5 مليار دولار"]) == pytest.approx(4 / 7)
    # second gold: حجم تجاره (2), both in the prediction: P = 2/4, R = 1, F1 = 1/1.5 = 2/3; best of the two
    assert token_f1("حجم التجارة 102.5 مليار", ["102.5 مليار دولار", "حجم التجارة"]) == pytest.approx(2 / 3)
    assert token_f1("لا شيء", ["102.5"]) == 0.0
    assert token_f1("anything", []) == 0.0


@pytest.mark.parametrize(
    ("text", "golds", "expected"),
    [
        ("ليصل إلى 102.5 مليار دولار", ["102.5 مليار دولار"], True),
        ("في عام 1308", ["308"], False),  # whole words only
        ("قام بتحصيل وأربعة مرات", ["أربعة"], True),  # conjunction
        ("ومن غير المرجح أن يؤثر", ["من غير المرجح"], True),  # one-letter proclitic before a short word
        ('مطالبين روسيا بـ"تهدئة التصعيد"', ["تهدئة التصعيد"], True),  # ب with tatweel and a quote
        ("الثقة المتبادلة", ["الثقة المتبادلة بين بكين"], False),  # the whole gold must be there
        ("الخاصعالٍ جداً ، سيما", ["عالٍ جداً"], True),  # XQuAD: a long answer glued to the word before
        ("ب2019", ["2019"], True),  # one-letter proclitic
        ("الرقم 12019", ["2019"], False),  # short: whole words only
        ("any text", [], False),
    ],
)
def test_contains_answer(text, golds, expected):
    assert contains_answer(text, golds) is expected


def _passage(pid: str, text: str, start: int, article: str = "a") -> Passage:
    return Passage(article, pid, 0, text, start, start + len(text))


def _citation(n: int, p: Passage, quote: str) -> Citation:
    return Citation(n, p.passage_id, p.article_id, p.text, quote, p.char_start, p.char_start + len(quote), 0.9)


def test_answer_text_drops_framing_and_markers():
    a = Answer("q", "ar", "بحسب المقال:\n\n«ارتفع 29.8%» [1]\n\n«إلى 102.5» [2]", False)
    assert answer_text(a) == "«ارتفع 29.8%»\n\n«إلى 102.5»"
    assert answer_text(Answer("q", "en", "The article does not say.", True)) == ""


def test_hit_rank_by_gold_paragraph_and_by_answer():
    inside = RetrievedPassage(_passage("p-in", "x" * 10, 110), 0.9)  # 110..120, inside paragraph 100..200
    straddling = RetrievedPassage(_passage("p-out", "x" * 10, 195), 0.9)  # 195..205, crosses its end
    other_article = RetrievedPassage(_passage("p-b", "x" * 10, 110, article="b"), 0.9)
    squad = EvalQuestion("q", "?", ("x",), article_id="a", paragraph=(100, 200))
    assert hit_rank(squad, [other_article, straddling, inside]) == 3
    assert hit_rank(squad, [other_article, straddling]) is None
    jsonl = EvalQuestion("q", "?", ("102.5",))
    ranked = [
        RetrievedPassage(_passage("1", "لا رقم هنا", 0), 0.9),
        RetrievedPassage(_passage("2", "بلغ 102.5", 20), 0.8),
    ]
    assert hit_rank(jsonl, ranked) == 2


def test_score_question_counts_citations_and_quotes():
    p1 = _passage("p1", "نما حجم التجارة بنسبة 29.8%، ليصل إلى 102.5 مليار دولار.", 0)
    p2 = _passage("p2", "ولم يلتق بوتين وشي شخصياً منذ نوفمبر 2019.", 100)
    answer = Answer(
        "q",
        "ar",
        "بحسب المقال:\n\n«ليصل إلى 102.5 مليار دولار» [1]\n\n«منذ نوفمبر 2019» [2]",
        False,
        [_citation(1, p1, "ليصل إلى 102.5 مليار دولار"), _citation(2, p2, "منذ نوفمبر 2019")],
    )
    question = EvalQuestion("q1", "كم؟", ("102.5 مليار دولار",), language="ar")
    r = score_question(question, AnswerTrace(answer, [RetrievedPassage(p2, 0.9), RetrievedPassage(p1, 0.8)]), 12.5)
    assert r.hit_rank == 2  # p2 has no gold answer; p1 has
    assert r.cited_passage_ids == ("p1", "p2")
    assert r.cited_with_answer == 1
    assert r.answer_in_citation is True
    assert r.exact_match == 0.0
    # answer tokens: ليصل الي 1025 مليار دولار منذ نوفمبر 2019 (8); gold: 1025 مليار دولار (3), all found:
    # P = 3/8, R = 1, F1 = (6/8)/(11/8) = 6/11
    assert r.f1 == pytest.approx(6 / 11)
    assert r.latency_ms == 12.5


def _result(
    lang: str,
    answerable: bool,
    rank: int | None,
    abstained: bool = False,
    cited: int = 0,
    cited_ok: int = 0,
    in_citation: bool = False,
    f1: float = 0.0,
    latency: float = 10.0,
) -> QuestionResult:
    return QuestionResult(
        id=f"{lang}{rank}{abstained}",
        language=lang,
        question="?",
        answerable=answerable,
        gold=("g",) if answerable else (),
        answer="",
        abstained=abstained,
        hit_rank=rank,
        cited_passage_ids=tuple(f"p{i}" for i in range(cited)),
        cited_with_answer=cited_ok,
        answer_in_citation=in_citation,
        exact_match=0.0,
        f1=f1,
        latency_ms=latency,
    )


@pytest.fixture
def results() -> list[QuestionResult]:
    return [
        # answerable: hit ranks 1, 2, none, 4
        _result("ar", True, 1, cited=2, cited_ok=1, in_citation=True, f1=0.5, latency=10),
        _result("ar", True, 2, cited=1, cited_ok=1, in_citation=True, f1=1.0, latency=20),
        _result("en", True, None, abstained=True, latency=30),
        _result("en", True, 4, cited=1, cited_ok=0, latency=40),
        # unanswerable: one abstained on, one answered
        _result("ar", False, None, abstained=True, latency=100),
        _result("en", False, None, cited=1, latency=50),
    ]


def test_summary_by_hand(results):
    r = summarize(results)
    assert (r["n_questions"], r["n_answerable"], r["n_unanswerable"]) == (6, 4, 2)
    assert r["retrieval"]["recall@1"] == 0.25  # 1 of 4 answerable has its hit at rank 1
    assert r["retrieval"]["recall@3"] == 0.5  # ranks 1 and 2
    assert r["retrieval"]["recall@5"] == 0.75  # ranks 1, 2 and 4
    assert r["retrieval"]["mrr"] == pytest.approx((1 + 1 / 2 + 0 + 1 / 4) / 4)  # 0.4375
    assert r["answer"]["answer_in_citation"] == 0.5  # 2 of 4
    assert r["answer"]["f1"] == pytest.approx((0.5 + 1.0 + 0 + 0) / 4)
    # cited passages of answerable questions: 2 + 1 + 0 + 1 = 4, with a gold answer: 1 + 1 + 0 + 0 = 2
    assert r["citations"]["precision"] == 0.5
    assert r["abstention"]["abstain_rate_unanswerable"] == 0.5  # 1 of 2
    assert r["abstention"]["false_abstain_rate_answerable"] == 0.25  # 1 of 4
    # latencies sorted: 10 20 30 40 50 100; p50 between 30 and 40 = 35;
    # p95 at position 0.95 * 5 = 4.75: 50 + 0.75 * (100 - 50) = 87.5
    assert r["latency_ms"] == {"p50": 35.0, "p95": 87.5}


def test_summary_per_language_by_hand(results):
    ar, en = (summarize(results)["by_language"][lang] for lang in ("ar", "en"))
    assert (ar["n_questions"], en["n_questions"]) == (3, 3)
    assert ar["retrieval"]["recall@1"] == 0.5  # ranks 1, 2
    assert ar["retrieval"]["mrr"] == 0.75  # (1 + 1/2) / 2
    assert en["retrieval"]["recall@5"] == 0.5  # ranks none, 4
    assert en["retrieval"]["mrr"] == 0.125  # (0 + 1/4) / 2
    assert ar["citations"]["precision"] == pytest.approx(2 / 3, abs=1e-4)  # 1 + 1 of 2 + 1 (rounded to 4 places)
    assert en["citations"]["precision"] == 0.0  # 0 of 1
    assert (ar["abstention"]["abstain_rate_unanswerable"], en["abstention"]["abstain_rate_unanswerable"]) == (1.0, 0.0)
    assert en["abstention"]["false_abstain_rate_answerable"] == 0.5
    assert ar["latency_ms"]["p50"] == 20.0  # 10 20 100


def test_report_has_the_documented_keys(results):
    r = summarize(results)
    keys = {
        "retrieval": {"recall@1", "recall@3", "recall@5", "mrr"},
        "answer": {"answer_in_citation", "exact_match", "f1", "sentence_exact_match", "sentence_f1"},
        "short_answer": {"coverage", "in_citation"},
        "citations": {"precision"},
        "abstention": {
            "abstain_rate_unanswerable",
            "false_abstain_rate_answerable",
            "partial_rate_unanswerable",
            "partial_rate_answerable",
            "reasons",
        },
        "latency_ms": {"p50", "p95"},
    }
    for block in (r, *r["by_language"].values()):
        assert "n_questions" in block
        for group, names in keys.items():
            assert set(block[group]) == names


def test_rates_without_qualifying_questions_are_none():
    r = summarize([_result("ar", True, 1, in_citation=True)])
    assert r["abstention"]["abstain_rate_unanswerable"] is None
    assert r["citations"]["precision"] is None  # nothing cited
    assert summarize([])["retrieval"]["recall@1"] is None


def test_em_and_f1_score_the_short_answer_and_the_sentences_apart():
    p1 = _passage("p1", "نما حجم التجارة بنسبة 29.8%، ليصل إلى 102.5 مليار دولار.", 0)
    quote = "ليصل إلى 102.5 مليار دولار"
    start = p1.text.index("102.5")
    short = ShortAnswer("102.5 مليار دولار", start, start + len("102.5 مليار دولار"), 1, p1.article_id, 0.4)
    answer = Answer(
        "q", "ar", f"بحسب المقال: 102.5 مليار دولار [1]\n\n«{quote}» [1]", False, [_citation(1, p1, quote)],
        short_answer=short,
    )  # fmt: skip
    question = EvalQuestion("q1", "كم؟", ("102.5 مليار دولار",), language="ar")
    r = score_question(question, AnswerTrace(answer, [RetrievedPassage(p1, 0.9)]), 5.0)
    assert (r.exact_match, r.f1) == (1.0, 1.0)
    assert r.sentence_exact_match == 0.0 and r.sentence_f1 == pytest.approx(2 * 0.6 / 1.6)  # P 3/5, R 1
    assert r.short_answer == "102.5 مليار دولار" and r.short_in_citation is True
    without = score_question(question, AnswerTrace(dataclasses.replace(answer, short_answer=None), []), 5.0)
    assert without.short_answer is None and without.f1 == without.sentence_f1 == r.sentence_f1
    report = summarize([r, without])
    assert report["short_answer"] == {"coverage": 0.5, "in_citation": 1.0}
    assert report["answer"]["f1"] == pytest.approx((1.0 + r.sentence_f1) / 2, abs=1e-4)
