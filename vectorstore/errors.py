"""Errors raised by the store; each message says what went wrong, with the store's location.

``setting`` names the setting that fixes it, when one does (``"store"``,
``"collection"``, ``"embedding_model"``, ``"chroma_host"``); the command
line and the window say how to change it there.
"""

from __future__ import annotations

from pathlib import Path


class StoreError(RuntimeError):
    """The store could not be opened, read or written.

    Attributes:
        path: The store's directory, if it is an embedded store at fault (the window does not show it).
        setting: The setting that fixes it, if one does.
        busy: Whether the store is busy rather than broken (another writer holds it, a server does not
            answer for now): the same request may work in a moment. The window says so in the question's language.
    """

    def __init__(
        self, message: str, *, path: str | Path | None = None, setting: str | None = None, busy: bool = False
    ) -> None:
        super().__init__(message)
        self.path = None if path is None else str(path)
        self.setting = setting
        self.busy = busy


class ModelMismatchError(StoreError):
    """A collection was built with another embedding model than the one in use."""


class SourceConflictError(StoreError):
    """An article id already holds an article from another source (found under the writer lock).

    Attributes:
        article_id: The id.
        stored_source: The source the stored article came from.
        source: The source of the article that was to be written.
    """

    def __init__(self, article_id: str, stored_source: str, source: str) -> None:
        super().__init__(
            f"article id {article_id!r} already holds {stored_source}, not {source}: nothing was written",
            setting="article_id",
        )
        self.article_id, self.stored_source, self.source = article_id, stored_source, source
