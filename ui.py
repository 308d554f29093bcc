"""The chat window (Gradio): ask about the stored articles, see the cited passages.

``build_app(assistant)`` returns the Blocks without launching; ``launch``
serves it (127.0.0.1 by default); ``main`` is ``article-qa ui``.

Every message is shown in its own direction: a small script marks each chat
message ``dir="rtl"`` when its first line has at least as many Arabic words as Latin ones
(the rule of :func:`ingest.language.detect_language`), else ``dir="ltr"``;
within a message each paragraph still takes the direction of its own text
(``unicode-bidi: plaintext``), so an English answer quoting Arabic reads right.
Article text is untrusted: the sources panel HTML-escapes it, and chat messages
are escaped for Markdown (:func:`as_plain_text`), so nothing in an article is
rendered, run or fetched.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import Answer, Assistant, Draft
from assistant.answer import ANSWER_LEAD, SHORT_ANSWER_LEAD, short_answer_line
from assistant.conversation import message_text
from assistant.errors import USER_ERRORS, AssistantError, StoreError, user_message
from ingest.language import ARABIC_LETTER_PATTERN, LATIN_LETTER_PATTERN, detect_language
from ingest.loaders import MAX_FILE_BYTES
from ingest.normalize import remove_invisible, replace_surrogates

log = logging.getLogger("ui")

EXAMPLES = [
    "ما حجم التبادل التجاري بين البلدين في الأرباع الثلاثة الأولى؟",
    "When did Putin and Xi last meet in person?",
    "كم جندياً شارك في التدريبات العسكرية المشتركة؟",
    "What did the G7 foreign ministers demand from Russia?",
]

CSS = """
#chat .message-content p, #chat .message-content div, #sources p { unicode-bidi: plaintext; text-align: start; }
#sources .source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 12px; margin-bottom: 8px; }
#sources .source-head { font-size: 0.85em; opacity: 0.8; unicode-bidi: plaintext; }
#sources mark { background: #ffe58a; color: inherit; padding: 0 2px; border-radius: 3px; }
#sources mark.short-answer, #article-view mark.short-answer { background: #f59e0b; color: #111; font-weight: 700; padding: 0 2px; }
#article-view .article-scroll { max-height: 420px; overflow-y: auto; border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 12px; }
#article-view p { unicode-bidi: plaintext; text-align: start; }
#article-view .article + .article { border-top: 2px solid var(--border-color-primary); margin-top: 12px; padding-top: 8px; }
#article-view mark { background: #ffe58a; color: inherit; border-radius: 3px; }
#article-view mark.active, #sources .source.active { outline: 2px solid #d97706; }
#sources .checks { font-size: 0.85em; border-inline-start: 3px solid #d97706; padding-inline-start: 8px; margin-bottom: 8px; }
#chat .cite-link { cursor: pointer; color: #1d4ed8 !important; text-decoration: underline; border-radius: 3px; }
#chat .cite-link:focus-visible, #article-view .article-scroll:focus-visible, #sources .source:focus-visible {
  outline: 3px solid #b45309; outline-offset: 2px; }
