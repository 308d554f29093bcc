from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.settings import Settings, default_store_path, describe_errors


def test_environment_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTICLE_QA_STORE", str(tmp_path))
    monkeypatch.setenv("ARTICLE_QA_TOP_K", "7")
    settings = Settings()
    assert settings.store == Path(tmp_path) and settings.top_k == 7


def test_empty_store_variable_means_the_default(monkeypatch):
    monkeypatch.setenv("ARTICLE_QA_STORE", "")
    assert Settings().store == default_store_path()


def test_invalid_values_are_described_in_one_line(monkeypatch):
    monkeypatch.setenv("ARTICLE_QA_TOP_K", "abc")
    with pytest.raises(ValidationError) as info:
        Settings(port=99999)
    text = describe_errors(info.value)
    assert "\n" not in text
    assert "top_k (--top-k, ARTICLE_QA_TOP_K) = 'abc'" in text
    assert "port (--port, ARTICLE_QA_PORT) = 99999" in text
