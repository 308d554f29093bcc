"""The answer decision with real parts: the sample article among unrelated ones, real model, real Chroma.

What is stored besides an article must not change whether a question about it is answered; questions
the articles do not answer are declined, or answered in part, saying why in the question's language.
"""

from pathlib import Path

import pytest

import ui
from assistant import Assistant
from assistant.answer import ABSTAIN_TEXT, PARTIAL_LEAD
from tests.integration.test_answers import assert_citations_bound

# The fit split's articles: the report split's (report_*.md) are held out for benchmarks/calibrate_abstention.py.
UNRELATED = sorted((Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "articles").glob("fit_*.md"))


@pytest.fixture(scope="module")
def crowded(tmp_path_factory, e5) -> tuple[Assistant, str]:
    """The sample article and the small unrelated English articles of benchmarks/data/articles in one store."""
    qa = Assistant.build(e5, tmp_path_factory.mktemp("crowded") / "store")
    report = qa.ingest_sample_if_empty()
    assert report is not None
    sample = report.article_id
    qa.ingest(UNRELATED)
    return qa, sample


def test_the_store_holds_unrelated_articles(crowded):
    qa, sample = crowded
    assert len(UNRELATED) >= 2 and len(qa.list_articles()) == 1 + len(UNRELATED)


@pytest.mark.parametrize("question", ui.EXAMPLES)
@pytest.mark.parametrize("scoped", [False, True])
def test_the_window_examples_are_answered_whatever_else_is_stored(crowded, sample_assistant, question, scoped):
    qa, sample = crowded
    answer = qa.ask(question, article_ids=[sample] if scoped else None)
    assert not answer.abstained and not answer.partial and answer.reason is None
    assert {c.article_id for c in answer.citations} == {sample}
    assert_citations_bound(answer, qa.article_text(sample))
    alone = sample_assistant.ask(question)
    assert [c.quote for c in alone.citations][:1] == [c.quote for c in answer.citations][:1], "the same quote first"


@pytest.mark.parametrize(
    ("question", "language"),
    [("What's the weather in Paris tomorrow?", "en"), ("ما حالة الطقس في باريس غداً؟", "ar")],
)
def test_a_question_outside_the_articles_is_declined_and_says_so(crowded, question, language):
    qa, _ = crowded
    answer = qa.ask(question)
    assert answer.abstained and not answer.partial and answer.citations == []
    assert answer.reason == "outside_articles" and answer.text == ABSTAIN_TEXT["outside_articles"][language]


@pytest.mark.parametrize(
    "question", ["How much did the Ningxia exercises cost?", "كم كلفت التدريبات العسكرية في نينجشيا؟"]
)
def test_a_detail_the_article_does_not_give_is_never_a_full_answer(crowded, question):
    qa, sample = crowded
    answer = qa.ask(question, article_ids=[sample])
    assert answer.abstained or answer.partial, answer.text
    assert answer.reason == "not_stated"
    if answer.partial:  # says which detail is missing, then quotes what the article does say
        assert answer.text.startswith(PARTIAL_LEAD["money"][answer.language])
        assert len(answer.citations) == 1 and "نينجشيا" in answer.citations[0].quote
        assert_citations_bound(answer, qa.article_text(sample))


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        ("What happened in November 2019?", "نوفمبر 2019"),
        ("ماذا حدث في ٢٨ يونيو؟", "28 يونيو"),  # Arabic-Indic digits
        ("How much did trade grow in the first three quarters?", "29.8%"),
    ],
)
def test_short_plain_questions_are_answered(crowded, question, wanted):
    qa, sample = crowded
    answer = qa.ask(question)
    assert not answer.abstained and not answer.partial
    assert any(wanted in c.quote for c in answer.citations), answer.text


def test_an_arabic_question_about_a_figure_in_an_english_article_is_answered_with_the_sample_stored(crowded):
    qa, sample = crowded
    answer = qa.ask("كم عدد عمال الموانئ الذين أضربوا في ميناء جنوة؟")
    assert not answer.abstained and not answer.partial
    assert "3,200" in answer.citations[0].quote and answer.citations[0].article_id != sample
