"""Conversation without an LLM: follow-up questions and small talk.

A follow-up ("ومتى حدث ذلك؟", "what about the trade figures?") is short or
refers back; it is retrieved together with the previous question, so that
what it leaves out (who, what) comes from there. The reply is still framed in
the language of the latest message. A greeting or thanks gets a short reply
in kind, with no retrieval.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ingest.language import Language
from ingest.normalize import lexical_tokens, normalize

#: A question with at most this many lexical tokens is taken as a follow-up when there is a previous question.
FOLLOW_UP_MAX_TOKENS = 3

# Words that point back to something said before (normalised: ة → ه, ى → ي).
_REFERS_BACK = re.compile(
    r"(?:^|\s)[وف]?(?:ذلك|ذالك|هذا|هذه|تلك|هؤلاء|ذاك|عنه|عنها|عنهم|منه|منها|فيه|فيها|لها|له|لهم)(?:\s|$|[?؟.!])"
    r"|(?:^|\s)[وف]?ماذا عن(?:\s|$)"
    r"|\b(?:it|they|them|those|these|what about|how about|and (?:what|when|where|who|how))\b",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^(?:(?:ال)?سلام عليكم(?: ورحمه الله(?: وبركاته)?)?|مرحبا|اهلا(?: وسهلا)?|صباح الخير|مساء الخير|"
    r"hi|hello|hey|good (?:morning|afternoon|evening)|greetings)$",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^(?:شكرا(?: جزيلا| لك| لكم)?|مشكور|جزاك الله خيرا|thanks?(?: you)?(?: (?:so|very) much| a lot)?|thank you|thx|cheers)$",
    re.IGNORECASE,
)
SMALL_TALK_REPLY: dict[str, dict[Language, str]] = {
    "greeting": {
        "ar": "أهلاً بك! اسألني عن المقال، وسأجيب بما ورد فيه مع ذكر المقطع الذي اقتبست منه.",
        "en": "Hello! Ask me about the article; I answer from its text and cite the passage I quote.",
    },
    "thanks": {"ar": "عفواً! هل لديك سؤال آخر عن المقال؟", "en": "You're welcome! Anything else about the article?"},
}


def small_talk(message: str) -> str | None:
    """``"greeting"`` or ``"thanks"`` when the whole message is one (punctuation and emoji aside), else ``None``."""
    text = " ".join(re.sub(r"[^\w\s]", " ", normalize(message)).split())
    if _GREETING.match(text):
        return "greeting"
    if _THANKS.match(text):
        return "thanks"
    return None


def _text(content: Any) -> str:
    """Text of a message's content: a string, or Gradio 6 parts ``[{"type": "text", "text": ...}]``."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type", "text") == "text")
    return ""


def user_turns(history: Sequence[Any] | None) -> list[str]:
    """The user's messages in ``history``, oldest first.

    Args:
        history: ``{"role", "content"}`` dicts (Gradio, OpenAI style; content a
            string or a list of text parts), or ``(user, assistant)`` pairs.
    """
    turns = []
    for item in history or []:
        if isinstance(item, dict):
            if item.get("role") == "user":
                turns.append(_text(item.get("content")))
        elif isinstance(item, (list, tuple)) and item:
            turns.append(_text(item[0]))
    return [t.strip() for t in turns if t and t.strip()]


def is_follow_up(question: str) -> bool:
    """Whether ``question`` leans on an earlier one: at most :data:`FOLLOW_UP_MAX_TOKENS` lexical tokens, or a word that refers back."""
    return len(lexical_tokens(question)) <= FOLLOW_UP_MAX_TOKENS or bool(_REFERS_BACK.search(normalize(question)))


def resolve_follow_up(question: str, history: Sequence[Any] | None) -> str:
    """The text to retrieve with: the previous question (not small talk) and ``question``, if it is a follow-up; else ``question``.

    Example:
        >>> resolve_follow_up("ومتى حدث ذلك؟", [{"role": "user", "content": "هل التقى بوتين وشي شخصياً؟"}])
        'هل التقى بوتين وشي شخصياً؟ ومتى حدث ذلك؟'
    """
    previous = [t for t in user_turns(history) if small_talk(t) is None]
    if not previous or not is_follow_up(question):
        return question
    return f"{previous[-1]} {question}"
