"""Ingestion: load an article, split it into passages, embed them."""

from ingest.cleaning import clean_article_text
from ingest.embeddings import (
    DEFAULT_EMBEDDING_MODEL,
    E5Embeddings,
    Embedder,
    OpenAICompatibleEmbeddings,
    SentenceTransformerEmbeddings,
    make_embeddings,
)
from ingest.errors import EmbeddingModelError, IngestError
from ingest.language import detect_language
from ingest.loaders import article_from_html, article_from_text, expand_sources, load_article, sample_article_path
from ingest.normalize import for_embedding, normalize
from ingest.splitting import split_passages, split_sentences
from ingest.types import Article, Passage

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "Article",
    "E5Embeddings",
    "Embedder",
    "EmbeddingModelError",
    "IngestError",
    "OpenAICompatibleEmbeddings",
    "Passage",
    "SentenceTransformerEmbeddings",
    "article_from_html",
    "article_from_text",
    "clean_article_text",
    "detect_language",
    "expand_sources",
    "for_embedding",
    "load_article",
    "make_embeddings",
    "normalize",
    "sample_article_path",
    "split_passages",
    "split_sentences",
]
