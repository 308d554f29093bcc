"""The assistant inside LangChain: its retriever in a user's own LCEL chain, and its Runnable."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnablePassthrough
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant import Answer, AssistantError, UnknownArticleError, answer_of
from assistant.chain import ArticleRetriever, QuestionInput
from tests.questions import MET_QUESTION_EN, TRADE_QUESTION_AR

TRADE_REPLY_AR = "نما حجم التجارة بين روسيا والصين بنسبة 29.8% في الأرباع الثلاثة الأولى من العام الجاري ليصل إلى 102.5 مليار دولار [1]."
METADATA = {"article_id", "passage_id", "passage_idx", "char_start", "char_end", "title", "section", "rank", "score"}


def format_docs(docs: list[Document]) -> str:
    return "\n\n".join(d.page_content for d in docs)


def test_the_retriever_gives_the_hybrid_ranking_as_documents(sample_assistant):
    retriever = sample_assistant.as_retriever(k=3)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(TRADE_QUESTION_AR)
    ranking = sample_assistant.retriever.retrieve(TRADE_QUESTION_AR).passages[:3]
    assert [d.id for d in docs] == [h.passage.passage_id for h in ranking]
    text = sample_assistant.article_text(docs[0].metadata["article_id"])
    for doc in docs:
        assert set(doc.metadata) == METADATA and doc.metadata["passage_id"] == doc.id
        assert text[doc.metadata["char_start"] : doc.metadata["char_end"]] == doc.page_content
        assert doc.metadata["title"] and -1 <= doc.metadata["score"] <= 1
    assert "102.5" in docs[0].page_content
    assert len(retriever.invoke(TRADE_QUESTION_AR, k=1)) == 1, "k for one call"


def test_the_readme_chain_runs_with_the_retriever_sync_and_async(sample_assistant):
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from this context only:\n{context}"), ("human", "{question}")]
    )
    seen: list[Any] = []

    def model(replies: list[str]) -> GenericFakeChatModel:
        return GenericFakeChatModel(messages=iter(replies))

    def record(value: Any) -> Any:
        seen.append(value)
        return value

    retriever = sample_assistant.as_retriever(k=2)
    chain = (
        {"context": retriever | format_docs, "question": RunnablePassthrough()}
        | prompt
        | record
        | model(["It grew by 29.8%.", "It grew by 29.8%, to 102.5 billion."])
        | StrOutputParser()
    )
    assert chain.invoke(TRADE_QUESTION_AR) == "It grew by 29.8%."
    assert asyncio.run(chain.ainvoke(TRADE_QUESTION_AR)) == "It grew by 29.8%, to 102.5 billion."
    for prompt_value in seen:
        system = prompt_value.to_messages()[0].content
        assert "102.5 مليار دولار" in system, "the retrieved passage reached the prompt"


def test_an_article_filter_and_an_unknown_article(sample_assistant):
    (sample,) = sample_assistant.store.article_ids()
    assert sample_assistant.as_retriever(article_ids=[sample]).invoke(MET_QUESTION_EN)
    with pytest.raises(UnknownArticleError, match=f"no article 'nope' is stored: the store holds '{sample}'"):
        sample_assistant.as_retriever(article_ids=["nope"]).invoke(MET_QUESTION_EN)
    with pytest.raises(UnknownArticleError, match="'nope'"):
        sample_assistant.ask(MET_QUESTION_EN, article_ids=[sample, "nope"])
    with pytest.raises(UnknownArticleError):
        sample_assistant.as_runnable().invoke({"question": MET_QUESTION_EN, "article_ids": ["nope"]})


class TestArticleRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's own contract tests for retrievers (langchain-tests)."""

    @pytest.fixture(autouse=True)
    def _store(self, sample_assistant):
        type(self).qa = sample_assistant

    @property
    def retriever_constructor(self) -> type[ArticleRetriever]:
        return ArticleRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"retriever": self.qa.retriever}

    @property
    def retriever_query_example(self) -> str:
        return MET_QUESTION_EN


def test_the_runnable_pipes_into_a_string_parser(sample_assistant):
    chain = sample_assistant.as_runnable() | StrOutputParser()
    text = chain.invoke(TRADE_QUESTION_AR)
    assert text == sample_assistant.ask(TRADE_QUESTION_AR).text and "102.5" in text


def test_the_runnable_streams_drafts_then_the_answer_sync_and_async(sample_assistant):
    def runnable():
        return sample_assistant.with_chat_model(GenericFakeChatModel(messages=iter([TRADE_REPLY_AR]))).as_runnable()

    for chunks in (
        list(runnable().stream({"question": TRADE_QUESTION_AR})),
        asyncio.run(_collect(runnable().astream(TRADE_QUESTION_AR))),
    ):
        assert len(chunks) > 2 and all(isinstance(c, AIMessage) for c in chunks)
        assert all(c.response_metadata["draft"] for c in chunks[:-1])
        answer = answer_of(chunks[-1])
        assert isinstance(answer, Answer) and answer.mode == "generative" and chunks[-1].content == answer.text
        with pytest.raises(AssistantError, match="draft"):
            answer_of(chunks[0])
    texts = list((runnable() | StrOutputParser()).stream(TRADE_QUESTION_AR))
    assert len(texts) > 2 and texts[-1] == TRADE_REPLY_AR


async def _collect(stream: Any) -> list[Any]:
    return [chunk async for chunk in stream]


