"""Errors raised by ingestion; each message says what went wrong and what to do."""


class IngestError(ValueError):
    """An article could not be loaded, split or embedded."""


class EmbeddingModelError(RuntimeError):
    """An embedding model could not be loaded."""
