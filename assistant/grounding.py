"""Checks of a generated answer against the passages it was given, by code.

A chat model is asked to cite ``[n]`` after each claim (:mod:`assistant.generative`);
nothing it writes is taken on trust:

1. **Markers.** Every ``[n]`` (also ``[1, 2]``, ``[١]``) is parsed and bound
   to the n-th retrieved passage; a number outside the passages given is
   removed, and the removal recorded.
2. **Support.** The reply is split into sentences (markers after a sentence's
   full stop belong to it). A sentence is supported by a passage it cites when
   every number in it occurs in the passages it cites, and either the cosine
   similarity of its embedding to one of that passage's sentences reaches
   :data:`SUPPORT_SAME_LANGUAGE` (:data:`SUPPORT_CROSS_LINGUAL` across
   languages), or at least :data:`LEXICAL_SUPPORT` of its lexical tokens
   (names, numbers, content words) occur in the passage. A sentence that cites
   nothing is bound to the retrieved passage that supports it best, if one
   does. Unsupported sentences are dropped from the text and returned; a
   cited passage that does not support its sentence loses its marker.
3. The markers left are renumbered ``[1]``, ``[2]``... in order of first
   appearance; each :class:`assistant.types.Citation` quotes the sentence of
   its passage nearest to the first claim citing it, so the window can
   highlight it.

The language check and the retry live in :mod:`assistant.generative`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.types import Citation, RetrievedPassage
from ingest.language import Language, detect_language
from ingest.normalize import for_embedding, lexical_tokens
from ingest.splitting import split_sentences

#: A citation marker: ``[3]``, ``[1, 2]``, ``[1،2]``, ``[١]`` (Arabic-Indic
#: and Extended Arabic-Indic digits too).
MARKER = re.compile(r"\[\s*([0-9٠-٩۰-۹]+(?:\s*[,،;]\s*[0-9٠-٩۰-۹]+)*)\s*\]")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,!?؟،؛:…»”’)])")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

#: Lowest cosine similarity (multilingual-e5-small, ``passage: `` on both
#: sides) between an answer sentence and a sentence of a cited passage in
#: the same language for the passage to support it. From
#: benchmarks/calibrate_support.py on XQuAD dev: 3.6% of Arabic sentences
#: (1.7% of English ones) reach it against the best sentence of another
#: paragraph of their own article (same topic, another claim).
SUPPORT_SAME_LANGUAGE = 0.89
#: The same across languages (an English answer about an Arabic article):
#: 95.7% of English XQuAD sentences reach it against the Arabic translation
#: of their paragraph, 7.5% against another paragraph of the same article.
SUPPORT_CROSS_LINGUAL = 0.82
#: Share of a sentence's lexical tokens (:func:`ingest.normalize.lexical_tokens`)
#: found in a passage that counts as support on its own (a close paraphrase
#: in the passage's language), with at least :data:`LEXICAL_MIN_TOKENS` tokens.
LEXICAL_SUPPORT = 0.6
LEXICAL_MIN_TOKENS = 3


@dataclass(frozen=True, slots=True)
class PassageSentences:
    """The sentences of one retrieved passage that a claim can be checked against.

    Attributes:
        spans: ``(char_start, char_end)`` of each sentence in the article text.
        texts: The sentences.
        vectors: ``(len(texts), dimension)`` float32, L2-normalised ``passage: `` embeddings.
    """

    spans: list[tuple[int, int]]
    texts: list[str]
    vectors: np.ndarray


@dataclass(frozen=True, slots=True)
class GroundedReply:
    """A generated reply after the checks.

    Attributes:
        text: The reply without unsupported sentences, markers renumbered
            ``[1]``... in order of first appearance; ``""`` if no sentence survived.
        citations: One per marker number in ``text``, in order.
        unsupported_sentences: Sentences of the reply that no cited (or
            retrieved) passage supports, as written, without markers.
        removed_markers: Marker numbers outside ``1..len(passages)``, as the model wrote them.
        notes: What the checks changed, one line each, for ``Answer.notes``.
    """

    text: str
    citations: list[Citation] = field(default_factory=list)
    unsupported_sentences: list[str] = field(default_factory=list)
    removed_markers: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Claim:
    start: int
    end: int
    text: str  # without markers
    cited: list[int]  # 0-based passage indexes, in order


_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")


def _numbers(text: str) -> set[str]:
    """The numbers of ``text`` as lexical tokens (Arabic-Indic digits folded), thousands separators dropped: ``1,000`` → ``1000``."""
    return {t.replace(",", "") if _THOUSANDS.fullmatch(t) else t for t in lexical_tokens(text) if t[0].isdigit()}


def _marker_numbers(match: re.Match[str]) -> list[int]:
    return [int(x) for x in re.split(r"\s*[,،;]\s*", match.group(1).translate(_DIGITS))]


def claims_of(reply: str) -> list[_Claim]:
    """Sentences of ``reply`` with words in them and the 1-based marker numbers each carries.

    Markers standing before a sentence's first word (``claim. [1] Next...``)
    belong to the sentence before.
    """
    claims: list[_Claim] = []
    for a, b in split_sentences(reply):
        sentence = reply[a:b]
        numbers: list[int] = []
        lead = True
        for piece in re.split(f"({MARKER.pattern})", sentence):
            if not piece:
                continue
            m = MARKER.fullmatch(piece)
            if m:
                found = _marker_numbers(m)
                if lead and claims:
                    claims[-1].cited.extend(n for n in found if n not in claims[-1].cited)
                else:
                    numbers.extend(n for n in found if n not in numbers)
            elif any(ch.isalnum() for ch in piece):
                lead = False
        text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(MARKER.sub(" ", sentence).split()))
        if any(ch.isalnum() for ch in text):
            claims.append(_Claim(a, b, text, numbers))
    return claims


def _insert_markers(text: str, markers: str) -> str:
    """``"Trade grew 29.8%."`` + ``"[1]"`` → ``"Trade grew 29.8% [1]."``: before the final punctuation."""
    m = re.search(r"[.!?؟…]+[\"'»”’)]*$", text)
    if m is None:
        return f"{text} {markers}"
    return f"{text[: m.start()].rstrip()} {markers}{text[m.start():]}"


def ground_reply(
    reply: str,
    passages: Sequence[RetrievedPassage],
    sentences: Sequence[PassageSentences],
    claim_vectors: np.ndarray,
) -> GroundedReply:
    """Check a generated reply against the passages it was given (module docstring, steps 1-3).

    Args:
        reply: The model's text, with markers ``[n]`` meaning ``passages[n-1]``.
        passages: The passages numbered in the prompt, in order.
        sentences: The sentences of each passage, parallel to ``passages``.
        claim_vectors: ``(len(claims_of(reply)), dimension)`` float32,
            L2-normalised ``passage: `` embeddings of the reply's claims
            (:func:`embed_claims`), in order.

    Returns:
        A :class:`GroundedReply`.
    """
    claims = claims_of(reply)
    notes: list[str] = []
    removed = sorted({n for c in claims for n in c.cited if not 1 <= n <= len(passages)})
    if removed:
        listed = ", ".join(f"[{n}]" for n in removed)
        notes.append(f"removed marker {listed}: only {len(passages)} passages were given")
    passage_langs = [detect_language(p.passage.text) for p in passages]
    passage_tokens = [set(lexical_tokens(p.passage.text)) for p in passages]
    passage_numbers = [_numbers(p.passage.text) for p in passages]

    def support(claim: _Claim, vector: np.ndarray, i: int, numbers_from: Sequence[int]) -> float | None:
        """Best sentence similarity if passage ``i`` supports ``claim``, else ``None``."""
        if not _numbers(claim.text) <= set().union(*(passage_numbers[j] for j in numbers_from)):
            return None
        sims = sentences[i].vectors @ vector if len(sentences[i].texts) else np.zeros(0)
        best = float(sims.max()) if len(sims) else -1.0
        threshold = SUPPORT_SAME_LANGUAGE if detect_language(claim.text) == passage_langs[i] else SUPPORT_CROSS_LINGUAL
        tokens = set(lexical_tokens(claim.text))
        lexical = len(tokens) >= LEXICAL_MIN_TOKENS and len(tokens & passage_tokens[i]) / len(tokens) >= LEXICAL_SUPPORT
        return best if best >= threshold or lexical else None

    kept: list[tuple[_Claim, list[int]]] = []
    unsupported: list[str] = []
    first_claim: dict[int, np.ndarray] = {}
    for claim, vector in zip(claims, claim_vectors):
        cited = [n - 1 for n in claim.cited if 1 <= n <= len(passages)]
        if cited:
            by = [i for i in cited if support(claim, vector, i, cited) is not None]
            dropped = [i for i in cited if i not in by]
            if by and dropped:
                notes.append(
                    f"removed marker {', '.join(f'[{i + 1}]' for i in dropped)} from “{claim.text}”: "
                    "that passage does not support it"
                )
        else:
            scored = [(s, i) for i in range(len(passages)) if (s := support(claim, vector, i, [i])) is not None]
            by = [max(scored)[1]] if scored else []
            if by:
                notes.append(f"added marker [{by[0] + 1}] to “{claim.text}”, which cited nothing")
        if not by:
            unsupported.append(claim.text)
            continue
        kept.append((claim, by))
        for i in by:
            first_claim.setdefault(i, vector)
    if unsupported:
        notes.append(
            f"dropped {len(unsupported)} sentence{'s' if len(unsupported) > 1 else ''} that no passage given supports"
        )

    number_of: dict[int, int] = {}
    for _, by in kept:
        for i in by:
            number_of.setdefault(i, len(number_of) + 1)
    pieces: list[str] = []
    previous_end = None
    for claim, by in kept:
        markers = "".join(f"[{number_of[i]}]" for i in sorted(by, key=number_of.__getitem__))
        sentence = _insert_markers(claim.text, markers)
        if previous_end is not None:
            pieces.append("\n\n" if "\n\n" in reply[previous_end : claim.start] else " ")
        pieces.append(sentence)
        previous_end = claim.end
    citations = []
    for i, n in number_of.items():
        p = passages[i].passage
        s = sentences[i]
        if len(s.texts):
            j = int(np.argmax(s.vectors @ first_claim[i]))
            (start, end), quote = s.spans[j], s.texts[j]
        else:  # pragma: no cover - every stored passage has a sentence
            start, end, quote = p.char_start, p.char_end, p.text
        citations.append(
            Citation(n, p.passage_id, p.article_id, p.text, quote, start, end, passages[i].score, p.section)
        )
    return GroundedReply("".join(pieces), citations, unsupported, removed, notes)


def reply_language(reply: str) -> Language:
    """Language of a reply, its markers aside (:func:`ingest.language.detect_language`)."""
    return detect_language(MARKER.sub(" ", reply))


def claim_texts(reply: str) -> list[str]:
    """The texts :func:`ground_reply` checks, as they are embedded (:func:`ingest.normalize.for_embedding`)."""
    return [for_embedding(c.text) for c in claims_of(reply)]

