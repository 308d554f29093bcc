"""Summary and topic requests on real articles, with the bundled embedding model and a real Chroma store."""

from __future__ import annotations

import pytest

from assistant import Assistant, UnknownArticleError
from assistant.summary import MAX_SUMMARISED_ARTICLES

HEALTH = (
    "Health ministers from twelve countries met in Geneva on Monday to agree on a plan against antibiotic resistance.\n\n"
    "The plan asks hospitals to report every resistant infection within a week, and farms to stop giving antibiotics "
    "to healthy animals by 2030.\n\n"
    "Doctors' groups welcomed the plan, but said that poorer countries would need money to build the laboratories it needs.\n\n"
    "The ministers will meet again in March to review how many countries have started reporting."
)
FOOTBALL = (
    "The national football team won the regional cup on Sunday, beating the hosts two goals to one in the final.\n\n"
    "The winning goal came in the last minute from a free kick by the team's youngest player, who is nineteen years old.\n\n"
    "Thousands of fans waited at the airport to welcome the players home on Monday night."
)


def _check_citations(qa: Assistant, answer) -> None:
    """Every marker has its citation, whose quote stands in its article at its offsets, in article order."""
    assert answer.summary and not answer.abstained and answer.citations
    for n, c in enumerate(answer.citations, start=1):
        assert f"[{n}]" in answer.text and c.n == n
        assert qa.article_text(c.article_id)[c.char_start : c.char_end] == c.quote
        assert c.quote in answer.text
    for article_id in {c.article_id for c in answer.citations}:
        starts = [c.char_start for c in answer.citations if c.article_id == article_id]
        assert starts == sorted(starts), "each article's sentences in article order"


@pytest.mark.parametrize(
    ("request_text", "lead"), [("لخص المقال", "ملخص «"), ("What is this article about?", "Summary of “")]
)
def test_a_summary_request_gets_the_articles_own_sentences_cited_in_its_language(sample_assistant, request_text, lead):
    answer = sample_assistant.ask(request_text)
    _check_citations(sample_assistant, answer)
    assert answer.text.startswith(lead)
    assert 2 <= len(answer.citations) <= 4
    assert len({c.passage_id for c in answer.citations}) >= 2, "more than one passage of the article"
    text = sample_assistant.article_text(answer.citations[0].article_id)
    assert answer.citations[0].char_start < len(text) / 3, "it opens with the article's lead"
    assert answer.short_answer is None


def test_a_summary_of_a_part_quotes_that_part_and_a_topic_the_article_lacks_is_declined(sample_assistant):
    answer = sample_assistant.ask("لخص ما ورد عن التدريبات العسكرية المشتركة")
    _check_citations(sample_assistant, answer)
    assert "عن التدريبات العسكرية المشتركة:" in answer.text.splitlines()[0]
    assert any("تدريبات" in c.quote for c in answer.citations)
    assert all("تدريبات" in c.quote or "عسكري" in c.quote for c in answer.citations)
    outside = sample_assistant.ask("summarise the part about the football match")
    assert outside.abstained and outside.summary and not outside.citations


def test_several_articles_one_summary_each_and_a_reply_that_asks_to_choose_among_many(assistant, sample_article):
    assistant.ingest_article(sample_article)
    assistant.ingest_text(HEALTH, "health", title="Ministers agree on antibiotics plan")
    assistant.ingest_text(FOOTBALL, "football", title="Cup final")
    both = assistant.ask("summarise these articles", article_ids=["health", "football"])
    _check_citations(assistant, both)
    assert both.text.count("Summary of ") == 2 and "“Cup final”" in both.text
    assert {c.article_id for c in both.citations} == {"health", "football"}
    assert both.text.index("Ministers agree") < both.text.index("Cup final"), "in the order chosen"
    # A conversation about one article: "what is this article about?" is about that one, also after a
    # summary request (its own words find no article).
    history = [("Who scored the winning goal?", "According to the article: ...")]
    followed = assistant.ask("What is this article about?", history)
    assert {c.article_id for c in followed.citations} == {"football"}
    again = assistant.ask("tl;dr", [*history, ("What is this article about?", followed.text)])
    assert {c.article_id for c in again.citations} == {"football"}
    # The three stored, none chosen and no conversation: all three summarised.
    every = assistant.ask("لخص المقال")
    assert {c.article_id for c in every.citations} == {"health", "football", sample_article.article_id}
    for i in range(MAX_SUMMARISED_ARTICLES + 1 - 3):
        assistant.ingest_text(HEALTH.replace("Geneva", f"city {i}"), f"health-{i}")
    many = assistant.ask("لخص المقال")
    assert many.abstained and many.reason == "several_articles" and "اختر" in many.text
    four = assistant.ask("summarise these", article_ids=[a["article_id"] for a in assistant.list_articles()])
    assert len({c.article_id for c in four.citations}) == 4, "chosen articles: up to 5 summarised"
    topic = assistant.ask("What does the article say about the winning goal?")
    assert {c.article_id for c in topic.citations} == {"football"}, "a topic finds its article among many"
    with pytest.raises(UnknownArticleError):
        assistant.ask("summarise the article", article_ids=["nope"])


def test_with_a_chat_model_the_summary_is_written_from_the_chosen_sentences_and_checked(sample_assistant):
    """A scripted chat model (langchain-core's fake): a summary it writes from the article is kept with its
    citations; an invented sentence is dropped; a reply that declines falls back to the quoted summary."""
    import itertools

    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    from assistant.generative import NOT_IN_ARTICLE

    written = (
        "يعقد الرئيسان بوتين وشي جين بينج لقاءً عبر الفيديو لمناقشة الشراكة الاستراتيجية بين موسكو وبكين [1]. "
        "وفاز المنتخب الوطني بكأس العالم لكرة القدم [2]."
    )
    qa = sample_assistant.with_chat_model(GenericFakeChatModel(messages=itertools.cycle([written])), name="fake")
    answer = qa.ask("لخص المقال")
    assert answer.summary and answer.mode == "generative" and not answer.abstained
    assert "الشراكة الاستراتيجية" in answer.text and "كأس العالم" not in answer.text
    assert any("كأس العالم" in s for s in answer.unsupported_sentences)
    for c in answer.citations:
        assert qa.article_text(c.article_id)[c.char_start : c.char_end] == c.quote
        assert 0.5 < c.score < 0.999, "the closeness of the passage's chosen sentence to the centroid"
    declining = sample_assistant.with_chat_model(
        GenericFakeChatModel(messages=itertools.cycle([NOT_IN_ARTICLE])), name="fake"
    )
    fallback = declining.ask("What is this article about?")
    assert fallback.summary and fallback.mode == "extractive" and fallback.citations
    assert fallback.text.startswith("The chat model gave no usable answer") and "Summary of “" in fallback.text
