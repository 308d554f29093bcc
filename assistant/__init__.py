"""article-qa: answer Arabic or English questions about news articles, with citations."""

from assistant.api import Assistant, CheckReport, IngestReport
from assistant.chain import answer_of
from assistant.errors import (
    AssistantError,
    EvalDataError,
    IngestError,
    ModelMismatchError,
    StoreError,
    UnknownArticleError,
)
from assistant.types import Answer, AnswerTrace, Citation, Draft, RetrievedPassage, ShortAnswer

__all__ = [
    "Answer",
    "AnswerTrace",
    "Assistant",
    "AssistantError",
    "CheckReport",
    "Citation",
    "Draft",
    "EvalDataError",
    "IngestError",
    "IngestReport",
    "ModelMismatchError",
    "RetrievedPassage",
    "ShortAnswer",
    "StoreError",
    "UnknownArticleError",
    "answer_of",
]
