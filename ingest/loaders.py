"""Load an article from a ``.txt``/``.md``/``.html`` file, an HTML string or a URL.

HTML goes through trafilatura (Barbaresi 2021, "Trafilatura: A Web Scraping
Library and Command-Line Tool for Text Discovery and Extraction"), which keeps
the main text and drops navigation, scripts, link lists and other
boilerplate; its title, date and site name become article metadata. All
text then goes through :func:`ingest.cleaning.clean_article_text`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ingest.cleaning import clean_article_text
from ingest.errors import IngestError
from ingest.language import detect_language
from ingest.normalize import replace_surrogates, spelt_length
from ingest.splitting import DEFAULT_MIN_WORDS, heading_text, split_paragraphs
from ingest.types import Article

if TYPE_CHECKING:
    from lxml import etree

#: File suffixes :func:`load_article` accepts.
TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES
#: Largest article file accepted, in bytes (a long news page with its markup is ~1 MB).
MAX_FILE_BYTES = 10_000_000
#: Longest article text accepted after cleaning, in characters: about 2,000
#: passages, which embed in 3-8 minutes on 2 CPU cores (passages, then their
#: sentences; the README's *Measured* table). Longer texts are refused before
#: any embedding: split them into several articles.
MAX_ARTICLE_CHARS = 1_000_000
#: Seconds to wait for a URL.
FETCH_TIMEOUT_S = 20

_ID_UNSAFE = re.compile(r"[^\w.-]+")


def sample_article_path() -> Path:
    """Path of the sample article shipped inside the package.

    The sample is an Arabic news article (Asharq, a Putin–Xi video summit),
    ``000_f0911db09156c083.txt``; it is installed with the package, so a
    non-editable install can run it.
    """
    return Path(str(resources.files("ingest") / "data" / "000_f0911db09156c083.txt"))


def make_article_id(name: str) -> str:
    """Turn a file stem or URL into an article id: word characters, ``.``, ``_`` and ``-``, at most 120.

    Raises:
        IngestError: If nothing usable is left.
    """
    article_id = _ID_UNSAFE.sub("-", name).strip("-.")[:120].strip("-.")
    if not article_id:
        raise IngestError(
            f"cannot make an article id from {name!r}: rename the file or give an id", setting="article_id"
        )
    return article_id


def is_url(source: str | Path) -> bool:
    """True for an ``http://`` or ``https://`` address."""
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def article_from_text(
    text: str,
    article_id: str,
    source: str | None = None,
    *,
    title: str | None = None,
    published: str | None = None,
    site: str | None = None,
) -> Article:
    """Build a cleaned :class:`Article` from text already in memory.

    The text loses a byte-order mark, gets ``\\n`` line endings and NFC form,
    then :func:`ingest.cleaning.clean_article_text` removes repeated lines, the
    dateline and a trailing "read also" block. Without a given ``title`` the
    first paragraph becomes the title when it reads as a heading.

    Raises:
        IngestError: If the text is empty, binary (NUL bytes), empty after
            cleaning, or over :data:`MAX_ARTICLE_CHARS` characters (counted in
            NFKC, as the embedding model reads them).
    """
    where = f" ({source})" if source else ""
    if "\x00" in text:
        raise IngestError(f"the article{where} holds binary data (a NUL byte): give a text file", path=source or None)
    text = replace_surrogates(text)  # broken input UTF-8 cannot store; shown as U+FFFD
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise IngestError(f"the article{where} is empty: give a file with text in it", path=source or None)
    cleaned = clean_article_text(text)
    if not cleaned.text.strip():
        raise IngestError(
            f"the article{where} has no text left after cleaning (only boilerplate?)", path=source or None
        )
    text = cleaned.text
    # Counted as the embedding model reads it: a compatibility character such as U+FDFA is 18 in NFKC.
    size = max(len(text), spelt_length(text))
    if size > MAX_ARTICLE_CHARS:
        spelt = "" if size == len(text) else ", its compatibility characters (such as ﷺ) spelt out,"
        raise IngestError(
            f"the article{where} has {size:,} characters of text{spelt} over the {MAX_ARTICLE_CHARS:,} one article may "
            f"have (about 2,000 passages, minutes to embed): split it into several files",
            path=source or None,
        )
    if title is None:
        paragraphs = split_paragraphs(text)
        first = text[paragraphs[0][0] : paragraphs[0][1]]
        title = heading_text(first) if len(paragraphs) > 1 else None
    return Article(
        article_id=make_article_id(article_id),
        text=text,
        title=title,
        source=source,
        language=detect_language(text),
        published=published,
        site=site,
        dateline=cleaned.dateline,
    )