def test_the_runnable_takes_top_k_article_ids_mode_and_langchain_history(sample_assistant):
    runnable = sample_assistant.as_runnable()
    (sample,) = sample_assistant.store.article_ids()
    one = answer_of(runnable.invoke({"question": TRADE_QUESTION_AR, "top_k": 1, "article_ids": [sample]}))
    assert one == sample_assistant.ask(TRADE_QUESTION_AR, top_k=1, article_ids=[sample])
    prompts: list[str] = []

    class Calls(BaseCallbackHandler):
        def on_chat_model_start(self, serialized: Any, messages: list[list[Any]], **kwargs: Any) -> None:
            prompts.append(messages[0][-1].content)

    model = GenericFakeChatModel(messages=iter([TRADE_REPLY_AR] * 2), callbacks=[Calls()])
    generating = sample_assistant.with_chat_model(model).as_runnable()
    for top_k in (1, 3):
        generating.invoke({"question": TRADE_QUESTION_AR, "top_k": top_k})
    assert "[1]" in prompts[0] and "[2]" not in prompts[0] and "[3]" in prompts[1], "top_k passages are given"
    history = [HumanMessage("When did Putin and Xi last meet in person?"), AIMessage("In November 2019.")]
    follow_up = answer_of(runnable.invoke({"question": "And where?", "history": history, "mode": "extractive"}))
    assert follow_up == sample_assistant.ask(
        "And where?", [("When did Putin and Xi last meet in person?", "In November 2019.")]
    )
    assert follow_up == sample_assistant.ask(
        "And where?", [{"role": "user", "content": "When did Putin and Xi last meet in person?"},
                       {"role": "assistant", "content": "In November 2019."}],
    )  # fmt: skip


def test_the_runnable_input_is_typed_and_checked(sample_assistant):
    runnable = sample_assistant.as_runnable()
    schema = runnable.input_schema.model_json_schema()
    assert runnable.input_schema is QuestionInput
    assert set(schema["properties"]) == {"question", "history", "article_ids", "top_k", "mode"}
    assert schema["required"] == ["question"]
    for bad, match in (
        ({"question": "x", "k": 3}, "unknown input key 'k'"),
        ({"question": "x", "top_k": 0}, "top_k"),
        ({"question": "x", "mode": "poetry"}, "mode"),
        ({"history": []}, "question"),
        (["a list"], "takes a question"),
    ):
        with pytest.raises(AssistantError, match=match):
            runnable.invoke(bad)


def test_steps_after_the_runnable_get_the_answer_when_streamed_as_when_invoked(sample_assistant):
    from langchain_core.runnables import RunnableLambda

    def runnable():
        return sample_assistant.with_chat_model(GenericFakeChatModel(messages=iter([TRADE_REPLY_AR]))).as_runnable()

    then_answer = runnable() | RunnableLambda(answer_of)
    streamed = list(then_answer.stream(TRADE_QUESTION_AR))
    assert streamed[-1] == (runnable() | RunnableLambda(answer_of)).invoke(TRADE_QUESTION_AR)
    assert streamed[-1].mode == "generative"
    parallel = {"reply": runnable()} | RunnableLambda(lambda d: answer_of(d["reply"]).text)
    assert list(parallel.stream(TRADE_QUESTION_AR))[-1] == TRADE_REPLY_AR


def test_the_chat_model_runs_as_a_child_of_the_runnable_for_callbacks(sample_assistant):
    events: list[tuple[str, Any, Any]] = []

    class Record(BaseCallbackHandler):
        def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: Any, parent_run_id: Any = None, **kw: Any):
            events.append(("chain_start", run_id, parent_run_id))

        def on_chain_end(self, outputs: Any, *, run_id: Any, **kw: Any) -> None:
            events.append(("chain_end", run_id, None))

        def on_chain_error(self, error: BaseException, *, run_id: Any, **kw: Any) -> None:
            events.append(("chain_error", run_id, error))

        def on_chat_model_start(
            self, serialized: Any, messages: Any, *, run_id: Any, parent_run_id: Any = None, **kw: Any
        ):
            events.append(("chat_model_start", run_id, parent_run_id))

    runnable = sample_assistant.with_chat_model(GenericFakeChatModel(messages=iter([TRADE_REPLY_AR] * 2))).as_runnable()
    runnable.invoke(TRADE_QUESTION_AR, config={"callbacks": [Record()]})
    (chain,) = [run for kind, run, _ in events if kind == "chain_start"]
    assert [parent for kind, _, parent in events if kind == "chat_model_start"] == [chain]
    events.clear()
    for _ in runnable.stream(TRADE_QUESTION_AR, config={"callbacks": [Record()]}):
        break  # a reader who stops early: the run ends, it did not fail
    assert [kind for kind, _, _ in events if kind.startswith("chain_")] == ["chain_start", "chain_end"]


def test_retriever_and_runnable_options_are_checked_like_ask_s(sample_assistant):
    (sample,) = sample_assistant.store.article_ids()
    with pytest.raises(AssistantError, match="give a list of article ids"):
        sample_assistant.as_retriever(article_ids=sample)
    for k in (0, 51, -1, True):
        with pytest.raises(AssistantError, match="k is"):
            sample_assistant.as_retriever(k=k)
    for top_k in ("3", True, 2.0):
        with pytest.raises(AssistantError, match="top_k"):
            sample_assistant.as_runnable().invoke({"question": MET_QUESTION_EN, "top_k": top_k})
