"""Short answers: question kinds, span edges, the fitted span model and the short answer in an answer's text."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from assistant.answer import with_short_answer
from assistant.evaluation.metrics import answer_text, sentence_text
from assistant.evidence import default_lexicon, question_terms
from assistant.span import (
    KIND_GROUPS,
    MAX_SPAN_WORDS,
    QUESTION_KINDS,
    SPAN_FEATURES,
    SpanChooser,
    candidate_bounds,
    question_kind,
    sentence_words,
    span_features,
    span_model,
    tidy_span,
)
from assistant.types import Answer, Citation, ShortAnswer


def citation(quote: str, n: int = 1, at: int = 100) -> Citation:
    return Citation(n, f"p{n}", "a", f"Before. {quote} After.", quote, at, at + len(quote), 0.8)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("متى توفي تسلا؟", "when"),
        ("When did Tesla die?", "when"),
        ("كم عدد الشركات المدرجة؟", "count"),
        ("How many people were evacuated?", "count"),
        ("أين يقع الملعب؟", "where"),
        ("من فاز بالبطولة؟", "who"),
        ("Who won the title?", "who"),
        ("لماذا هبط الفريق؟", "why"),
        ("Why was the match postponed?", "why"),
        ("كيف وصل إلى المدينة؟", "how"),
        ("أي كيان اتخذ القرار؟", "which"),
        ("What did the ministers demand?", "what"),
        ("مَتَى يَعْقِدُ الرَّئِيسَانِ لِقَاءَهُمَا؟", "when"),  # vowelled
        ("كـم عـدد الجنود؟", "count"),  # tatweel
        ("\u200fمن هو الرئيس؟", "who"),  # a leading RLM
    ],
)
def test_question_kind(question: str, kind: str) -> None:
    assert question_kind(question) == kind


def test_every_kind_has_weights_of_every_feature() -> None:
    model = span_model()
    assert set(KIND_GROUPS) == set(QUESTION_KINDS)
    for group in set(KIND_GROUPS.values()):
        assert model[group].shape == (len(SPAN_FEATURES),)
        assert np.isfinite(model[group]).all()


def test_candidates_are_runs_of_up_to_max_words() -> None:
    i, j = candidate_bounds(12)
    assert (j >= i).all() and (j - i < MAX_SPAN_WORDS).all()
    assert (
        len(set(zip(i.tolist(), j.tolist(), strict=True)))
        == len(i)
        == sum(min(MAX_SPAN_WORDS, 12 - k) for k in range(12))
    )


def test_features_have_one_column_each() -> None:
    words = sentence_words("Tesla died on 7 January 1943 in New York.", question_terms("When did Tesla die?"), "date")
    i, j = candidate_bounds(len(words.stop))
    x = span_features(words, i, j, "when", 0)
    assert x.shape == (len(i), len(SPAN_FEATURES)) and x.dtype == np.float32


def _words_of(text: str):
    return sentence_words(text, [], None, default_lexicon())


def _index(words, word: str) -> int:
    return next(k for k, (a, b) in enumerate(words.bounds) if word in words.text[a:b])


@pytest.mark.parametrize(
    ("sentence", "first", "expected"),
    [
        ("بلغ حجم التبادل 102.5 مليار دولار في الأشهر التسعة", "102.5", "102.5 مليار دولار"),
        ("Trade grew to 3 million tonnes last year", "3", "3 million tonnes"),
        ("وقد زارت والصين معا", "والصين", "الصين"),
        ("تبعد 5 أقدام و8 إنشات", "و8", "8 إنشات"),
        ("دخل بالنقابات المهنية", "بالنقابات", "النقابات"),
        ("كان المقر في وارسو منذ عام", "وارسو", "وارسو"),  # و of the name itself stays
        ("ستغلق أبوابها في أكتوبر 2016", "2016", "أكتوبر 2016"),
        ("توفي تسلا في 7 يناير 1943 في نيويورك", "7", "7 يناير 1943"),
        ("Storm Helena struck on Tuesday, 14 March 2023 at noon", "2023", "14 March 2023"),  # not across the comma
        ("The fund holds €2.5 billion for repairs", "billion", "€2.5 billion"),
        ("About 3 million people lost power", "million", "3 million"),
        ("قالت والدة الصحافي", "والدة", "والدة"),  # a word of its own, not و + الدة
        ("زار والتر المدينة", "والتر", "والتر"),
        ("وصل فالنتين أمس", "فالنتين", "فالنتين"),
        ("بلغت \u200f1.2 مليار درهم\u200f أمس", "1.2", "1.2 مليار درهم"),  # bidi marks stay out
        ('قال مركز "كارنجي" الأمريكي', "كارنجي", "كارنجي"),
        ("الفائز هو 😀أحمد اليوم", "أحمد", "أحمد"),
    ],
)
def test_tidy_span_keeps_scale_words_and_drops_glued_particles(sentence: str, first: str, expected: str) -> None:
    words = _words_of(sentence)
    k = _index(words, first)
    start, end = tidy_span(words, k, k)
    assert sentence[start:end] == expected


def test_span_offsets_index_the_article() -> None:
    article = "X" * 100 + "Tesla died on 7 January 1943 in New York." + " More."
    c = Citation(1, "p1", "a", article[100:], article[100:142], 100, 142, 0.9)
    short = SpanChooser().best("When did Tesla die?", [c])
    assert short is not None
    assert article[short.char_start : short.char_end] == short.text
    assert short.citation == 1 and 0 < short.probability <= 1


@pytest.mark.parametrize(
    ("question", "quote", "expected"),
    [
        ("When did Tesla die?", "Tesla died on 7 January 1943 in New York.", "1943"),
        ("متى توفي تسلا؟", "توفي تسلا في 7 يناير 1943 في نيويورك", "1943"),
        ("How many companies were listed on the exchange?", "The exchange had 374 listed companies in 2009.", "374"),
    ],
)
def test_the_fitted_model_finds_the_typed_answer(question: str, quote: str, expected: str) -> None:
    short = SpanChooser().best(question, [citation(quote)])
    assert short is not None and expected in short.text and len(short.text.split()) <= 4


def test_no_short_answer_under_the_threshold_or_without_words() -> None:
    c = citation("Tesla died on 7 January 1943 in New York.")
    assert SpanChooser(min_probability=1.01).choose("When did Tesla die?", [c]) is None
    assert SpanChooser().choose("When did Tesla die?", []) is None


def _answer(mode: str = "extractive") -> Answer:
    c = citation("بلغ حجم التبادل 102.5 مليار دولار في الأشهر التسعة")
    text = f"بحسب المقال:\n\n«{c.quote}» [1]"
    return Answer("ما حجم التبادل؟", "ar", text, abstained=False, citations=[c], mode=mode)  # type: ignore[arg-type]


def test_an_extractive_answer_gives_its_short_answer_first() -> None:
    short = ShortAnswer("102.5 مليار دولار", 116, 133, 1, "a", 0.6)
    answer = with_short_answer(_answer(), short)
    assert answer.text.startswith("بحسب المقال: 102.5 مليار دولار [1]\n\n«")
    assert answer.short_answer == short
    assert answer_text(answer) == "102.5 مليار دولار"
    assert sentence_text(answer) == answer.citations[0].quote
    assert answer.to_dict()["short_answer"]["citation"] == 1


def test_a_generated_answer_keeps_its_text() -> None:
    generated = dataclasses.replace(_answer("generative"), text="The trade reached 102.5 billion dollars [1].")
    short = ShortAnswer("102.5 مليار دولار", 116, 133, 1, "a", 0.6)
    assert with_short_answer(generated, short).text == generated.text
    assert with_short_answer(generated, None) is generated


def test_a_generated_answer_gets_its_short_answer_on_a_line_of_its_own_in_its_language() -> None:
    from assistant.answer import short_answer_line

    generated = dataclasses.replace(_answer("generative"), language="en", text="Trade reached 102.5 billion [1].")
    short = ShortAnswer("102.5 مليار دولار", 116, 133, 1, "a", 0.6)
    assert short_answer_line(with_short_answer(generated, short)) == "Short answer: 102.5 مليار دولار [1]"
    extractive = with_short_answer(_answer(), short)
    assert short_answer_line(extractive) is None  # its text gives it first already
    fallen_back = dataclasses.replace(extractive, text="The chat model gave no usable answer…\n\n" + extractive.text)
    assert short_answer_line(fallen_back) is None


def test_runs_that_tidy_to_one_span_are_one_candidate() -> None:
    ranked = SpanChooser().ranked("When did Tesla die?", [citation("Tesla died on 7 January 1943 in New York.")], 10)
    keys = [(s.citation, s.char_start, s.char_end) for s in ranked]
    assert len(keys) == len(set(keys))
    assert [s.probability for s in ranked] == sorted((s.probability for s in ranked), reverse=True)


def test_negation_is_not_a_why_question() -> None:
    assert question_kind("من لم يحضر الاجتماع؟") == "who"
    assert question_kind("لم ألغيت الرحلة؟") == "why"