def article_from_html(html: str, article_id: str, source: str | None = None) -> Article:
    """Extract the main text of an HTML page with trafilatura and build an :class:`Article`.

    Headings become Markdown ``#`` lines (sections of the passages under
    them), paragraphs, list items and quotes become paragraphs; the page's
    title, date and site name become metadata.

    Raises:
        IngestError: If trafilatura finds no main text in the page.
    """
    import trafilatura
    from lxml import etree

    where = source or "the HTML"
    xml = trafilatura.extract(
        html,
        output_format="xml",
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
    )
    if not xml:
        raise IngestError(f"found no article text in {where}: is it a news article page?", path=source or None)
    doc = etree.fromstring(xml.encode("utf-8"))
    title = (doc.get("title") or "").strip() or None
    blocks = [f"# {title}"] if title else []
    main = doc.find("main")
    if main is not None and main.text and main.text.strip():
        blocks.append(_squash(main.text))
    for element in main if main is not None else []:
        content = _element_text(element)
        if element.tag == "head":
            if content and content != title:
                blocks.append("## " + content.replace("\n", " "))
        elif element.tag == "list":
            blocks.append("\n".join(_element_text(item) for item in element.iterfind("item")))
        elif content:
            blocks.append(content)
        if element.tail and element.tail.strip():  # text between blocks, e.g. a lead outside any <p>
            blocks.append(_squash(element.tail))
    body = blocks[1:] if title else blocks
    if sum(len(b.split()) for b in body) < DEFAULT_MIN_WORDS:  # e.g. only a "Home" link
        raise IngestError(f"found no article text in {where}: is it a news article page?", path=source or None)
    return article_from_text(
        "\n\n".join(blocks),
        article_id,
        source,
        title=title,
        published=doc.get("date") or None,
        site=doc.get("sitename") or None,
    )


def _squash(text: str) -> str:
    """Collapse runs of spaces and tabs, keep line breaks, trim each line."""
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


def _element_text(element: etree._Element) -> str:
    """Text of a trafilatura XML element, ``<lb/>`` (an HTML ``<br>``) as a line break."""
    parts = [element.text or ""]
    for child in element:
        parts.append("\n" if child.tag == "lb" else _element_text(child))
        parts.append(child.tail or "")
    return _squash("".join(parts))


def _read(path: Path) -> str:
    if path.is_dir():
        raise IngestError(f"{path} is a directory: give the article files in it", path=path)
    if not path.exists():
        raise IngestError(f"no such file: {path}", path=path)
    if not path.is_file():
        raise IngestError(f"{path} is not a regular file (a pipe or a device?): give an article file", path=path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"unsupported file type {path.suffix or '(none)'!r} for {path}: "
            f"give a UTF-8 {', '.join(SUPPORTED_SUFFIXES)} file",
            path=path,
        )
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise IngestError(
            f"{path} is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for one article: split it", path=path
        )
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{path} is not valid UTF-8 (byte offset {exc.start}): save it as UTF-8 and try again", path=path
        ) from None


def _fetch(url: str) -> str:
    import trafilatura
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "DOWNLOAD_TIMEOUT", str(FETCH_TIMEOUT_S))
    try:
        html = trafilatura.fetch_url(url, config=config)
    except Exception:  # trafilatura and urllib3 refuse some malformed URLs by raising
        html = None
    if not html:
        raise IngestError(
            f"could not fetch {url} (no network, the site refused, or a private address, which trafilatura "
            "never fetches): save the page as .html and ingest the file"
        )
    return html


def expand_sources(sources: Iterable[str | Path]) -> list[str | Path]:
    """The articles to load from files, directories and URLs, each once.

    A directory gives every file of a supported suffix in it, recursively and
    sorted, skipping hidden files and folders (``.git``); files are
    deduplicated by absolute path.

    Raises:
        IngestError: If a directory holds no supported file.
    """
    out: dict[str, str | Path] = {}
    for source in sources:
        if is_url(source):
            out[str(source)] = source
            continue
        path = Path(source)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)  # .git, .cache...
            )
            if not files:
                raise IngestError(f"{path} holds no {', '.join(SUPPORTED_SUFFIXES)} file", path=path)
            out.update((str(f.resolve()), f) for f in files)
        else:
            out[str(path.resolve())] = path
    return list(out.values())


def load_article(source: str | Path, article_id: str | None = None) -> Article:
    """Load an article from a file or a URL.

    Args:
        source: A UTF-8 ``.txt``/``.md``/``.html`` file of at most
            :data:`MAX_FILE_BYTES` bytes, or an ``http(s)://`` URL.
        article_id: Id to store it under (letters, digits, ``.``, ``_``,
            ``-``); by default the file name without its suffix (the folder's
            name for ``index.html``), or the URL's host and path, so
            re-ingesting the same source replaces it. Sources are recorded as
            absolute paths.

    Returns:
        The cleaned article; see :class:`ingest.types.Article`.

    Raises:
        IngestError: If the file is missing or a directory, of another type,
            too large, not valid UTF-8 (the message gives the byte offset),
            binary (NUL bytes), empty, or without text after cleaning; or the
            URL cannot be fetched.
    """
    if article_id is not None and make_article_id(article_id) != article_id:
        raise IngestError(
            f"article id {article_id!r} may hold only letters, digits, '.', '_' and '-': "
            f"try {make_article_id(article_id)!r}"
        )
    if is_url(source):
        try:
            parts = urlsplit(str(source))
            parts.port  # noqa: B018 - raises on a port out of range
            if not parts.hostname:
                raise ValueError("no host")
        except ValueError as exc:
            raise IngestError(f"{source} is not a valid URL ({exc}): check how it is written") from None
        default_id = f"{parts.netloc}{parts.path}".rstrip("/")
        return article_from_html(_fetch(str(source)), article_id or default_id, str(source))
    path = Path(source).resolve()  # one file, one source, however it is spelled
    text = _read(path)
    # A file name that is not UTF-8 reaches Python with surrogates (surrogateescape); recorded with U+FFFD.
    shown = replace_surrogates(str(path))
    # "index.html" names nothing: a page saved as news/story/index.html is "story".
    stem = path.parent.name if path.stem.lower() == "index" and path.parent.name else path.stem
    if path.suffix.lower() in HTML_SUFFIXES:
        return article_from_html(text, article_id or stem, shown)
    return article_from_text(text, article_id or stem, shown)
