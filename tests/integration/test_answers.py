"""Questions about the sample article, answered with the real model over real Chroma."""

import numpy as np
import pytest

from assistant import AssistantError
from assistant.answer import ABSTAIN_TEXT
from assistant.chain import answer_of
from tests.questions import MET_QUESTION_EN, OFF_TOPIC_QUESTIONS, TRADE_QUESTION_AR


def assert_citations_bound(answer, article_text):
    assert answer.citations, "an answer that is not an abstention cites"
    for c in answer.citations:
        assert f"[{c.n}]" in answer.text
        assert c.quote in c.passage_text and c.quote in answer.text
        assert article_text[c.char_start : c.char_end] == c.quote
        assert 0.0 < c.score <= 1.0
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_arabic_question_about_trade_cites_the_figure(sample_assistant, sample_article):
    answer = sample_assistant.ask(TRADE_QUESTION_AR)
    assert not answer.abstained and answer.language == "ar"
    assert answer.text.startswith("بحسب المقال")
    assert any("102.5" in c.passage_text for c in answer.citations)
    assert_citations_bound(answer, sample_article.text)


def test_english_question_about_last_meeting_cites_it(sample_assistant, sample_article):
    answer = sample_assistant.ask(MET_QUESTION_EN)
    assert not answer.abstained and answer.language == "en"
    assert answer.text.startswith("According to the article")
    assert any("نوفمبر 2019" in c.quote for c in answer.citations)
    assert_citations_bound(answer, sample_article.text)


@pytest.mark.parametrize("question", OFF_TOPIC_QUESTIONS)
def test_off_topic_question_abstains_in_its_language(sample_assistant, question):
    answer = sample_assistant.ask(question)
    assert answer.abstained and answer.citations == [] and answer.reason == "outside_articles"
    assert answer.text == ABSTAIN_TEXT["outside_articles"][answer.language], "it says why, in the question's language"


@pytest.mark.parametrize("question", ["asdfghjkl", "😀😀😀", "?!...؟", "\u202e", "\u200b\u200f"])
def test_gibberish_and_symbols_abstain(sample_assistant, question):
    answer = sample_assistant.ask(question) if question.strip("\u202e\u200b\u200f") else None
    if answer is None:  # only invisible characters: nothing was asked
        with pytest.raises(AssistantError, match="empty"):
            sample_assistant.ask(question)
    else:
        assert answer.abstained and answer.citations == []


@pytest.mark.parametrize(
    ("vowelled", "gold"),
    [
        ("مَا حَجْمُ التَّبَادُلِ التِّجَارِيِّ بَيْنَ البَلَدَيْنِ فِي الأَرْبَاعِ الثَّلَاثَةِ الأُولَى؟", "102.5"),
        ("كَمْ جُنْدِيًّا شَارَكَ فِي التَّدْرِيبَاتِ العَسْكَرِيَّةِ المُشْتَرَكَةِ؟", "10 آلاف"),
    ],
)
def test_fully_vowelled_questions_are_answered_like_plain_ones(sample_assistant, vowelled, gold):
    answer = sample_assistant.ask(vowelled)
    assert not answer.abstained
    assert any(gold in c.quote for c in answer.citations)


def test_quotes_are_limited_and_distinct(sample_assistant):
    for question in ("كم مرة تحدث الرئيسان خلال جائحة كورونا؟", "Who is the president of China?"):
        answer = sample_assistant.ask(question)
        quotes = [c.quote for c in answer.citations]
        assert len(quotes) <= sample_assistant.extractive.max_quotes and len(set(quotes)) == len(quotes)
        assert all(len(q.split()) >= 4 for q in quotes)


@pytest.mark.parametrize("question", ["", "   \n", "x" * 2001])
def test_unusable_questions_are_refused_clearly(sample_assistant, question):
    with pytest.raises(AssistantError, match="question"):
        sample_assistant.ask(question)


def test_runnable_answers_like_ask(sample_assistant):
    runnable = sample_assistant.as_runnable()
    message = runnable.invoke({"question": TRADE_QUESTION_AR})
    assert answer_of(message) == sample_assistant.ask(TRADE_QUESTION_AR) and message.content == answer_of(message).text
    assert runnable.invoke(TRADE_QUESTION_AR) == message, "a plain string is the question"
    answers = runnable.batch([{"question": MET_QUESTION_EN}, {"question": OFF_TOPIC_QUESTIONS[0]}])
    assert [answer_of(m).abstained for m in answers] == [False, True]
    with pytest.raises(AssistantError):
        runnable.invoke({"q": "wrong key"})


