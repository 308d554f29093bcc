import assistant
import assistant.evaluation
import ingest
import vectorstore


def test_public_surface_is_pinned():
    assert sorted(assistant.__all__) == [
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
    assert sorted(assistant.evaluation.__all__) == [
        "EvalQuestion",
        "EvalRun",
        "EvalSet",
        "QuestionResult",
        "comparison_table",
        "evaluate",
        "load_eval_set",
        "load_report",
        "print_summary",
        "report_document",
        "run_evaluation",
        "summarize",
        "summary_table",
        "write_report",
    ]
    for module in (assistant, assistant.evaluation, ingest, vectorstore):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_answer_and_citation_fields():
    from dataclasses import fields

    assert [f.name for f in fields(assistant.Answer)] == [
        "question", "language", "text", "abstained", "citations", "mode", "unsupported_sentences", "notes",
        "partial", "reason", "short_answer", "summary",
    ]  # fmt: skip
    assert [f.name for f in fields(assistant.ShortAnswer)] == [
        "text",
        "char_start",
        "char_end",
        "citation",
        "article_id",
        "probability",
    ]
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
