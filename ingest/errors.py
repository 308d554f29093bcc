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
    """An embedding model could not be loaded (``setting`` is ``"embedding_model_name"``: another name or path fixes it)."""

    setting = "embedding_model_name"
    path: str | None = None
