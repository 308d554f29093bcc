"""A passage as a Chroma record's metadata (flat ``str``/``int`` values, no ``None``), and back.

Sentence spans are stored as ``"start-end;start-end"`` (article offsets, characters).
"""

from __future__ import annotations

from typing import Any

from ingest.types import Passage
from vectorstore.chroma import Hit


def passage_metadata(p: Passage) -> dict[str, str | int]:
    """The metadata record of a passage: ``passage_idx``, ``char_start``, ``char_end``, ``sentences``, ``section``?"""
    metadata: dict[str, str | int] = {
        "passage_idx": p.passage_idx,
        "char_start": p.char_start,
        "char_end": p.char_end,
        "sentences": ";".join(f"{a}-{b}" for a, b in p.sentences),
    }
    if p.section is not None:
        metadata["section"] = p.section
    return metadata


def _decode_sentences(value: Any) -> tuple[tuple[int, int], ...]:
    if not value:
        return ()
    return tuple((int(a), int(b)) for a, b in (pair.split("-") for pair in str(value).split(";")))


def passage_from_hit(hit: Hit) -> Passage:
    """The :class:`ingest.Passage` a stored record holds (the inverse of :func:`passage_metadata`)."""
    m = hit.metadata
    return Passage(
        article_id=str(m["article_id"]),
        passage_id=hit.id,
        passage_idx=int(m["passage_idx"]),
        text=hit.text,
        char_start=int(m["char_start"]),
        char_end=int(m["char_end"]),
        section=m.get("section"),
        sentences=_decode_sentences(m.get("sentences")),
    )
