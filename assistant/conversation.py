"""Conversation without an LLM: follow-up questions and small talk.

A follow-up ("ومتى حدث ذلك؟", "what about the trade figures?") refers back or
is short after a conjunction; it is also retrieved together with the
question it follows, so that what it leaves out (who, what) comes from
there, and the more confident of the two retrievals is answered from. The reply is still framed in
the language of the latest message. A greeting or thanks gets a short reply
in kind, with no retrieval.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from ingest.language import Language
from ingest.normalize import lexical_tokens, normalize, spelt_length

#: A question with at most this many lexical tokens is taken as a follow-up when there is a previous question.
FOLLOW_UP_MAX_TOKENS = 3
#: Most characters of one earlier turn that are read (a question is at most as long: ``request.MAX_QUESTION_CHARS``),
#: counted in NFKC as the embedding model reads them; and most earlier turns read, the latest.
#: A history is the caller's to send: without bounds, one turn of a million characters kept an answer busy for minutes.
MAX_TURN_CHARS = 2000
MAX_TURNS = 40

# Words that point back to something said before (normalised: ة → ه, ى → ي).
_REFERS_BACK = re.compile(
    r"(?:^|\s)[وف]?(?:ذلك|ذالك|هذا|هذه|تلك|هؤلاء|ذاك|عنه|عنها|عنهم|منه|منها|فيه|فيها|لها|له|لهم)(?:\s|$|[?؟.!])"
    r"|(?:^|\s)[وف]?ماذا عن(?:\s|$)"
    r"|\b(?:it|they|them|those|these|what about|how about|and (?:what|when|where|who|how))\b",
    re.IGNORECASE,
)
# A leading conjunction: و or ف glued to the first word (وبأي، فماذا), or "and"/"so"/"but"/"also".
_CONJUNCTION_START = re.compile(r"^(?:[وف](?=\S\S)|(?:and|so|but|also|or)\b)", re.IGNORECASE)
_GREETING = re.compile(
    r"^(?:(?:ال)?سلام عليكم(?: ورحمه الله(?: وبركاته)?)?|مرحبا(?: بك)?|اهلا(?: وسهلا| بك)?|اهلين|هلا|صباح الخير|مساء الخير|"
    r"(?:hi|hello|hey)(?: there)?|good (?:morning|afternoon|evening)|greetings)$",
    re.IGNORECASE,
)
_FAREWELL = re.compile(r"^(?:مع السلامه|الي اللقاء|وداعا|bye|goodbye|bye bye|see you)$", re.IGNORECASE)
_THANKS = re.compile(
    r"^(?:(?:ok |okay |great |)(?:شكرا(?: جزيلا| لك| لكم)?(?: علي المساعده)?|مشكور|جزاك الله خيرا|"
    r"thanks?(?: you)?(?: (?:so|very) much| a lot| for (?:the|your) help)?|thx|cheers)|ok|okay)$",
    re.IGNORECASE,
)
SMALL_TALK_REPLY: dict[str, dict[Language, str]] = {
    "greeting": {
        "ar": "أهلاً بك! اسألني عن المقال، وسأجيب بما ورد فيه مع ذكر المقطع الذي اقتبست منه.",
        "en": "Hello! Ask me about the article; I answer from its text and cite the passage I quote.",
    },
    "thanks": {"ar": "عفواً! هل لديك سؤال آخر عن المقال؟", "en": "You're welcome! Anything else about the article?"},
    "farewell": {"ar": "مع السلامة!", "en": "Goodbye!"},
}


def small_talk(message: str) -> str | None:
    """``"greeting"``, ``"thanks"`` or ``"farewell"`` when the whole message is one (punctuation and emoji aside), else ``None``."""
    text = " ".join(re.sub(r"[^\w\s]", " ", normalize(message)).split())
    if _GREETING.match(text):
        return "greeting"
    if _THANKS.match(text):
        return "thanks"
    if _FAREWELL.match(text):
        return "farewell"
    return None


#: LangChain message types by the role names of the other history forms.
_LANGCHAIN_ROLES = {"human": "user", "ai": "assistant"}


def message_text(content: Any) -> str:
    """Text of a message's content: a string, or Gradio 6 parts ``[{"type": "text", "text": ...}]``; ``""`` otherwise."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return " ".join(
            p["text"]
            for p in content
            if isinstance(p, dict) and p.get("type", "text") == "text" and isinstance(p.get("text"), str)
        )
    return ""


def _bounded(text: str) -> str:
    """``text`` cut to :data:`MAX_TURN_CHARS`, counted in NFKC (ﷺ spells 18 code points)."""
    text = text[:MAX_TURN_CHARS]
    while spelt_length(text) > MAX_TURN_CHARS:
        text = text[: len(text) // 2]
    return text


def turns(history: Sequence[Any] | None) -> list[tuple[str, str]]:
    """``(role, text)`` of the last :data:`MAX_TURNS` messages in ``history``, oldest first; empty messages left out,
    each text cut to its first :data:`MAX_TURN_CHARS` characters.

    Args:
        history: ``{"role", "content"}`` dicts (Gradio, OpenAI style; content a
            string or a list of text parts), ``(user, assistant)`` pairs, or
            LangChain messages (``HumanMessage`` is the user, ``AIMessage`` the assistant).
    """
    out: list[tuple[str, str]] = []
    for item in list(history or [])[-MAX_TURNS:]:
        if isinstance(item, BaseMessage):  # LangChain: HumanMessage, AIMessage...
            out.append((_LANGCHAIN_ROLES.get(item.type, item.type), message_text(item.content)))
        elif isinstance(item, dict):
            out.append((str(item.get("role")), message_text(item.get("content"))))
        elif isinstance(item, (list, tuple)):
            out.extend((role, message_text(text)) for role, text in zip(("user", "assistant"), item))
    return [(role, _bounded(text.strip())) for role, text in out[-MAX_TURNS:] if text and text.strip()]


def user_turns(history: Sequence[Any] | None) -> list[str]:
    """The user's messages in ``history`` (:func:`turns`), oldest first."""
    return [text for role, text in turns(history) if role == "user"]


def is_follow_up(question: str) -> bool:
    """Whether ``question`` may lean on an earlier one.

    It does if it has a word that refers back (ذلك، هذا، ماذا عن / it,
    they, what about), no content word at all ("why?"), or at most
    :data:`FOLLOW_UP_MAX_TOKENS` content words after a leading conjunction
    ("وبأي نسبة نما؟", "and last year?"). A short question that stands on its
    own ("ما عاصمة فرنسا؟", "كم عدد الجنود؟") does not.
    """
    text = normalize(question).strip()
    tokens = lexical_tokens(question)
    if not tokens or _REFERS_BACK.search(text):
        return True
    return len(tokens) <= FOLLOW_UP_MAX_TOKENS and bool(_CONJUNCTION_START.match(text))


def resolve_follow_up(question: str, history: Sequence[Any] | None) -> str:
    """The text to retrieve with: the previous question (not small talk) and ``question``, if it is a follow-up; else ``question``.

    Example:
        >>> resolve_follow_up("ومتى حدث ذلك؟", [{"role": "user", "content": "هل التقى بوتين وشي شخصياً؟"}])
        'هل التقى بوتين وشي شخصياً؟ ومتى حدث ذلك؟'
    """
    previous = [t for t in user_turns(history) if small_talk(t) is None]
    if not previous or not is_follow_up(question):
        return question
    anchors = [t for t in previous if not is_follow_up(t)]  # a chain of follow-ups leans on its first question
    return f"{anchors[-1] if anchors else previous[-1]} {question}"
