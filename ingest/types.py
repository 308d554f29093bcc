"""Records that ingestion produces: an article and the passages cut from it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Article:
    """One loaded, cleaned article.

    Attributes:
        article_id: Stable id: the file name without its suffix, a slug of the
            URL, or the id the caller gave.
        text: The cleaned article text as stored (see :mod:`ingest.cleaning`;
            UTF-8, NFC, ``\\n`` line endings). Every character offset in this
            project (passages, sentences, citations) indexes this string.
        title: The title: the page's for HTML, else the first paragraph when it
            is a heading and more text follows; ``None`` if none.
        source: File path or URL it came from, or ``None``.
        language: ``"ar"`` or ``"en"`` by the letters of the text.
        published: Publication date (ISO 8601) when the page gives one.
        site: Name of the publishing site when the page gives one.
        dateline: The dateline taken out of the text (``دبي -الشرق``).
    """

    article_id: str
    text: str
    title: str | None = None
    source: str | None = None
    language: str | None = None
    published: str | None = None
    site: str | None = None
    dateline: str | None = None

    def metadata(self) -> dict[str, str]:
        """The fields above other than id and text, without the absent ones (Chroma refuses ``None``)."""
        fields = {
            "title": self.title,
            "source": self.source,
            "language": self.language,
            "published": self.published,
            "site": self.site,
            "dateline": self.dateline,
        }
        return {k: v for k, v in fields.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Passage:
    """A run of whole sentences from one paragraph of an article.

    Invariant: ``article.text[char_start:char_end] == text``, and each span in
    ``sentences`` indexes ``article.text`` too.

    Attributes:
        article_id: Id of the article the passage belongs to.
        passage_id: Deterministic id, ``{article_id}-{version}-{passage_idx:04d}``:
            the same article text (and splitting settings) always yields the
            same ids, any change to them yields new ones, and two equal
            sentences in one article never share an id.
        passage_idx: 0-based position of the passage in the article.
        text: The passage text, exactly as it stands in the article.
        char_start: Offset of the first character in the article text.
        char_end: Offset one past the last character in the article text.
        section: The heading the passage sits under, or ``None``.
        sentences: ``(char_start, char_end)`` of each sentence, in article offsets.
    """

    article_id: str
    passage_id: str
    passage_idx: int
    text: str
    char_start: int
    char_end: int
    section: str | None = None
    sentences: tuple[tuple[int, int], ...] = ()