def test_to_dict_is_json_ready(sample_assistant):
    import json

    data = json.loads(json.dumps(sample_assistant.ask(TRADE_QUESTION_AR).to_dict(), ensure_ascii=False))
    assert set(data) == {
        "question",
        "language",
        "text",
        "abstained",
        "citations",
        "mode",
        "unsupported_sentences",
        "notes",
        "partial",
        "reason",
        "short_answer",
        "summary",
    }
    assert set(data["short_answer"]) == {"text", "char_start", "char_end", "citation", "article_id", "probability"}
    assert {"n", "passage_id", "article_id", "passage_text", "quote", "char_start", "char_end", "score"} <= set(
        data["citations"][0]
    )


def test_sentences_are_embedded_at_ingestion(sample_assistant, e5):
    store = sample_assistant.store
    passages = store.passages(store.current_versions())
    records, vectors = store.sentences_of([p.id for p in passages])
    assert len(records) > len(passages) and vectors.shape == (len(records), 384)
    r = records[5]
    # The sentence's own embedding (batching moves the 4-bit model's output by ~1e-3), not its passage's.
    assert float(vectors[5] @ e5.encode_passages([r.text])[0]) > 0.999
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_a_follow_up_is_answered_from_the_previous_question(sample_assistant):
    first = "ما حجم التبادل التجاري بين البلدين في الأرباع الثلاثة الأولى؟"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": sample_assistant.ask(first).text}]
    follow_up = sample_assistant.ask("وبأي نسبة نما؟", history)
    assert not follow_up.abstained and any("29.8%" in c.quote for c in follow_up.citations)
    english = sample_assistant.ask("And what about last year?", [(first, "…")])
    assert english.language == "en" and any("107" in c.quote for c in english.citations)


@pytest.mark.parametrize(
    ("message", "language"), [("مرحباً", "ar"), ("السلام عليكم", "ar"), ("Hello!", "en"), ("Thank you!", "en")]
)
def test_greetings_and_thanks_get_a_reply_in_kind(sample_assistant, message, language):
    answer = sample_assistant.ask_traced(message)
    assert answer.retrieved == []  # nothing was looked up
    assert answer.answer.language == language and answer.answer.citations == []
    assert answer.answer.text not in {"The article does not say.", "لا يذكر المقال ما يجيب عن هذا السؤال."}


TRADE_Q = "ما حجم التجارة بين روسيا والصين في الأرباع الثلاثة الأولى؟"


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        (
            "كم عدد الجنود الذين شاركوا في التدريبات؟",
            "10 آلاف",
        ),  # stands on its own: not merged with the trade question
        ("ما عاصمة فرنسا؟", None),  # off-topic: abstain, history or not
        ("What is the capital of France?", None),
        ("Where did they hold joint exercises with Iran?", "إيران"),  # "they" refers back, but it is answered alone
        ("ماذا قالت وزارة الخارجية الصينية عن هذا اللقاء؟", "الثقة المتبادلة"),
    ],
)
def test_a_question_that_stands_on_its_own_is_not_merged_with_the_previous_one(sample_assistant, question, wanted):
    answer = sample_assistant.ask(question, [(TRADE_Q, "…")])
    if wanted is None:
        assert answer.abstained
    else:
        assert wanted in answer.citations[0].quote


def test_a_chain_of_follow_ups_leans_on_its_first_question(sample_assistant):
    history = [(TRADE_Q, "…"), ("وبأي نسبة نما؟", "…")]
    answer = sample_assistant.ask("And what about last year?", history)
    assert not answer.abstained and "107" in answer.citations[0].quote


@pytest.mark.parametrize("question", ["the of and", "why?", "كم؟", "في من على"])
def test_a_question_without_content_words_is_abstained_on(sample_assistant, question):
    assert sample_assistant.ask(question).abstained


def test_a_question_that_is_not_text_is_refused(sample_assistant):
    with pytest.raises(AssistantError, match="must be text, not int"):
        sample_assistant.ask(5)


def test_an_empty_article_selection_means_every_article_as_in_the_window(sample_assistant):
    assert sample_assistant.ask(TRADE_Q, article_ids=[]) == sample_assistant.ask(TRADE_Q)
