"""Generative answers from real models: llama.cpp's server serving SmolLM2-135M-Instruct, and for the Python
API and streaming also Gemma 3 270M, a base model (tests/llm_server.py).

Nothing here asserts the model's wording: a 135M model writes what it writes (loops, the wrong language,
the prompt echoed, a turn of its own). What must hold whatever it writes: every citation of the final
answer is bound to a retrieved passage and quotes the article exactly; a generated answer's every
sentence carries a marker of a citation (the unsupported ones were dropped); the reply is in the
question's language; the streamed drafts of one attempt grow by extension and never show a chat
template's token; an answer that fell back to quoting says why.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from assistant import Answer, Assistant, Draft
from assistant.api import FALLBACK_LEAD, TIMEOUT_LEAD
from assistant.generative import TURN_TOKENS
from assistant.llm import make_chat_model, server_context_tokens
from tests.llm_server import CONTEXT_TOKENS, DEFAULT_MODEL, MODELS
from tests.questions import MET_QUESTION_EN, TRADE_QUESTION_AR

pytestmark = [pytest.mark.llm_server, pytest.mark.slow]

QUESTIONS = [TRADE_QUESTION_AR, MET_QUESTION_EN, "متى يعقد الرئيسان لقاءهما عبر الفيديو؟"]
#: Generous deadlines: prompt processing of ~1,000 tokens of Arabic on 2 shared cores.
FIRST_TOKEN_S, REPLY_S = 120.0, 300.0
MODEL_ALIAS = MODELS[DEFAULT_MODEL].alias


def with_model(qa: Assistant, url: str, alias: str) -> Assistant:
    chat = make_chat_model("openai-compatible", alias, base_url=url, timeout=REPLY_S, max_tokens=160)
    return qa.with_chat_model(
        chat, timeout=REPLY_S, first_token_timeout=FIRST_TOKEN_S, context_tokens=lambda: server_context_tokens(url)
    )


@pytest.fixture(scope="module")
def model_qa(sample_assistant, llama_server) -> Assistant:
    """The sample article's assistant writing with SmolLM2-135M-Instruct."""
    return with_model(sample_assistant, llama_server, MODEL_ALIAS)


@pytest.fixture(scope="module", params=sorted(MODELS))
def any_model_qa(request, sample_assistant, llama_servers) -> Assistant:
    """The same, with each packaged model in turn: SmolLM2-135M-Instruct, and Gemma 3 270M, a base model that
    behind its GGUF's ChatML template echoes the prompt and writes turns of its own."""
    return with_model(sample_assistant, llama_servers(request.param), MODELS[request.param].alias)


def test_the_server_says_its_context_and_the_prompt_is_cut_to_it(model_qa, llama_server):
    from assistant.generative import answer_messages, passage_budget

    assert server_context_tokens(llama_server) == CONTEXT_TOKENS == model_qa.generative.context_tokens()
    assert server_context_tokens("http://127.0.0.1:9/v1") is None  # nothing listens: not cut, no error
    trace = model_qa.ask_traced(TRADE_QUESTION_AR, mode="extractive")
    human = answer_messages(TRADE_QUESTION_AR, "ar", trace.retrieved[:5], max_passage_chars=passage_budget(1024, 160))
    assert len(human[1].content) < 1024 - 160  # about a token a character in Arabic for SmolLM2


