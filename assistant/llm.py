"""Chat models for generative answers, through LangChain's partner packages.

Two kinds of endpoint, each an optional extra of article-qa:

* ``openai-compatible``: OpenAI itself and servers speaking its chat-completions
  API (vLLM, llama.cpp server, LM Studio...), via ``langchain-openai``
  (``pip install 'article-qa[openai]'``);
* ``ollama``: a local Ollama, via ``langchain-ollama`` (``pip install 'article-qa[ollama]'``).

Any other LangChain chat model (``BaseChatModel``) can be passed to
:class:`assistant.Assistant` directly.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Literal

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

LLMProvider = Literal["openai-compatible", "ollama"]
#: Where each provider listens by default.
DEFAULT_BASE_URL: dict[str, str | None] = {"openai-compatible": None, "ollama": "http://127.0.0.1:11434"}
_EXTRA = {"openai-compatible": ("langchain_openai", "openai"), "ollama": ("langchain_ollama", "ollama")}


def make_chat_model(
    provider: LLMProvider,
    model: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float = 60.0,
    max_retries: int = 2,
    temperature: float = 0.0,
    max_tokens: int = 512,
) -> BaseChatModel:
    """A LangChain chat model for an endpoint the user runs; nothing is contacted yet.

    Args:
        provider: ``"openai-compatible"`` (``langchain_openai.ChatOpenAI``) or
            ``"ollama"`` (``langchain_ollama.ChatOllama``).
        model: Model name as the server knows it (``gpt-4o-mini``, ``qwen2.5:7b``).
        base_url: The server's URL: for OpenAI-compatible servers the one ending
            in ``/v1`` (default: OpenAI's); for Ollama ``http://127.0.0.1:11434``.
        api_key: Key for OpenAI-compatible servers; by default ``OPENAI_API_KEY``,
            or a placeholder for local servers that need none.
        timeout: Seconds to wait for the connection and for each read.
        max_retries: Retries after a failed request, with exponential backoff:
            the ``openai`` client's own (connection errors, timeouts, 408, 409,
            429, 5xx); for Ollama, httpx's, which retries failed connections only.
        temperature: Sampling temperature; 0 keeps answers close to the passages.
        max_tokens: Longest reply, in the model's tokens (``max_completion_tokens``
            for OpenAI-compatible servers, ``num_predict`` for Ollama); an
            Arabic sentence takes 30-80 tokens.

    Raises:
        AssistantError: If the provider is unknown, its package is not
            installed (the message says what to install), or ``model`` is empty.
    """
    if provider not in _EXTRA:
        raise AssistantError(f"unknown chat model provider {provider!r}: use 'openai-compatible' or 'ollama'")
    if not model or not model.strip():
        raise AssistantError(f"the {provider} chat model needs the name of a model to use", setting="llm_model")
    package, extra = _EXTRA[provider]
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise AssistantError(
            f"{provider} chat models need the {package.replace('_', '-')} package: pip install 'article-qa[{extra}]'"
        ) from exc
    if provider == "openai-compatible":
        return module.ChatOpenAI(
            model=model,
            base_url=base_url or None,
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
            timeout=timeout,
            max_retries=max_retries,
            temperature=temperature,
            max_tokens=max_tokens,
        )
    import httpx

    return module.ChatOllama(
        model=model,
        base_url=base_url or DEFAULT_BASE_URL["ollama"],
        temperature=temperature,
        num_predict=max_tokens,
        client_kwargs={"timeout": timeout, "transport": httpx.HTTPTransport(retries=max_retries)},
    )


def server_context_tokens(base_url: str | None, timeout: float = 2.0) -> int | None:
    """The context size, in tokens, that an OpenAI-compatible server at ``base_url`` runs with, if it says:
    llama.cpp's server answers ``GET /props`` with ``default_generation_settings.n_ctx`` (its
    tools/server/README). ``None`` for any other server, or when it cannot be asked (logged at debug)."""
    import json
    import logging
    import urllib.request

    if not base_url:
        return None
    root = base_url.rstrip("/").removesuffix("/v1")
    try:
        with urllib.request.urlopen(f"{root}/props", timeout=timeout) as reply:
            n = json.load(reply).get("default_generation_settings", {}).get("n_ctx")
    except Exception as exc:  # not llama.cpp, not up yet, not JSON: the prompt is not cut
        logging.getLogger(__name__).debug("no context size from %s/props: %s", root, exc)
        return None
    return n if isinstance(n, int) and n > 0 else None


def describe_llm_error(exc: BaseException, where: str) -> str:
    """One line saying why a chat model call failed and what to do, for the user.

    Args:
        exc: What the call raised (LangChain's ``ModelError`` family, httpx or
            ``ollama`` errors, or anything else).
        where: The endpoint, e.g. ``"ollama qwen2.5:7b at http://127.0.0.1:11434"``.
    """
    from langchain_core.exceptions import (
        ModelAuthenticationError,
        ModelConnectionError,
        ModelNotFoundError,
        ModelRateLimitError,
        ModelTimeoutError,
    )

    status = getattr(exc, "status_code", None)
    if isinstance(exc, ModelNotFoundError) or status == 404:
        return (
            f"the server has no such model or path ({where}): check --llm-model, and --llm-base-url "
            "(OpenAI-compatible servers: the URL ending in /v1; Ollama: without /v1)"
        )
    if isinstance(exc, ModelAuthenticationError) or status in (401, 403):
        return f"the server refused the API key ({where}): set ARTICLE_QA_LLM_API_KEY"
    if isinstance(exc, ModelRateLimitError) or status == 429:
        return f"the server is rate-limiting requests ({where}): try again later"
    if isinstance(exc, TimeoutError) and str(exc).startswith("no first token after"):  # stream_reply's own deadline
        return (
            f"the chat model did not start answering ({exc}; {where}): raise ARTICLE_QA_LLM_FIRST_TOKEN_TIMEOUT, "
            "or use a faster model or server"
        )
    if isinstance(exc, TimeoutError) and str(exc):
        return (
            f"the chat model did not finish in time ({exc}; {where}): raise ARTICLE_QA_LLM_TIMEOUT or check the server"
        )
    if isinstance(exc, (ModelTimeoutError, TimeoutError)) or "timeout" in type(exc).__name__.lower():
        return f"the chat model did not answer in time ({where}): raise ARTICLE_QA_LLM_TIMEOUT or check the server"
    if "context" in str(exc).lower() and any(w in str(exc).lower() for w in ("exceed", "too long", "length")):
        return (
            f"the prompt was longer than the chat model's context ({where}): set ARTICLE_QA_LLM_CONTEXT_TOKENS "
            "to the server's context size, or ask with fewer passages (--top-k)"
        )
    if isinstance(exc, (ModelConnectionError, ConnectionError)) or type(exc).__module__.startswith("httpx"):
        return f"could not reach the chat model ({where}): is the server running?"
    return f"the chat model failed ({where}): {type(exc).__name__}: {exc}"
