"""Load an article from a UTF-8 ``.txt`` or ``.md`` file."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from ingest.errors import IngestError
from ingest.splitting import heading_text, split_paragraphs
from ingest.types import Article

#: File suffixes :func:`load_article` accepts.
SUPPORTED_SUFFIXES = (".txt", ".md")
#: Largest article file accepted, in bytes (a long news article is ~50 kB).
MAX_FILE_BYTES = 5_000_000

_ID_UNSAFE = re.compile(r"[^\w.-]+")


def sample_article_path() -> Path:
    """Path of the sample article shipped inside the package.

    The sample is an Arabic news article (Asharq, a Putin–Xi video summit),
    ``000_f0911db09156c083.txt``; it is installed with the package, so a
    non-editable install can run it.
    """
    return Path(str(resources.files("ingest") / "data" / "000_f0911db09156c083.txt"))


def make_article_id(name: str) -> str:
    """Turn a file stem into an article id: word characters, ``.``, ``_`` and ``-`` only.

    Raises:
        IngestError: If nothing usable is left.
    """
    article_id = _ID_UNSAFE.sub("-", name).strip("-.")
    if not article_id:
        raise IngestError(f"cannot make an article id from {name!r}: pass an explicit article id")
    return article_id


def article_from_text(text: str, article_id: str, source: str | None = None) -> Article:
    """Build an :class:`Article` from text already in memory.

    The text is cleaned of a byte-order mark and ``\\r\\n`` / ``\\r`` line
    endings; its first paragraph becomes the title when it reads as a heading.

    Raises:
        IngestError: If the text is empty or only whitespace.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        where = f" ({source})" if source else ""
        raise IngestError(f"the article{where} is empty: give a file with text in it")
    paragraphs = split_paragraphs(text)
    first = text[paragraphs[0][0] : paragraphs[0][1]]
    title = heading_text(first) if len(paragraphs) > 1 else None
    return Article(article_id=make_article_id(article_id), text=text, title=title, source=source)


def load_article(path: str | Path, article_id: str | None = None) -> Article:
    """Read an article file.

    Args:
        path: A UTF-8 ``.txt`` or ``.md`` file of at most
            :data:`MAX_FILE_BYTES` bytes.
        article_id: Id to store it under; by default the file name without
            its suffix, so re-ingesting the same file replaces it.

    Returns:
        The article; see :class:`ingest.types.Article` for how its text is cleaned.

    Raises:
        IngestError: If the file is missing or a directory, not
            ``.txt``/``.md``, too large, not valid UTF-8 (the message gives the
            byte offset), binary (NUL bytes), or empty.
    """
    path = Path(path)
    if path.is_dir():
        raise IngestError(f"{path} is a directory: give the article files in it")
    if not path.is_file():
        raise IngestError(f"no such file: {path}")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"unsupported file type {path.suffix or '(none)'!r} for {path}: "
            f"give a UTF-8 {' or '.join(SUPPORTED_SUFFIXES)} file"
        )
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise IngestError(
            f"{path} is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for one article: split it"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{path} is not valid UTF-8 (byte offset {exc.start}): save it as UTF-8 and try again"
        ) from None
    if "\x00" in text:
        raise IngestError(
            f"{path} holds binary data (a NUL byte at character {text.index(chr(0))}): give a text file"
        )
    return article_from_text(text, article_id or path.stem, source=str(path))
