"""Contract tests of the real LangChain clients against a local server speaking their wire formats.

The server (started here on 127.0.0.1, a free port) speaks OpenAI's
chat-completions API (``POST /v1/chat/completions``, streamed as server-sent
events or not) and Ollama's (``POST /api/chat``, streamed as JSON lines). It
records each request, so the tests check what the client sends as well as
what the assistant makes of the reply.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant, AssistantError
from assistant.llm import describe_llm_error, make_chat_model
from tests.e2e.conftest import free_port
from tests.questions import TRADE_QUESTION_AR

REPLY = "نما حجم التجارة بين روسيا والصين بنسبة 29.8% في الأرباع الثلاثة الأولى ليصل إلى 102.5 مليار دولار [1]."
KNOWN_MODEL = "test-model"
#: A model whose server ignores max_tokens: it streams :data:`RUNAWAY_CHARS` characters of REPLY, over and over.
RUNAWAY_MODEL, RUNAWAY_CHARS = "runaway-model", 1_000_000
#: A model that reads its prompt for :data:`SLOW_FIRST_TOKEN_S` seconds before its first token, as a small local
#: model on a CPU does, then writes a word every 0.1 s.
SLOW_MODEL, SLOW_FIRST_TOKEN_S = "slow-model", 2.5


class Server:
    """A chat server on 127.0.0.1 that answers every request with :data:`REPLY`, in pieces."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.runaway_sent = 0  # characters of the runaway reply written before the client went away
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                if body.get("model") == RUNAWAY_MODEL:
                    return self._runaway()
                if body.get("model") == SLOW_MODEL and self.path == "/v1/chat/completions":
                    time.sleep(SLOW_FIRST_TOKEN_S)
                    return self._openai(body, pause=0.1)
                if body.get("model") != KNOWN_MODEL:
                    return self._send(404, {"error": {"message": f"model '{body.get('model')}' not found",
                                                      "type": "invalid_request_error", "code": "model_not_found"}})  # fmt: skip
                if self.path == "/v1/chat/completions":
                    return self._openai(body)
                if self.path == "/api/chat":
                    return self._ollama(body)
                return self._send(404, {"error": "no such path"})

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _openai(self, body: dict[str, Any], pause: float = 0.0) -> None:
                base = {"id": "c1", "created": 0, "model": KNOWN_MODEL}
                if not body.get("stream"):
                    message = {"role": "assistant", "content": REPLY}
                    return self._send(200, {**base, "object": "chat.completion", "choices": [
                        {"index": 0, "message": message, "finish_reason": "stop"}]})  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for delta, finish in [({"role": "assistant", "content": ""}, None),
                                      *(({"content": w}, None) for w in pieces(REPLY)), ({}, "stop")]:  # fmt: skip
                    chunk = {**base, "object": "chat.completion.chunk",
                             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}  # fmt: skip
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    if pause:
                        self.wfile.flush()
                        time.sleep(pause)
                self.wfile.write(b"data: [DONE]\n\n")

            def _runaway(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                owner.runaway_sent, text = 0, (REPLY + " ") * (RUNAWAY_CHARS // len(REPLY) + 1)
                try:
                    for at in range(0, RUNAWAY_CHARS, 20):
                        chunk = {"id": "c1", "created": 0, "model": RUNAWAY_MODEL, "object": "chat.completion.chunk",
                                 "choices": [{"index": 0, "delta": {"content": text[at : at + 20]}, "finish_reason": None}]}  # fmt: skip
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                        owner.runaway_sent = at + 20
                    self.wfile.write(b"data: [DONE]\n\n")
                except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
                    pass

            def _ollama(self, body: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                for w in pieces(REPLY):
                    line = {"model": KNOWN_MODEL, "created_at": "2026-11-29T00:00:00Z",
                            "message": {"role": "assistant", "content": w}, "done": False}  # fmt: skip
                    self.wfile.write((json.dumps(line) + "\n").encode())
                done = {"model": KNOWN_MODEL, "created_at": "2026-11-29T00:00:00Z",
                        "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop"}  # fmt: skip
                self.wfile.write((json.dumps(done) + "\n").encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server()
    try:
        yield s
    finally:
        s.httpd.shutdown()
        s.httpd.server_close()


@pytest.fixture
def requests(server: Server) -> list[dict[str, Any]]:
    server.requests.clear()
    return server.requests


def test_openai_compatible_request_shape_and_streamed_reply(server, requests, sample_assistant, monkeypatch):
    monkeypatch.setenv("ARTICLE_QA_LLM_API_KEY", "sk-test")
    qa = Assistant.from_settings(
        store=sample_assistant.store_path, llm="openai-compatible", llm_model=KNOWN_MODEL,
        llm_base_url=f"{server.url}/v1", llm_max_retries=0,
    )  # fmt: skip
    answer = qa.ask(TRADE_QUESTION_AR)
    assert answer.mode == "generative" and answer.text == REPLY and answer.notes == []
    assert "102.5" in answer.citations[0].quote
    (request,) = requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == KNOWN_MODEL and body["stream"] is True and body["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    system, user = (m["content"] for m in body["messages"])
    assert "Arabic" in system and "NOT_IN_ARTICLE" in system
    assert "<passages>\n[1]" in user and "102.5 مليار" in user and user.endswith(f"Question: {TRADE_QUESTION_AR}")


def test_openai_compatible_streams_token_by_token(server, requests, sample_assistant):
    model = make_chat_model("openai-compatible", KNOWN_MODEL, base_url=f"{server.url}/v1", max_retries=0)
    qa = sample_assistant.with_chat_model(model)
    events = list(qa.stream(TRADE_QUESTION_AR))
    assert len(events) - 1 == len(pieces(REPLY)), "one draft per streamed chunk"
    assert events[-2].text == REPLY and events[-1].text == REPLY


def test_openai_compatible_unknown_model_falls_back_with_a_message(server, requests, sample_assistant):
    model = make_chat_model("openai-compatible", "no-such-model", base_url=f"{server.url}/v1", max_retries=0)
    qa = sample_assistant.with_chat_model(model, name="test")
    answer = qa.ask(TRADE_QUESTION_AR)
    assert answer.mode == "extractive" and len(requests) == 1
    assert any("the server has no such model or path (test)" in n for n in answer.notes)


def test_an_unreachable_endpoint_falls_back_with_a_message(sample_assistant):
    model = make_chat_model("openai-compatible", KNOWN_MODEL, base_url=f"http://127.0.0.1:{free_port()}/v1",
                            max_retries=0, timeout=5)  # fmt: skip
    answer = sample_assistant.with_chat_model(model).ask(TRADE_QUESTION_AR)
    assert answer.mode == "extractive" and any("could not reach the chat model" in n for n in answer.notes)


def test_ollama_request_shape_and_streamed_reply(server, requests, sample_assistant):
    qa = Assistant.from_settings(
        store=sample_assistant.store_path, llm="ollama", llm_model=KNOWN_MODEL, llm_base_url=server.url
    )
    answer = qa.ask(TRADE_QUESTION_AR)
    assert answer.mode == "generative" and answer.text == REPLY
    (request,) = requests
    assert request["path"] == "/api/chat"
    body = request["body"]
    assert body["model"] == KNOWN_MODEL and body["stream"] is True and body["options"]["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


def test_ollama_unknown_model_falls_back_with_a_message(server, requests, sample_assistant):
    model = make_chat_model("ollama", "no-such-model", base_url=server.url)
    answer = sample_assistant.with_chat_model(model).ask(TRADE_QUESTION_AR)
    assert answer.mode == "extractive" and any("no such model or path" in n for n in answer.notes)


def test_a_missing_model_name_is_a_clear_error():
    from assistant.cli import FIXES
    from assistant.errors import user_message

    with pytest.raises(AssistantError, match="needs the name of a model") as caught:
        make_chat_model("ollama", " ")
    assert "--llm-model NAME" in user_message(caught.value, FIXES)


def test_error_descriptions_name_the_fix():
    assert "is the server running" in describe_llm_error(ConnectionError("refused"), "x")
    assert "ARTICLE_QA_LLM_TIMEOUT" in describe_llm_error(TimeoutError(), "x")


def test_ask_stream_prints_the_reply_as_it_comes_then_its_sources(server, requests, sample_assistant, capsys):
    from assistant.cli import main

    code = main(["ask", TRADE_QUESTION_AR, "--stream", "--store", str(sample_assistant.store_path),
                 "--llm", "openai-compatible", "--llm-model", KNOWN_MODEL, "--llm-base-url", f"{server.url}/v1"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and out.startswith(REPLY)
    assert "checked answer" not in out, "the checks changed nothing, so the reply is not printed twice"
    assert "[1] 000_f0911db09156c083" in out and requests[0]["body"]["stream"] is True


def test_ask_stream_and_json_do_not_mix(capsys):
    from assistant.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["ask", "q", "--stream", "--json"])
    assert exc.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_eval_with_a_chat_model_records_it_and_counts_fallbacks(server, tmp_path, capsys):
    from assistant.cli import main

    out = tmp_path / "report"
    root = Path(__file__).resolve().parents[2]
    code = main(["eval", str(root / "benchmarks/data/sample_article_gold.jsonl"),
                 "--corpus", str(root / "ingest/data/000_f0911db09156c083.txt"),
                 "--limit", "3", "--out", str(out), "--llm", "openai-compatible", "--llm-model", KNOWN_MODEL,
                 "--llm-base-url", f"{server.url}/v1"])  # fmt: skip
    assert code == 0
    run = json.loads((out / "report.json").read_text(encoding="utf-8"))["run"]
    assert run["chat_model"].startswith("openai-compatible test-model at http://127.0.0.1")
    assert run["generated_answers"] + run["fell_back_to_quoting"] <= 3
    assert "answers written by openai-compatible test-model" in capsys.readouterr().err
    assert "- Answers: written by openai-compatible test-model" in (out / "report.md").read_text(encoding="utf-8")


def test_ask_stream_never_prints_the_decline_word_nor_a_false_retry(server, sample_assistant, capsys, monkeypatch):
    from assistant.cli import main

    monkeypatch.setattr(sys.modules[__name__], "REPLY", "The passages do not say when they last met. NOT_IN_ARTICLE")
    code = main(["ask", "When did Putin and Xi last meet?", "--stream", "--store", str(sample_assistant.store_path),
                 "--llm", "openai-compatible", "--llm-model", KNOWN_MODEL, "--llm-base-url", f"{server.url}/v1"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0 and "NOT_IN" not in captured.out and "asked again" not in captured.err
    assert "The article does not say." in captured.out


def test_a_server_that_ignores_max_tokens_is_read_no_further_than_the_longest_reply(server, requests, sample_assistant):
    from assistant.generative import MAX_REPLY_CHARS

    model = make_chat_model("openai-compatible", RUNAWAY_MODEL, base_url=f"{server.url}/v1", max_retries=0)
    qa = sample_assistant.with_chat_model(model, timeout=20)
    answer = qa.ask(TRADE_QUESTION_AR)
    assert answer.mode == "generative" and answer.text.startswith(REPLY)
    assert f"read the first {MAX_REPLY_CHARS:,} characters of the chat model's reply; it went on" in answer.notes
    assert len(answer.text) < MAX_REPLY_CHARS
    assert server.runaway_sent < RUNAWAY_CHARS, "the client closed the stream instead of reading it to the end"


def _ask(store: Path, url: str, *, terminal: bool) -> tuple[int, str, str]:
    """``article-qa ask`` of the slow model in a process of its own, its stderr a terminal or a pipe."""
    import subprocess

    from tests.terminal import run_with_terminal_stderr

    command = [sys.executable, "-m", "assistant.cli", "ask", TRADE_QUESTION_AR, "--store", str(store),
               "--llm", "openai-compatible", "--llm-model", SLOW_MODEL, "--llm-base-url", f"{url}/v1"]  # fmt: skip
    if terminal:
        return run_with_terminal_stderr(command)
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.slow
def test_ask_on_a_terminal_shows_a_spinner_with_the_seconds_waited_then_the_characters_written(
    server, sample_assistant
):
    code, out, err = _ask(sample_assistant.store_path, server.url, terminal=True)
    assert code == 0, err[-2000:]
    assert REPLY in out, out[:300]
    assert "waiting for the chat model" in err and "waiting for the chat model (2 s)" in err, err[-2000:]
    assert "the chat model is writing:" in err and " characters (" in err
    assert "Traceback" not in err
    code, out, err = _ask(sample_assistant.store_path, server.url, terminal=False)
    assert code == 0 and REPLY in out
    assert "waiting for the chat model" not in err, "no spinner where stderr is not a terminal (a log, a pipe)"
