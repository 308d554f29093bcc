"""Every branch of the answer pipeline, with a fake embedder, scripted retrieval and a fake chat model."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from assistant import AssistantError
from assistant.answer import ABSTAIN_TEXT, PARTIAL_LEAD
from assistant.api import FALLBACK_LEAD
from assistant.conversation import SMALL_TALK_REPLY
from assistant.evidence import asked_type
from assistant.followup import STANDALONE_CONFIDENCE
from assistant.generative import GenerativeAnswerer
from assistant.types import Draft
from tests.fakes import FakeEmbedder, passage, scripted_assistant

TRADE = passage("Trade between Russia and China grew by 29.8% to 102.5 billion dollars this year.")
EXERCISES = passage("The two navies held joint exercises near Ningxia in the summer of 2023.", "drills", 1)
Q_TRADE = "How much did trade between Russia and China grow?"
Q_EXERCISES = "Where were the joint exercises held?"


class Failing(GenericFakeChatModel):
    """A chat model whose every call fails, as an unreachable endpoint does."""

    def _generate(self, *args, **kwargs):
        raise ConnectionError("connection refused")

    def _stream(self, *args, **kwargs):
        raise ConnectionError("connection refused")


def test_small_talk_is_answered_in_kind_without_retrieval():
    qa, retriever = scripted_assistant({})
    answer = qa.ask("شكراً")
    assert answer.abstained and answer.text == SMALL_TALK_REPLY["thanks"]["ar"] and retriever.asked == []


def test_a_question_without_a_word_is_abstained_on_without_retrieval():
    qa, retriever = scripted_assistant({})
    assert qa.ask("?!").abstained and retriever.asked == []


def test_below_the_minimum_confidence_it_abstains_and_never_calls_the_chat_model():
    model = GenericFakeChatModel(messages=iter(["never read"]))
    generative = GenerativeAnswerer(model, FakeEmbedder())
    qa, _ = scripted_assistant(
        {Q_TRADE: ([TRADE], 0.1), "Who won the 2018 World Cup?": ([TRADE], 0.1)}, generative=generative
    )
    answer = qa.ask("Who won the 2018 World Cup?")
    assert answer.abstained and answer.citations == [] and answer.reason == "outside_articles"
    assert answer.text == ABSTAIN_TEXT["outside_articles"]["en"]
    # On the passage's topic but under the minimum: a partial answer, which says so and quotes what it does say.
    partial = qa.ask(Q_TRADE)
    assert partial.partial and not partial.abstained and partial.reason == "not_stated"
    assert partial.text.startswith(PARTIAL_LEAD[asked_type(Q_TRADE)]["en"]) and len(partial.citations) == 1
    assert next(model.messages) == "never read", "the chat model was not called"


def test_above_it_the_best_sentence_is_quoted_with_its_citation():
    qa, _ = scripted_assistant({Q_TRADE: ([TRADE, EXERCISES], 0.9)})
    answer = qa.ask(Q_TRADE)
    assert not answer.abstained and answer.citations[0].passage_id == TRADE.passage_id
    assert answer.citations[0].quote in answer.text and "[1]" in answer.text


def test_article_ids_and_top_k_reach_the_retriever_and_the_answer():
    qa, retriever = scripted_assistant({Q_TRADE: ([EXERCISES, TRADE], 0.9)})
    answer = qa.ask(Q_TRADE, article_ids=["news"], top_k=1)
    assert retriever.asked[-1][1] == ("news",)
    assert [c.passage_id for c in answer.citations] == [TRADE.passage_id]


def test_a_follow_up_is_retrieved_standalone_and_the_more_confident_retrieval_wins():
    follow_up, standalone = "And where?", f"{Q_EXERCISES} And where?"
    qa, retriever = scripted_assistant({"And where?": ([TRADE], 0.2), standalone: ([EXERCISES], 0.8)})
    answer = qa.ask(follow_up, [{"role": "user", "content": Q_EXERCISES}])
    assert [q for q, _ in retriever.asked] == [follow_up, standalone]
    assert answer.question == follow_up and answer.citations[0].passage_id == EXERCISES.passage_id


def test_a_follow_up_confident_on_its_own_is_not_combined():
    qa, retriever = scripted_assistant({Q_TRADE: ([TRADE], STANDALONE_CONFIDENCE)})
    qa.ask(Q_TRADE, [("Where were the joint exercises held?", "Near Ningxia.")])
    assert [q for q, _ in retriever.asked] == [Q_TRADE]


def test_generated_answers_stream_drafts_then_the_checked_answer():
    reply = "Trade between Russia and China grew by 29.8% to 102.5 billion dollars this year [1]."
    generative = GenerativeAnswerer(GenericFakeChatModel(messages=iter([reply])), FakeEmbedder())
    qa, _ = scripted_assistant({Q_TRADE: ([TRADE], 0.9)}, generative=generative)
    events = list(qa.stream(Q_TRADE))
    assert len(events) > 2 and all(isinstance(e, Draft) for e in events[:-1])
    answer = events[-1]
    assert answer.mode == "generative" and answer.citations[0].passage_id == TRADE.passage_id


def test_an_unreachable_chat_model_falls_back_to_quoting_and_says_so():
    generative = GenerativeAnswerer(Failing(messages=iter([])), FakeEmbedder(), name="fake at nowhere")
    qa, _ = scripted_assistant({Q_TRADE: ([TRADE], 0.9)}, generative=generative)
    answer = qa.ask(Q_TRADE)
    assert answer.mode == "extractive" and answer.text.startswith(FALLBACK_LEAD["en"])
    assert answer.citations and any(n.startswith("fell back to quoting") for n in answer.notes)


def test_a_reply_no_passage_supports_falls_back_with_its_sentences_listed():
    invented = "The Moon is made of green cheese, scientists in Paris said [1]."
    generative = GenerativeAnswerer(GenericFakeChatModel(messages=iter([invented])), FakeEmbedder())
    qa, _ = scripted_assistant({Q_TRADE: ([TRADE], 0.9)}, generative=generative)
    answer = qa.ask(Q_TRADE)
    assert answer.mode == "extractive" and answer.unsupported_sentences
    assert answer.citations[0].passage_id == TRADE.passage_id


def test_the_chat_model_declining_is_an_abstention():
    generative = GenerativeAnswerer(GenericFakeChatModel(messages=iter(["NOT_IN_ARTICLE"])), FakeEmbedder())
    qa, _ = scripted_assistant({Q_TRADE: ([TRADE], 0.9)}, generative=generative)
    answer = qa.ask(Q_TRADE)
    assert answer.abstained and answer.mode == "generative" and answer.notes


def test_generative_mode_without_a_chat_model_is_refused_with_the_setting_to_change():
    qa, _ = scripted_assistant({Q_TRADE: ([TRADE], 0.9)})
    with pytest.raises(AssistantError, match="need a chat model") as caught:
        qa.ask(Q_TRADE, mode="generative")
    assert caught.value.setting == "llm"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"top_k": 0}, "between 1 and 50"),
        ({"top_k": True}, "whole number"),
        ({"article_ids": "news"}, "list of article ids"),
        ({"mode": "poetry"}, "'extractive' or 'generative'"),
        ({"mode": "generative"}, "need a chat model"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(kwargs, match):
    qa, retriever = scripted_assistant({Q_TRADE: ([TRADE], 0.9)})
    with pytest.raises(AssistantError, match=match):
        qa.stream(Q_TRADE, **kwargs)
    assert retriever.asked == []


def test_an_assistant_with_no_passage_to_quote_from_is_refused_at_construction():
    for top_k in (0, 51):
        with pytest.raises(AssistantError, match="top_k is"):
            scripted_assistant({}, top_k=top_k)
