"""Errors raised by the store; each message says what went wrong and what to do."""


class StoreError(RuntimeError):
    """The store could not be opened, read or written."""


class ModelMismatchError(StoreError):
    """A collection was built with another embedding model than the one in use."""
