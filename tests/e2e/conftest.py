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
