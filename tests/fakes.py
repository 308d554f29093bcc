"""Small deterministic stand-ins for unit tests of the answer pipeline: an embedder, a scripted retriever."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant import Assistant
from assistant.abstention import AbstentionModel, Assessment
from assistant.answer import ExtractiveAnswerer
from assistant.retrieval import Retrieval
from assistant.types import RetrievedPassage
from ingest.language import Language
from ingest.normalize import lexical_tokens
from ingest.splitting import split_sentences
from ingest.types import Passage


class FakeEmbedder:
    """Bag of hashed lexical tokens in 64 dimensions, L2-normalised: texts sharing words are close."""

    model_name = "fake/hashed-tokens-64"
    dimension = 64
    max_tokens = 512

    def __init__(self) -> None:
        self.calls = 0

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for token in lexical_tokens(text) or [text]:
                out[i, int(hashlib.md5(token.encode()).hexdigest(), 16) % self.dimension] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def token_count(self, text: str) -> int:
        return len(text.split()) + 2


def passage(text: str, article_id: str = "news", idx: int = 0, start: int = 0) -> Passage:
    """A passage at ``start`` of its article, its sentences found by :func:`ingest.split_sentences`."""
    return Passage(
        article_id=article_id,
        passage_id=f"{article_id}-v1-{idx:04d}",
        passage_idx=idx,
        text=text,
        char_start=start,
        char_end=start + len(text),
        sentences=tuple((start + a, start + b) for a, b in split_sentences(text)),
    )


class ScriptedRetriever:
    """Returns the passages scripted for each question text (as embedded); records what it was asked."""

    def __init__(self, embedder: FakeEmbedder, script: dict[str, list[Passage]]) -> None:
        self.embedder, self.script = embedder, script
        self.embeddings = embedder
        self.asked: list[tuple[str, Any]] = []

    def retrieve(self, question: str, article_ids: Sequence[str] | None = None) -> Retrieval:
        self.asked.append((question, article_ids))
        vector = self.embedder.encode_queries([question])[0]
        found = [p for p in self.script.get(question, []) if not article_ids or p.article_id in article_ids]
        hits = [RetrievedPassage(p, float(self.embedder.encode_passages([p.text])[0] @ vector)) for p in found]
        return Retrieval(vector, hits, [h.score for h in hits], [], [], lexical_tokens(question), 1.0, True)

    def sentence_vectors(self, passage_ids: Sequence[str]) -> dict[tuple[str, int, int], np.ndarray]:
        return {}


def scripted_assistant(
    script: dict[str, tuple[list[Passage], float]], *, generative: Any = None, top_k: int = 3
) -> tuple[Assistant, ScriptedRetriever]:
    """An assistant whose retrieval and confidence are scripted per question text (as embedded).

    No store is opened: the indexer is never used by questions.
    """
    embedder = FakeEmbedder()
    retriever = ScriptedRetriever(embedder, {q: ps for q, (ps, _) in script.items()})
    confidence = {q: c for q, (_, c) in script.items()}

    class Abstention(AbstentionModel):
        def assess(self, question: str, language: Language, *args: Any, **kwargs: Any) -> Assessment:
            assessment = super().assess(question, language, *args, **kwargs)
            return dataclasses.replace(assessment, confidence=confidence.get(retriever.asked[-1][0], 0.0))

    indexer: Any = None  # questions never reach the indexer
    qa = Assistant(
        indexer,
        retriever,
        ExtractiveAnswerer(),
        abstention=Abstention(),
        generative=generative,
        top_k=top_k,  # type: ignore[arg-type]
    )
    return qa, retriever
