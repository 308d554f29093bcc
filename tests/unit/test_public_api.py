import assistant
import ingest
import vectorstore


def test_public_surface_is_pinned():
    assert sorted(assistant.__all__) == [
        "Answer",
        "Assistant",
        "AssistantError",
        "Citation",
        "IngestError",
        "IngestReport",
        "ModelMismatchError",
        "StoreError",
    ]
    for module in (assistant, ingest, vectorstore):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_answer_and_citation_fields():
    from dataclasses import fields

    assert [f.name for f in fields(assistant.Answer)] == ["question", "language", "text", "abstained", "citations"]
    assert [f.name for f in fields(assistant.Citation)][:8] == [
        "n",
        "passage_id",
        "article_id",
        "passage_text",
        "quote",
        "char_start",
        "char_end",
        "score",
    ]
