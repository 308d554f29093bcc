"""Errors raised by ingestion; each message says what went wrong, with the path at fault.

``setting`` names the setting that fixes it, when one does (``"article_id"``,
``"embedding_model"``); the command line and the window say how to change it there.
"""

from __future__ import annotations

from pathlib import Path


class IngestError(ValueError):
    """An article could not be loaded, split or embedded.

    Attributes:
        path: The file or URL at fault, if any (the window shows only its name).
        setting: The setting that fixes it, if one does.
    """

    def __init__(self, message: str, *, path: str | Path | None = None, setting: str | None = None) -> None:
        super().__init__(message)
        self.path = None if path is None else str(path)
        self.setting = setting


class EmbeddingModelError(RuntimeError):
    """An embedding model could not be loaded, or an embedding server did not embed.

    Attributes:
        setting: The setting that fixes it: ``"embedding_model_name"`` (another name
            or path) by default; ``"embedding_base_url"`` when an embedding server
            could not be reached or refused the request; ``"embedding_server_model"``
            when the server's vectors are not the bundled model's.
        path: Always ``None`` (the attribute every user error has).
    """

    path: str | None = None

    def __init__(self, message: str, *, setting: str = "embedding_model_name") -> None:
        super().__init__(message)
        self.setting = setting
