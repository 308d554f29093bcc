"""Errors a user can act on, from every layer; the CLI and the UI turn them into messages.

Each says what went wrong; ``setting`` (when set) names the setting that
fixes it, and the edge says how to change that setting there (a command-line
option or environment variable, or what to do in the window); ``path`` (when
set) is a path on the machine that runs the assistant, which the window does
not show.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.errors import EmbeddingModelError, IngestError
from vectorstore.errors import ModelMismatchError, StoreError


class AssistantError(ValueError):
    """A question or a call to the assistant was not usable as given.

    Attributes:
        setting: The setting that fixes it, if one does (``"llm"``, ``"article_ids"``...).
        path: Always ``None`` (the attribute every user error has).
    """

    path: str | None = None

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class UnknownArticleError(AssistantError):
    """Some requested article ids are not stored.

    Attributes:
        unknown: The ids asked for that are not stored, sorted.
        stored: The ids that are stored.
    """

    #: Stored ids named in the message; beyond, only their count.
    SHOWN = 5

    def __init__(self, unknown: Sequence[str], stored: Sequence[str]) -> None:
        self.unknown, self.stored = list(unknown), sorted(stored)
        names = ", ".join(repr(a) for a in self.unknown[:10]) + (" ..." if len(self.unknown) > 10 else "")
        if not self.stored:
            held = "the store holds no article"
        elif len(self.stored) <= self.SHOWN:
            held = "the store holds " + ", ".join(repr(a) for a in self.stored)
        else:
            held = f"the store holds {len(self.stored):,} other articles"
        super().__init__(f"no article {names} is stored: {held}", setting="article_ids")


class EvalDataError(AssistantError):
    """A test set or report for ``article-qa eval`` could not be read; the message names the record at fault."""


#: Every error whose message is meant for the user (no traceback needed).
USER_ERRORS: tuple[type[Exception], ...] = (
    AssistantError,
    IngestError,
    EmbeddingModelError,
    StoreError,
)


def user_message(exc: BaseException, fixes: dict[str, str], *, show_path: bool = True) -> str:
    """The message of a user error at an edge: what went wrong, then how to fix it there.

    Args:
        exc: One of :data:`USER_ERRORS`.
        fixes: The edge's fix by setting name (e.g. ``{"store": "choose it with --store DIR"}``).
        show_path: ``False`` replaces the error's ``path`` by its last component (the window:
            paths on the server stay there).
    """
    message = str(exc)
    path = getattr(exc, "path", None)
    if path and not show_path:
        message = message.replace(path, path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or path)
    fix = fixes.get(getattr(exc, "setting", None) or "")
    return f"{message} · {fix}" if fix else message


__all__ = [
    "USER_ERRORS",
    "AssistantError",
    "EmbeddingModelError",
    "EvalDataError",
    "IngestError",
    "ModelMismatchError",
    "StoreError",
    "UnknownArticleError",
    "user_message",
]
