"""Chroma storage of passages and articles, guarded by the embedding model."""

from vectorstore.chroma import DEFAULT_COLLECTION, Hit, PassageStore, has_collection, open_client
from vectorstore.errors import ModelMismatchError, StoreError

__all__ = ["DEFAULT_COLLECTION", "Hit", "ModelMismatchError", "PassageStore", "StoreError", "has_collection", "open_client"]
