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
