"""Chroma storage of passages and articles, guarded by the embedding model."""

from vectorstore.chroma import DEFAULT_COLLECTION, Hit, PassageStore, open_client
from vectorstore.errors import ModelMismatchError, StoreError

__all__ = ["DEFAULT_COLLECTION", "Hit", "ModelMismatchError", "PassageStore", "StoreError", "open_client"]