def check_answer(answer: Answer, question: str, article_text: str, retrieved: set[str] | None = None) -> None:
    """The invariants of any answer, whatever the model wrote (module docstring)."""
    assert answer.language == ("ar" if re.search("[\u0600-\u06ff]", question) else "en")
    for c in answer.citations:
        assert article_text[c.char_start : c.char_end] == c.quote and c.quote in c.passage_text
        assert retrieved is None or c.passage_id in retrieved, c.passage_id
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers <= {c.n for c in answer.citations}, (answer.text, [c.n for c in answer.citations])
    if answer.mode == "generative" and not answer.abstained:
        for sentence in re.split(r"(?<=[.!?؟])\s+", answer.text.strip()):
            if re.search(r"\w", re.sub(r"\[\d+\]", "", sentence)):
                assert re.search(r"\[\d+\]", sentence), f"a kept sentence without a citation: {sentence!r}"
    fell_back = answer.mode == "extractive" and any(n.startswith("fell back to quoting") for n in answer.notes)
    if fell_back:
        leads = (FALLBACK_LEAD[answer.language], TIMEOUT_LEAD[answer.language].split("{")[0])
        assert answer.text.startswith(leads), answer.text[:120]


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_python_api_with_a_real_model(any_model_qa, question):
    trace = any_model_qa.ask_traced(question)
    article = any_model_qa.article_text(trace.answer.citations[0].article_id) if trace.answer.citations else ""
    check_answer(trace.answer, question, article, {h.passage.passage_id for h in trace.retrieved})
    assert trace.answer.mode == "generative" or trace.answer.notes, "a fallback says why"


def test_streamed_drafts_grow_by_extension_and_end_in_a_checked_answer(any_model_qa):
    drafts: dict[int, list[str]] = {}
    final = None
    for event in any_model_qa.stream(TRADE_QUESTION_AR):
        if isinstance(event, Draft):
            drafts.setdefault(event.attempt, []).append(event.text)
        else:
            final = event
    assert isinstance(final, Answer)
    for texts in drafts.values():
        for before, after in zip(texts, texts[1:]):
            assert after.startswith(before), (before, after)
    check_answer(
        final, TRADE_QUESTION_AR, any_model_qa.article_text(final.citations[0].article_id) if final.citations else ""
    )
    assert not any(token in text for texts in drafts.values() for text in texts for token in TURN_TOKENS)


def cli(*args: str, store) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args, "--store", str(store)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_ask_through_the_cli_with_json_and_with_stream(model_qa, llama_server, sample_assistant):
    llm = ["--llm", "openai-compatible", "--llm-base-url", llama_server, "--llm-model", MODEL_ALIAS]
    store = sample_assistant.store_path
    done = cli("ask", MET_QUESTION_EN, "--json", *llm, store=store)
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert answer["language"] == "en" and answer["mode"] in ("generative", "extractive")
    text = sample_assistant.article_text(answer["citations"][0]["article_id"]) if answer["citations"] else ""
    for c in answer["citations"]:
        assert text[c["char_start"] : c["char_end"]] == c["quote"]
    streamed = cli("ask", TRADE_QUESTION_AR, "--stream", *llm, store=store)
    assert streamed.returncode == 0, streamed.stderr[-2000:]
    assert "Traceback" not in streamed.stderr and streamed.stdout.strip()


def test_ask_on_a_terminal_shows_what_it_waits_for(model_qa, llama_server, sample_assistant):
    from tests.terminal import run_with_terminal_stderr

    llm = ["--llm", "openai-compatible", "--llm-base-url", llama_server, "--llm-model", MODEL_ALIAS]
    store = ["--store", str(sample_assistant.store_path)]
    code, out, err = run_with_terminal_stderr(
        [sys.executable, "-m", "assistant.cli", "ask", TRADE_QUESTION_AR, *llm, *store]
    )
    assert code == 0 and "Traceback" not in err, err[-2000:]
    assert "waiting for the chat model" in err, err[-2000:]
    assert out.strip() and "waiting for the chat model" not in out  # the answer on stdout, the spinner apart


def test_the_window_with_a_real_model(model_qa):
    from gradio_client import Client

    import ui
    from tests.e2e.conftest import free_port

    app = ui.launch(model_qa, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    try:
        client = Client(app.local_url, verbose=False)
        history, _, answer, _ = client.predict(TRADE_QUESTION_AR, [], api_name="/chat")
        assert "error" not in answer, answer
        assert answer["language"] == "ar" and answer["mode"] in ("generative", "extractive")
        text = model_qa.article_text(answer["citations"][0]["article_id"]) if answer["citations"] else ""
        for c in answer["citations"]:
            assert text[c["char_start"] : c["char_end"]] == c["quote"]
    finally:
        app.close()
