"""article-qa: answer Arabic or English questions about news articles, with citations."""

from assistant.api import Assistant, IngestReport
from assistant.errors import AssistantError, ModelMismatchError, StoreError, IngestError
from assistant.types import Answer, Citation

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Citation",
    "IngestError",
    "IngestReport",
    "ModelMismatchError",
    "StoreError",
]
