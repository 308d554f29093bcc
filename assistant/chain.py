"""LangChain wiring: the assistant as a Runnable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.errors import AssistantError
from assistant.types import Answer

if TYPE_CHECKING:
    from assistant.api import Assistant


def make_runnable(assistant: Assistant) -> Runnable[dict[str, Any], Answer]:
    """Wrap ``assistant.ask`` as a Runnable taking ``{"question": str, "history": list?, "mode": str?}``.

    It composes like any Runnable (``invoke``, ``batch``, ``|``); the output is
    an :class:`assistant.types.Answer`.

    Raises:
        AssistantError: On invoke, if the input has no ``"question"`` string.
    """

    def run(inputs: dict[str, Any]) -> Answer:
        if not isinstance(inputs, dict) or not isinstance(inputs.get("question"), str):
            raise AssistantError('the runnable takes a dict {"question": "...", "history": [...]}')
        return assistant.ask(inputs["question"], inputs.get("history"), mode=inputs.get("mode"))

    return RunnableLambda(run, name="article_qa")
