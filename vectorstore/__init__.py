"""Chroma storage of passages and articles, guarded by the embedding model."""

from vectorstore.chroma import (
    DEFAULT_COLLECTION,
    ArticleRecords,
    Hit,
    PassageStore,
    StoreCheck,
    has_collection,
    open_client,
    open_http_client,
    open_store_client,
    store_location,
)
from vectorstore.errors import ModelMismatchError, SourceConflictError, StoreError
from vectorstore.lazy import LazyStore

__all__ = [
    "DEFAULT_COLLECTION",
    "ArticleRecords",
    "Hit",
    "LazyStore",
    "ModelMismatchError",
    "PassageStore",
    "SourceConflictError",
    "StoreCheck",
    "StoreError",
    "has_collection",
    "open_client",
    "open_http_client",
    "open_store_client",
    "store_location",
]
