from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.settings import Settings, default_store_path, describe_errors


def test_environment_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTICLE_QA_STORE", str(tmp_path))
    monkeypatch.setenv("ARTICLE_QA_TOP_K", "7")
    settings = Settings()
    assert settings.store == Path(tmp_path) and settings.top_k == 7


def test_empty_variables_mean_the_default(monkeypatch):
    monkeypatch.setenv("ARTICLE_QA_STORE", "")
    monkeypatch.setenv("ARTICLE_QA_EMBEDDING_MODEL", " ")
    settings = Settings()
    assert settings.store == default_store_path()
    assert settings.embedding_model == "multilingual-e5-small"


def test_invalid_values_are_described_in_one_line(monkeypatch):
    monkeypatch.setenv("ARTICLE_QA_TOP_K", "abc")
    with pytest.raises(ValidationError) as info:
        Settings(port=99999)
    text = describe_errors(info.value, {"port": "--port"})
    assert "\n" not in text
    assert "top_k (ARTICLE_QA_TOP_K) = 'abc'" in text
    assert "port (--port, ARTICLE_QA_PORT) = 99999" in text


def test_embedding_threads_are_a_setting_handed_to_the_engine(monkeypatch):
    from assistant.wiring import settings_components
    from ingest.embeddings import E5Embeddings, available_cores

    assert Settings().embedding_threads == 1
    monkeypatch.setenv("ARTICLE_QA_EMBEDDING_THREADS", "2")
    embeddings = settings_components(Settings())["retriever"].embeddings
    assert isinstance(embeddings, E5Embeddings) and embeddings.num_threads == 2
    assert embeddings.parallel_calls == max(1, available_cores() // 2)  # the cores, two threads a call
    monkeypatch.setenv("ARTICLE_QA_EMBEDDING_THREADS", "0")
    with pytest.raises(ValidationError, match="embedding_threads"):
        Settings()


def test_embedding_server_settings(monkeypatch):
    """ARTICLE_QA_EMBEDDING_BASE_URL must be an http(s) URL; its key is never echoed in an error."""
    monkeypatch.setenv("ARTICLE_QA_EMBEDDING_BASE_URL", "http://127.0.0.1:8001/v1")
    assert Settings().embedding_base_url == "http://127.0.0.1:8001/v1"
    with pytest.raises(ValidationError) as info:
        Settings(embedding_base_url="127.0.0.1:8001", embedding_api_key=["not", "a", "key"])
    text = describe_errors(info.value, {"embedding_base_url": "--embedding-base-url"})
    assert "embedding_base_url (--embedding-base-url, ARTICLE_QA_EMBEDDING_BASE_URL) = '127.0.0.1:8001'" in text
    assert "embedding_api_key (ARTICLE_QA_EMBEDDING_API_KEY) = '…'" in text and "'a'" not in text


def test_cli_embedding_base_url_option_wins(monkeypatch):
    from assistant.cli import _settings, build_parser

    monkeypatch.setenv("ARTICLE_QA_EMBEDDING_BASE_URL", "http://env:1/v1")
    args = build_parser().parse_args(["ingest", "x.txt", "--embedding-base-url", "http://cli:2/v1", "--shard", "2/3"])
    assert _settings(args).embedding_base_url == "http://cli:2/v1" and args.shard == (2, 3)


def test_a_context_size_must_leave_room_for_the_prompt(monkeypatch):
    monkeypatch.setenv("ARTICLE_QA_LLM_CONTEXT_TOKENS", "512")
    with pytest.raises(ValidationError) as caught:
        Settings()
    said = describe_errors(caught.value)
    assert said.startswith("llm_context_tokens 512 leaves 0 tokens for the prompt after llm_max_tokens 512")
    assert "ARTICLE_QA_LLM_MAX_TOKENS" in said
    monkeypatch.setenv("ARTICLE_QA_LLM_CONTEXT_TOKENS", "700")
    monkeypatch.setenv("ARTICLE_QA_LLM_MAX_TOKENS", "100")
    assert Settings().llm_context_tokens == 700  # 600 left: enough
