"""Errors a user can act on, from every layer; the CLI and the UI turn them into messages."""

from ingest.errors import EmbeddingModelError, IngestError
from vectorstore.errors import ModelMismatchError, StoreError


class AssistantError(ValueError):
    """A question or a call to the assistant was not usable as given."""


class EvalDataError(AssistantError):
    """A test set or report for ``article-qa eval`` could not be read; the message names the record at fault."""


#: Every error whose message is meant for the user (no traceback needed).
USER_ERRORS: tuple[type[Exception], ...] = (
    AssistantError,
    IngestError,
    EmbeddingModelError,
    StoreError,
)

__all__ = [
    "USER_ERRORS",
    "AssistantError",
    "EmbeddingModelError",
    "EvalDataError",
    "IngestError",
    "ModelMismatchError",
    "StoreError",
]
