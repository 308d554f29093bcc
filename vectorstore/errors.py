"""Errors raised by the store; each message says what went wrong and what to do."""


class StoreError(RuntimeError):
    """The store could not be opened, read or written."""


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
        super().__init__(f"article id {article_id!r} already holds {stored_source}, not {source}: nothing was written")
        self.article_id, self.stored_source, self.source = article_id, stored_source, source
