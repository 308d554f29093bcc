"""A launched chat app on 127.0.0.1 over a store holding the sample article."""

from __future__ import annotations

import socket

import pytest

import ui


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(sample_assistant):
    app = ui.launch(sample_assistant, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    try:
        yield app.local_url
    finally:
        app.close()


#: What the scripted chat model of ``generative_app_url`` says to every question.
GENERATED_REPLY_AR = (
    "نما حجم التجارة بين روسيا والصين بنسبة 29.8% في الأرباع الثلاثة الأولى ليصل إلى 102.5 مليار دولار [1]."
)


@pytest.fixture(scope="session")
def generative_app_url(sample_assistant):
    """The app over the sample store with langchain-core's fake chat model, which streams word by word."""
    import itertools

    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    model = GenericFakeChatModel(messages=itertools.cycle([GENERATED_REPLY_AR]))
    qa = sample_assistant.with_chat_model(model, name="fake")
    app = ui.launch(qa, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    try:
        yield app.local_url
    finally:
        app.close()
