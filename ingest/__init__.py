"""Ingestion: load an article, split it into passages, embed them."""

from ingest.embeddings import (
    DEFAULT_EMBEDDING_MODEL,
    E5Embeddings,
    SentenceTransformerEmbeddings,
    make_embeddings,
)
from ingest.errors import EmbeddingModelError, IngestError
from ingest.language import detect_language
from ingest.loaders import article_from_text, load_article, sample_article_path
from ingest.splitting import split_passages, split_sentences
from ingest.types import Article, Passage

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "Article",
    "E5Embeddings",
    "EmbeddingModelError",
    "IngestError",
    "Passage",
    "SentenceTransformerEmbeddings",
    "article_from_text",
    "detect_language",
    "load_article",
    "make_embeddings",
    "sample_article_path",
    "split_passages",
    "split_sentences",
]