#sources .turn[hidden], #article-view .turn[hidden] { display: none !important; }
.gradio-container { --body-text-color-subdued: #52525b; --block-info-text-color: #52525b; }
.gradio-container .info-text { color: #52525b !important; opacity: 1 !important; }
#chat .message-content .prose { opacity: 1 !important; }
"""

# Sets dir on every chat message as it appears, from its first line (an answer's
# first line is its framing text, in the question's language): rtl when Arabic
# words (letter runs) are at least as many as Latin ones: the rule and letter classes of
# ingest.language.detect_language.
JS = r"""
() => {
  const AR = /ARABIC_LETTER+/g, LA = /LATIN_LETTER+/g;
  // Every answer's markers [n] become links (Tab reaches them, Enter follows them) to that answer's
  // sources and article view; the panels hold every answer's, the latest shown (data-turn: the answer's
  // place among the chat's replies).
  const NAME = {rtl: 'المصدر', ltr: 'source'};
  const linkCitations = () => {
    document.querySelectorAll('#chat .bot-row .message-content').forEach((row, turn) => {
      const walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
      const nodes = [];
      while (walker.nextNode()) {
        const n = walker.currentNode;
        if (/\[\d+\]/.test(n.nodeValue) && !n.parentElement.closest('.cite-link')) nodes.push(n);
      }
      nodes.forEach((node) => {
        const frag = document.createDocumentFragment();
        node.nodeValue.split(/(\[\d+\])/).forEach((part) => {
          const m = part.match(/^\[(\d+)\]$/);
          if (!m) { frag.appendChild(document.createTextNode(part)); return; }
          const a = document.createElement('a');
          a.className = 'cite-link'; a.href = `#source-${turn}-${m[1]}`;
          a.dataset.turn = String(turn); a.dataset.n = m[1]; a.textContent = part;
          frag.appendChild(a);
        });
        node.parentNode.replaceChild(frag, node);
      });
      row.querySelectorAll('.cite-link').forEach((a) => {
        if (a.dataset.turn !== String(turn)) { a.dataset.turn = String(turn); a.href = `#source-${turn}-${a.dataset.n}`; }
        const quote = document.querySelector(`#sources #source-${turn}-${a.dataset.n} mark`);
        const dir = (row.getAttribute('dir') || 'ltr') === 'rtl' ? 'rtl' : 'ltr';
        const name = `${NAME[dir]} ${a.dataset.n}` + (quote ? `: ${quote.textContent.trim().slice(0, 80)}` : '');
        if (a.getAttribute('aria-label') !== name) a.setAttribute('aria-label', name);
      });
    });
  };
  const showCitation = (turn, n) => {
    document.querySelectorAll('#sources .turn, #article-view .turn').forEach((s) => { s.hidden = s.dataset.turn !== turn; });
    document.querySelectorAll('#article-view mark.active, #sources .source.active').forEach((e) => e.classList.remove('active'));
    ['#article-view #cite-', '#sources #source-'].forEach((prefix) => {
      const target = document.querySelector(`${prefix}${turn}-${n}`);
      if (target) { target.classList.add('active'); target.scrollIntoView({block: 'center'}); }
    });
  };
  // Capture: before Gradio's own handling of links in messages. Enter on a focused link is a click too.
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('#chat .cite-link');
    if (!link) return;
    event.preventDefault();
    showCitation(link.dataset.turn, link.dataset.n);
  }, true);
  const mark = () => {
    linkCitations();
    document.querySelectorAll('#chat .message-content').forEach((el) => {
      const t = (el.innerText || '').trim().split('\n')[0];
      // An isolated span (an answer's short answer, in the article's script) does not decide.
      const shown = t.replace(/\u2068[^\u2069]*\u2069/g, ' ');
      const ar = (shown.match(AR) || []).length, la = (shown.match(LA) || []).length;
      const dir = ar && ar >= la ? 'rtl' : 'ltr';
      if (el.getAttribute('dir') !== dir) el.setAttribute('dir', dir);
    });
    // The panels are landmarks, after the chat in reading order (the page's DOM order, in RTL and LTR alike).
    [['#sources', 'Sources · المصادر'], ['#article-view', 'Article · المقال']].forEach(([id, name]) => {
      const panel = document.querySelector(id);
      if (panel && panel.getAttribute('role') !== 'region') { panel.setAttribute('role', 'region'); panel.setAttribute('aria-label', name); }
    });
    // The question box follows what is typed in it.
    document.querySelectorAll('#question textarea').forEach((t) => {
      if (t.getAttribute('dir') !== 'auto') t.setAttribute('dir', 'auto');
    });
  };
  // Attributes too: Gradio may set dir="ltr" on the question box after it is built.
  new MutationObserver(mark).observe(document.body, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['dir'],
  });
  mark();
}
""".replace("ARABIC_LETTER", ARABIC_LETTER_PATTERN).replace("LATIN_LETTER", LATIN_LETTER_PATTERN)

#: What the chat says when answering fails for a reason the user cannot act on (the log has the details).
UNEXPECTED_ERROR = {
    "ar": "تعذّرت الإجابة عن هذا السؤال بسبب خطأ في الخادم، وتفاصيله في سجلّه. جرّب سؤالاً آخر أو أعد المحاولة لاحقاً.",
    "en": "This question could not be answered: the server hit an error (its log has the details). Try another question, or try again later.",
}

#: What the chat says when the store is busy for now (another process writing, a server not answering).
STORE_BUSY = {
    "ar": "المخزن مشغول الآن (تكتب فيه عملية أخرى أو لا يجيب خادمه). أعد طرح السؤال بعد لحظات؛ لم يُفقد شيء مما خُزّن.",
    "en": "The store is busy right now (another process is writing to it, or its server does not answer). Ask again in a moment; nothing stored was lost.",
}

#: What the chat says when the store cannot be used at all (gone, or of another model): the window's operator
#: can act on it, the person asking cannot; the details go to the log.
STORE_FAILED = {
    "ar": "تعذّر الوصول إلى مخزن المقالات، وتفاصيل ذلك في سجلّ الخادم. أعد المحاولة لاحقاً؛ إن تكرّر ذلك فأبلغ مشغّل هذه النافذة.",
    "en": "The article store cannot be used right now (the server's log says why). Try again later; if it keeps happening, tell whoever runs this window.",
}

#: The same when adding an article fails so (nothing already stored is lost).
ADD_FAILED = {
    "ar": "تعذّرت إضافة المقال بسبب خطأ في الخادم، وتفاصيله في سجلّه. لم يُفقد شيء مما خُزّن.",
    "en": "The article could not be added: the server hit an error (its log has the details). Nothing stored was lost.",
}

#: What the window says when a thumbs up or down was kept, and when it could not be (the log says why).
FEEDBACK_KEPT = {"ar": "شكراً، حُفظ تقييمك لهذا الجواب.", "en": "Thank you: your verdict on this answer was kept."}
FEEDBACK_FAILED = {
    "ar": "تعذّر حفظ تقييمك، وتفاصيل ذلك في سجلّ الخادم.",
    "en": "Your verdict could not be kept (the server's log says why).",
}

SOURCES_PENDING = "<p class='no-sources'>…</p>"
NO_ARTICLE = "<p class='no-sources'>The cited article appears here, its quoted sentences highlighted; click a marker [n] to go to one. · يظهر هنا المقال مع تظليل الجمل المقتبسة.</p>"
NO_SOURCES = (
    "<p class='no-sources'>The passages each answer cites appear here. · تظهر هنا المقاطع التي يستشهد بها كل جواب.</p>"
)


_MARKDOWN_PUNCTUATION = re.compile(r"""([!"#$%'()*+,\-./:;=?@\[\\\]^_`{|}~])""")
_MARKDOWN_ESCAPE = re.compile(r"""\\([!"#$%'()*+,\-./:;=?@\[\\\]^_`{|}~])""")


def as_plain_text(text: str) -> str:
    """Escape ``text`` so the chat's Markdown renderer shows it as typed.

    Every ASCII punctuation character is backslash-escaped (CommonMark allows
    it for all of them) and ``&``, ``<``, ``>`` become HTML entities, so tags,
    links, images and math in an article are displayed, never rendered or fetched.
    """
    return html.escape(_MARKDOWN_PUNCTUATION.sub(r"\\\1", text), quote=False)


def checks_html(answer: Answer) -> str:
    """What the checks did to a generated answer (``notes``, dropped sentences), escaped; ``""`` if nothing."""
    items = [html.escape(n) for n in answer.notes]
    items += ["unsupported, dropped: <bdi>" + html.escape(s) + "</bdi>" for s in answer.unsupported_sentences]
    if not items:
        return ""
    return "<div class='checks' dir='ltr'>" + "".join(f"<div>{x}</div>" for x in items) + "</div>"


def sources_html(answer: Answer, turn: int = 0) -> str:
    """The sources of one answer: what the checks did, then each cited passage, its quote highlighted.

    Args:
        answer: The answer.
        turn: Its place among the chat's replies (0-based): each source is ``id="source-{turn}-{n}"``.

    All article text is HTML-escaped; the quote is wrapped in ``<mark>``, and the short answer inside it
    in ``<mark class="short-answer">``.
    """
    checks = checks_html(answer)
    short = answer.short_answer
    if not answer.citations:
        return checks + "<p class='no-sources' dir='auto'>" + html.escape(answer.text) + "</p>"
    parts = [checks] if checks else []
    for c in answer.citations:
        at = c.passage_text.find(c.quote)
        if at >= 0:
            inner = (
                marked_span(c.quote, short.char_start - c.char_start, short.char_end - c.char_start)
                if short is not None and short.citation == c.n
                else html.escape(c.quote)
            )
            body = (
                html.escape(c.passage_text[:at])
                + "<mark>"
                + inner
                + "</mark>"
                + html.escape(c.passage_text[at + len(c.quote) :])
            )
        else:  # pragma: no cover - quotes are cut from their passage
            body = html.escape(c.passage_text)
        # Each field isolated, so an id such as 000_f09… keeps its order in an RTL line.
        head = " · ".join(
            f"<bdi>{html.escape(x)}</bdi>"
            for x in (f"[{c.n}]", c.section or "", c.article_id, f"score {c.score:.3f}")
            if x
        )
        parts.append(
            f"<div class='source' id='source-{turn}-{c.n}' data-passage-id='{html.escape(c.passage_id, quote=True)}'>"
            f"<div class='source-head' dir='auto'>{head}</div><p dir='auto'>{body}</p></div>"
        )
    return "\n".join(parts)


def marked_span(text: str, start: int, end: int) -> str:
    """``text`` HTML-escaped, its characters ``start:end`` (the short answer) in ``<mark class="short-answer">``;
    ``text`` escaped alone when the span is not inside it."""
    if not 0 <= start < end <= len(text):
        return html.escape(text)
    return (
        html.escape(text[:start])
        + f"<mark class='short-answer' title='{SHORT_ANSWER_TITLE}'>{html.escape(text[start:end])}</mark>"
        + html.escape(text[end:])
    )


#: Tooltip (and accessible description) of the marked short answer.
SHORT_ANSWER_TITLE = "short answer · الجواب المختصر"


def article_html(answer: dict[str, Any], article_text: Any, turn: int = 0) -> str:
    """The article view of one answer: each cited article whole, its cited sentences marked
    ``<mark id="cite-{turn}-{n}">``, in a scrolling region that the keyboard can focus and scroll.

    Args:
        answer: ``Answer.to_dict()`` (``{}`` or ``{"error": ...}`` show nothing).
        article_text: ``article_id -> str | None``, e.g. :meth:`Assistant.article_text`.
        turn: The answer's place among the chat's replies (0-based).

    All text is HTML-escaped; paragraphs become ``<p dir="auto">``; the short answer is marked inside its
    sentence (:func:`marked_span`).
    """
    citations = (answer or {}).get("citations") or []
    short = (answer or {}).get("short_answer") or {}
    if not citations:
        return NO_ARTICLE
    blocks = []
    for article_id in dict.fromkeys(c["article_id"] for c in citations):
        text = article_text(article_id)
        if text is None:
            continue
        spans = sorted((c["char_start"], c["char_end"], c["n"]) for c in citations if c["article_id"] == article_id)
        out, at = [], 0
        for start, end, n in spans:
            if start < at:  # overlapping quotes: the first one is marked
                continue
            out.append(html.escape(text[at:start]))
            inner = (
                marked_span(text[start:end], short["char_start"] - start, short["char_end"] - start)
                if short.get("citation") == n
                else html.escape(text[start:end])
            )
            out.append(f"<mark id='cite-{turn}-{n}'>{inner}</mark>")
            at = end
        out.append(html.escape(text[at:]))
        body = "".join(out)
        paragraphs = "".join(f"<p dir='auto'>{p}</p>" for p in body.split("\n\n") if p.strip())
        blocks.append(
            f"<div class='article' data-article-id='{html.escape(article_id, quote=True)}'>{paragraphs}</div>"
        )
    if not blocks:
        return NO_ARTICLE
    return (
        "<div class='article-scroll' tabindex='0' role='region' aria-label='Cited article · المقال المستشهد به'>"
        f"{''.join(blocks)}</div>"
    )


def _turns_html(parts: Sequence[str]) -> str:
    """Each reply's panel in a ``<section class="turn" data-turn="j">``, all but the latest hidden."""
    last = len(parts) - 1
    return "".join(
        f"<section class='turn' data-turn='{j}'{'' if j == last else ' hidden'}>{part}</section>"
        for j, part in enumerate(parts)
    )


def sources_panel(answers: Sequence[Answer | None]) -> str:
    """The sources panel: every reply's sources (:func:`sources_html`; :data:`NO_SOURCES` for a reply that is
    not an answer), the latest shown; a citation link of an older answer shows that answer's (the page's script).
    """
    if not answers:
        return NO_SOURCES
    return _turns_html([sources_html(a, j) if a is not None else NO_SOURCES for j, a in enumerate(answers)])


def article_panel(answers: Sequence[Answer | None], article_text: Any) -> str:
    """The article view: every reply's (:func:`article_html`), the latest shown."""
    if not answers:
        return NO_ARTICLE
    texts: dict[str, Any] = {}

    def text_of(article_id: str) -> Any:  # each article read once for all the replies
        if article_id not in texts:
            texts[article_id] = article_text(article_id)
        return texts[article_id]

    return _turns_html(
        [article_html(a.to_dict(), text_of, j) if a is not None else NO_ARTICLE for j, a in enumerate(answers)]
    )


def from_plain_text(text: str) -> str:
    """Undo :func:`as_plain_text`: the text as typed, for reading earlier turns back."""
    return _MARKDOWN_ESCAPE.sub(r"\1", html.unescape(text))


_UNESCAPED_BOLD = re.compile(r"(?<!\\)\*\*")  # the short answer's bold (the text's own stars are escaped)


def _turns(history: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """Chat history as the assistant reads it: roles and unescaped texts."""
    return [
        {"role": str(m.get("role")), "content": _as_typed(message_text(m.get("content")), m.get("role"))}
        for m in history
    ]


def _as_typed(content: str, role: Any = "assistant") -> str:
    """A chat message as its author wrote it; an answer without the short answer's bold and isolates, and
    without the short-answer line given before a generated answer (:func:`reply_markdown`)."""
    if role != "assistant":
        return from_plain_text(content)
    text = from_plain_text(_UNESCAPED_BOLD.sub("", content)).replace("\u2068", "").replace("\u2069", "")
    first, _, rest = text.partition("\n\n")
    if rest and first.startswith(tuple(SHORT_ANSWER_LEAD.values())):
        return rest
    return text


def _mode(value: str | None) -> Any:
    """The answer mode sent by the window or a program; anything else means the assistant's default."""
    return value if value in ("extractive", "generative") else None


def _top_k(value: Any) -> int | None:
    """The number of passages a program sent (the slider sends a float); ``None``: the assistant's default.

    Raises:
        AssistantError: If it is not a whole number (``NaN``, ``2.5``, text).
    """
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise AssistantError(f"top_k is {value!r}: give a whole number of passages, between 1 and 50")


def _message(role: str, text: str) -> dict[str, str]:
    return {"role": role, "content": as_plain_text(text)}


_QUOTED_TITLE = re.compile(r"^(.*?[«“])([^»”\n]+)([»”].*:)$", re.MULTILINE)


def _isolated_titles(answer: Answer) -> str:
    """A summary's text with each block's quoted title isolated (U+2068 … U+2069): an Arabic title in an
    English lead ("Summary of “…”:") neither turns the line right-to-left nor reorders it."""
    return _QUOTED_TITLE.sub("\\1\u2068\\2\u2069\\3", answer.text)


def reply_markdown(answer: Answer) -> str:
    """The chat message of an answer: its text as typed (:func:`as_plain_text`), the short answer in bold.

    The short answer is isolated (U+2068 … U+2069), so that an Arabic span in an English line keeps its
    marker after it, and the script that sets each message's direction leaves it out. An extractive
    answer gives it on its first line (after the lead, or after the fallback notice); a generated one
    gets it on a first line of its own, framed in the question's language
    (:func:`assistant.answer.short_answer_line`).
    """
    short = answer.short_answer
    if short is None:
        return as_plain_text(_isolated_titles(answer) if answer.summary else answer.text)

    def bold(text: str) -> str:  # isolates inside the stars: "**" must touch the text to open ("**45%**")
        return f"**\u2068{as_plain_text(text)}\u2069**"

    head = f"{ANSWER_LEAD[answer.language]} {short.text} [{short.citation}]"
    at = answer.text.find(head)
    if at >= 0:
        cut = at + len(ANSWER_LEAD[answer.language]) + 1
        rest = answer.text[cut + len(short.text) :]
        return f"{as_plain_text(answer.text[:cut])}{bold(short.text)}{as_plain_text(rest)}"
    line = short_answer_line(answer)
    lead = line[: -len(f"{short.text} [{short.citation}]")] if line else ""
    return f"{as_plain_text(lead)}{bold(short.text)} \\[{short.citation}\\]\n\n{as_plain_text(answer.text)}"


def article_choices(assistant: Assistant) -> list[tuple[str, str]]:
    """``(label, article_id)`` of each stored article for the article picker; the label is the title and id."""
    choices = []
    for a in assistant.list_articles():
        title = a.get("title")
        choices.append((f"{title} ({a['article_id']})" if title else a["article_id"], a["article_id"]))
    return choices


#: How to fix a user error in the window, by the setting it names (``exc.setting``); settings of the
#: server (its store, model, chat model) are not the reader's to change.
FIXES = {
    "article_id": "In the window: rename the file to add it beside the other one. · أعد تسمية الملف لإضافته بجانب الآخر.",
    "article_ids": "Choose articles from the list. · اختر مقالات من القائمة.",
    "llm": "This window has no chat model: choose quoted answers. · لا نموذج محادثة هنا: اختر الإجابات المقتبسة.",
    "store": "The server's store cannot be used: tell whoever runs it. · مخزن الخادم غير صالح: أبلغ من يديره.",
}
for _setting in ("collection", "collection_name", "embedding_model", "embedding_model_name", "embedding_base_url",
                 "embedding_server_model", "chroma_host"):  # fmt: skip
    FIXES[_setting] = FIXES["store"]


def add_article(
    assistant: Assistant,
    path: str | None,
    text: str | None,
    progress: Any = None,
    *,
    title: str | None = None,
    article_id: str | None = None,
) -> str:
    """Ingest an uploaded file or pasted text; the outcome as a one-line Markdown message.

    Pasted text is stored under ``article_id`` and ``title`` when given (blank: ``pasted-<hash>``, no title).
    Errors the user can fix (unsupported or empty file, text without a
    passage, an unusable id) come back as ``⚠ ...`` messages naming the upload by its file
    name; nothing already stored is lost. With ``progress`` (a Gradio
    progress tracker), embedding shows its tqdm bars in the window.
    """
    if not path and not (text or "").strip():
        return "⚠ Choose a .txt, .md or .html file, or paste the article's text. · اختر ملفاً أو الصق نص المقال."
    show = progress is not None
    try:
        if path:
            reports = [assistant.ingest_upload(path, Path(path).name, progress=show)]
        else:
            reports = [
                assistant.ingest_text(
                    text or "", (article_id or "").strip() or None, title=(title or "").strip() or None, progress=show
                )
            ]
    except USER_ERRORS as exc:
        # File names only: the server's paths (its temporary uploads, files ingested from its disk) stay on it.
        return as_plain_text(f"⚠ {user_message(exc, FIXES, show_path=False)}")
    except Exception:  # a bug: the details go to the server's log; nothing stored is lost
        log.exception("adding an article failed")
        return as_plain_text(f"⚠ {ADD_FAILED['en']} · {ADD_FAILED['ar']}")
    lines = []
    for r in reports:
        title = f" — {remove_invisible(r.title)}" if r.title else ""
        lines.append(f"{r.article_id}{title}: {r.status}, {r.passages} passage{'' if r.passages == 1 else 's'}")
    return as_plain_text("\n".join(lines))


def export_files(answers: Sequence[Answer], directory: str | Path | None = None) -> list[str]:
    """Write a conversation as ``article-qa-chat.md`` and ``article-qa-chat.json``
    (:meth:`Assistant.export_conversation`) into ``directory`` (default: a new temporary one); their paths."""
    import tempfile

    folder = Path(directory or tempfile.mkdtemp(prefix="article-qa-export-"))
    paths = []
    for suffix, document in (("md", Assistant.export_conversation(answers, "markdown")),
                             ("json", Assistant.export_conversation(answers, "json"))):  # fmt: skip
        path = folder / f"article-qa-chat.{suffix}"
        path.write_text(document, encoding="utf-8")
        paths.append(str(path))
    return paths


def build_app(assistant: Assistant) -> gr.Blocks:
    """Build the chat window over ``assistant``; nothing is launched.

    The chat event is exposed to programs as API endpoint ``/chat``:
    ``(message, history, article_ids=[], top_k=<assistant's>, mode=<default>)`` in,
    ``(history, sources_html, answer_dict, "")`` out; ``article_ids`` limits
    the question to those stored articles (all when empty), ``top_k`` is the
    number of best passages quoted from, ``mode`` is ``"extractive"`` or
    ``"generative"`` (with a chat model configured). The window gets a
    generated answer as it is written, then the checked answer, then its
    sources; a program gets the final update. ``history`` is ``[]`` for a
    new chat, then the history the previous call returned (Gradio 6 messages). ``answer_dict`` is ``Answer.to_dict()``;
    ``{"error": message}`` when the assistant refuses the question (the
    message also goes into the chat); ``{}`` for an empty message.
    """

    def chat(
        message: str,
        history: Sequence[dict[str, Any]] | None,
        article_ids: Sequence[str] | None = None,
        top_k: int | None = None,
        mode: str | None = None,
        answers: Sequence[Answer | None] | None = None,
    ) -> Iterator[tuple[list[dict[str, Any]], str, dict, str, list[Answer | None]]]:
        earlier = list(history or [])  # Gradio has validated it as chat messages
        # One entry per reply in the history (None: not an answer); a program's call starts with none.
        replies = sum(m.get("role") == "assistant" for m in earlier)
        kept: list[Answer | None] = [*list(answers or [])[:replies], *[None] * max(0, replies - len(answers or []))]
        if not (message or "").strip():
            yield earlier, sources_panel(kept), {}, "", kept
            return
        shown = replace_surrogates(remove_invisible(message)).strip()  # as the chat can show it
        try:
            events = assistant.stream(
                message,
                _turns(earlier),
                article_ids=article_ids,  # none chosen ([] or None): all, as in the API (the assistant checks the type)
                top_k=_top_k(top_k),
                mode=_mode(mode),
            )
            for event in events:
                if isinstance(event, Draft):  # the chat model writing; checked when it is done
                    draft = [*earlier, _message("user", shown), _message("assistant", event.text or "…")]
                    yield draft, SOURCES_PENDING, {}, "", kept
                else:
                    answer = event
        except USER_ERRORS as exc:  # said in the chat, where the user is looking
            if getattr(exc, "busy", False):  # the details (which process, Chroma's words) go to the log
                log.warning("answering %r: %s", message, exc)
                said = STORE_BUSY[detect_language(message)]
            elif isinstance(exc, StoreError):  # a store gone or unusable: the operator's to fix, from the log
                log.error("answering %r: %s", message, exc)
                said = STORE_FAILED[detect_language(message)]
            else:
                said = user_message(exc, FIXES, show_path=False)
            yield (
                [*earlier, _message("user", shown), _message("assistant", f"⚠ {said}")],
                sources_panel([*kept, None]),
                {"error": said},
                "",
                [*kept, None],
            )
            return
        except Exception:  # a bug: the details go to the server's log, a plain sentence to the chat
            log.exception("answering %r failed", message)
            said = UNEXPECTED_ERROR[detect_language(message)]
            yield (
                [*earlier, _message("user", shown), _message("assistant", f"⚠ {said}")],
                sources_panel([*kept, None]),
                {"error": said},
                "",
                [*kept, None],
            )
            return
        # answer.question is the message without invisible controls (an RLO would reverse it on screen).
        reply = {"role": "assistant", "content": reply_markdown(answer)}
        history = [*earlier, _message("user", answer.question), reply]
        now = [*kept, answer]
        pending = SOURCES_PENDING if answer.citations else sources_panel(now)
        yield history, pending, answer.to_dict(), "", kept  # the answer first
        yield history, sources_panel(now), answer.to_dict(), "", now  # then its sources

    with gr.Blocks(title="article-qa", analytics_enabled=False) as app:
        gr.Markdown(
            "# article-qa · اسأل عن المقال\nAsk in Arabic or English; each answer cites the passages it quotes. "
            "Ask for a summary too: «لخص المقال», *What is this article about?*"
        )
        answers = gr.State([])  # one Answer (or None) per reply in the chat, for the panels, feedback and export
        with gr.Row():
            with gr.Column(scale=3):
                selected = gr.Dropdown(
                    choices=article_choices(assistant),
                    value=[],
                    multiselect=True,
                    allow_custom_value=True,  # ids stored since the page loaded (another process) are valid too
                    label="Ask about · اسأل عن",
                    info="All stored articles when none is chosen · كل المقالات إن لم تختر",
                    elem_id="articles",
                )
                chatbot = gr.Chatbot(
                    elem_id="chat", label="Chat", height=520, sanitize_html=True, buttons=["copy", "copy_all"],
                    feedback_options=("Like", "Dislike"),
                )  # fmt: skip
                question = gr.Textbox(
                    elem_id="question",
                    show_label=False,
                    placeholder="اكتب سؤالك… / Type your question…",
                    rtl=False,
                    lines=1,
                    submit_btn=True,
                )
                gr.Examples(EXAMPLES, inputs=question, label="Examples · أمثلة")
                with gr.Row():
                    clear = gr.Button("New chat · محادثة جديدة", variant="secondary")
                    export = gr.Button("Export chat · تصدير المحادثة", variant="secondary", elem_id="export")
                exported = gr.File(
                    label="Chat as Markdown and JSON · المحادثة بصيغتي Markdown وJSON", file_count="multiple",
                    visible=False, elem_id="exported", interactive=False,
                )  # fmt: skip
                with gr.Accordion("Add an article · أضف مقالاً", open=False):
                    upload = gr.File(
                        label=".txt / .md / .html", file_types=[".txt", ".md", ".html", ".htm"], type="filepath"
                    )
                    pasted = gr.Textbox(label="…or paste its text · أو الصق نصه", lines=5, elem_id="pasted", rtl=False)
                    with gr.Row():
                        pasted_title = gr.Textbox(
                            label="Title (optional) · العنوان (اختياري)", elem_id="pasted-title", max_lines=1
                        )
                        pasted_id = gr.Textbox(
                            label="Id (optional) · المعرّف (اختياري)", elem_id="pasted-id", max_lines=1,
                            placeholder="e.g. putin-xi-2021",
                        )  # fmt: skip
                    add = gr.Button("Add · أضف", variant="secondary")
                    added = gr.Markdown(elem_id="added")
            with gr.Column(scale=2):
                gr.Markdown("## Sources · المصادر")
                sources = gr.HTML(NO_SOURCES, elem_id="sources")
                gr.Markdown("## Article · المقال")
                article_view = gr.HTML(NO_ARTICLE, elem_id="article-view")
                with gr.Accordion("Settings · الإعدادات", open=False):
                    passages = gr.Slider(
                        1, 10, value=assistant.top_k, step=1, elem_id="top-k",
                        label="Passages to answer from · عدد المقاطع",
                    )  # fmt: skip
                    generative = assistant.generative is not None
                    mode = gr.Radio(
                        [("Quote the article · اقتباس", "extractive"), ("Write an answer · صياغة", "generative")],
                        value="generative" if generative else "extractive",
                        label="Answer mode · نوع الجواب",
                        info=(f"Written by {assistant.generative.name if assistant.generative else None}, every sentence checked against the passages it cites."
                              if generative else "Writing answers needs a chat model: article-qa ui --llm ... (see README)."),
                        interactive=generative,
                        elem_id="mode",
                    )  # fmt: skip
                with gr.Accordion("Answer as JSON", open=False):
                    answer_json = gr.JSON(label="answer")
        question.submit(
            chat,
            [question, chatbot, selected, passages, mode, answers],
            [chatbot, sources, answer_json, question, answers],
            api_name="chat",
        ).then(lambda a: article_panel(a, assistant.article_text), answers, article_view, api_visibility="private")

        def feedback(
            history: Sequence[dict[str, Any]], kept: Sequence[Answer | None], chosen: Any, data: gr.LikeData
        ) -> None:
            index = data.index if isinstance(data.index, int) else data.index[0]
            reply = sum(m.get("role") == "assistant" for m in list(history or [])[:index])
            answer = kept[reply] if 0 <= reply < len(kept or []) else None
            if answer is None or not isinstance(data.liked, bool):  # not an answer (an error), or a vote taken back
                return
            try:
                assistant.record_feedback(answer, data.liked, article_ids=list(chosen or []))
            except AssistantError:
                log.exception("keeping feedback failed")
                raise gr.Error(FEEDBACK_FAILED[answer.language]) from None
            gr.Info(FEEDBACK_KEPT[answer.language])

        chatbot.like(feedback, [chatbot, answers, selected], None, api_visibility="private")

        def export_chat(kept: Sequence[Answer | None]) -> Any:
            done = [a for a in kept or [] if a is not None]
            if not done:
                raise gr.Error("Nothing to export yet: ask a question first. · لا شيء للتصدير بعد: اطرح سؤالاً أولاً.")
            return gr.File(value=export_files(done), visible=True)

        export.click(export_chat, answers, exported, api_visibility="private")

        def add_clicked(
            path: str | None,
            text: str | None,
            title: str | None,
            article_id: str | None,
            progress: gr.Progress = gr.Progress(track_tqdm=True),
        ) -> tuple[str, Any, Any, Any, Any]:
            said = add_article(assistant, path, text, progress, title=title, article_id=article_id)
            if said.startswith("⚠"):  # keep what was given, to fix it
                return said, gr.File(), gr.Textbox(), gr.Textbox(), gr.Textbox()
            return said, None, "", "", ""

        def refresh_choices() -> Any:
            return gr.Dropdown(choices=article_choices(assistant))

        add.click(
            add_clicked,
            [upload, pasted, pasted_title, pasted_id],
            [added, upload, pasted, pasted_title, pasted_id],
            api_visibility="private",
        ).then(refresh_choices, None, selected, api_visibility="private")
        app.load(
            refresh_choices, None, selected, api_visibility="private"
        )  # articles ingested meanwhile from the command line
        selected.focus(refresh_choices, None, selected, api_visibility="private")  # and while the page is open
        clear.click(
            lambda: ([], NO_SOURCES, {}, "", NO_ARTICLE, [], gr.File(value=None, visible=False)),
            None,
            [chatbot, sources, answer_json, question, article_view, answers, exported],
            api_visibility="private",
        )
        chatbot.clear(  # the chat's own bin: the panels and the kept answers go too
            lambda: (NO_SOURCES, {}, NO_ARTICLE, [], gr.File(value=None, visible=False)),
            None,
            [sources, answer_json, article_view, answers, exported],
            api_visibility="private",
        )
    return app


#: Gradio routes that skip its own login check (gradio 6.31): cancelling and resetting an event.
#: With a login set, :class:`LoginRequired` refuses them without one.
UNGUARDED_ROUTES = ("/gradio_api/cancel", "/gradio_api/reset")


class LoginRequired:
    """ASGI middleware: with ``auth``, the :data:`UNGUARDED_ROUTES` answer 401 to a request without a login.

    A login is Gradio's own session cookie (``access-token-<cookie id>``,
    set by its login page), checked against the tokens of the running Gradio app.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/").endswith(UNGUARDED_ROUTES):
            server = scope.get("app")  # the Gradio app this middleware wraps
            if getattr(server, "auth", None) is not None and not self._logged_in(server, scope):
                from starlette.responses import JSONResponse

                await JSONResponse({"detail": "Not authenticated"}, status_code=401)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _logged_in(server: Any, scope: dict[str, Any]) -> bool:
        from starlette.requests import Request

        cookies = Request(scope).cookies
        cookie_id = getattr(server, "cookie_id", "")
        token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
        return token is not None and token in getattr(server, "tokens", {})


def launch(
    assistant: Assistant,
    host: str = "127.0.0.1",
    port: int | None = 7860,
    *,
    block: bool = True,
    concurrency_limit: int = 4,
    **launch_kwargs: Any,
) -> gr.Blocks:
    """Build and serve the app.

    Args:
        assistant: The assistant to answer with.
        host: Address to bind; 127.0.0.1 unless you mean to expose it.
        port: TCP port; ``None`` or 0 for Gradio's choice.
        block: Wait until the server stops (``False`` returns at once; tests).
        concurrency_limit: Questions answered at the same time.
        **launch_kwargs: Passed to ``gr.Blocks.launch`` (e.g. ``auth``).

    Returns:
        The launched Blocks (``.local_url`` tells where; ``.close()`` stops it).
    """
    from starlette.middleware import Middleware

    app = build_app(assistant)
    app.queue(default_concurrency_limit=concurrency_limit)
    app.launch(
        app_kwargs={"middleware": [Middleware(LoginRequired)]},
        server_name=host,
        server_port=port or None,
        share=False,
        prevent_thread_lock=not block,
        css=CSS,
        js=JS,
        footer_links=["api"],
        max_file_size=MAX_FILE_BYTES,  # refused by the server, before the upload is stored
        **launch_kwargs,
    )
    return app
