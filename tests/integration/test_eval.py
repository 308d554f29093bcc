"""`article-qa eval` on real files, a real temporary Chroma store and the bundled model."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import EvalDataError
from assistant.evaluation import evaluate, load_eval_set, summarize
from ingest import sample_article_path

GOLD = Path(__file__).parents[2] / "benchmarks" / "data" / "sample_article_gold.jsonl"

TRADE = (
    "وانخفض حجم التجارة بين روسيا والصين بنسبة 2.9% فقط العام الماضي، ليصل إلى 107 مليارات دولار، ولكن في "
    "الأرباع الثلاثة الأولى من العام الجاري، نما حجم التجارة بينهما بنسبة 29.8%، ليصل إلى 102.5 مليار دولار."
)
MEETING = (
    "ولم يلتق بوتين وشي شخصياً منذ نوفمبر 2019، لكن هذا لم يمنعهما من التحدث 8 مرات بشكل رسمي خلال جائحة "
    "كورونا، إذ يشكل التعاون السياسي والاستراتيجي أولوية بالنسبة لموسكو وبكين."
)
FOOTBALL = (
    "لم يتخلى فريق بانثرز سوى عن 308 نقطة، ليحتل المركز السادس في الدوري، متصدراً في الوقت عينه دوري كرة القدم "
    "الأميركية في الاعتراضات مع 24 اعتراضاً."
)


def _squad(questions: dict[str, str]) -> dict:
    """A two-article SQuAD file; ``questions`` maps each id to its text (so a parallel file can differ)."""

    def qa(qid: str, answer: str, context: str) -> dict:
        return {
            "id": qid,
            "question": questions[qid],
            "answers": [{"text": answer, "answer_start": context.index(answer)}],
        }

    return {
        "version": "1.0",
        "data": [
            {
                "title": "Russia_China",
                "paragraphs": [
                    {"context": " " + TRADE, "qas": [qa("t1", "102.5 مليار دولار", TRADE), qa("t2", "2.9%", TRADE)]},
                    {"context": MEETING, "qas": [qa("m1", "نوفمبر 2019", MEETING)]},
                ],
            },
            {"title": "Panthers", "paragraphs": [{"context": FOOTBALL, "qas": [qa("f1", "308", FOOTBALL)]}]},
        ],
    }


AR_QUESTIONS = {
    "t1": "ما حجم التجارة بين البلدين في الأرباع الثلاثة الأولى؟",
    "t2": "بأي نسبة انخفض حجم التجارة العام الماضي؟",
    "m1": "منذ متى لم يلتق بوتين وشي شخصياً؟",
    "f1": "كم نقطة تخلى عنها فريق بانثرز؟",
}
EN_QUESTIONS = {
    "t1": "What was the trade volume in the first three quarters?",
    "t2": "By what percentage did trade fall last year?",
    "m1": "When did Putin and Xi last meet in person?",
    "f1": "How many points did the Panthers give up?",
}


@pytest.fixture
def squad_files(tmp_path) -> tuple[Path, Path]:
    ar, en = tmp_path / "tiny.ar.json", tmp_path / "tiny.en.json"
    ar.write_text(json.dumps(_squad(AR_QUESTIONS), ensure_ascii=False), encoding="utf-8")
    en.write_text(json.dumps(_squad(EN_QUESTIONS), ensure_ascii=False), encoding="utf-8")
    return ar, en


def test_squad_entries_become_articles_and_questions_know_their_paragraph(squad_files):
    s = load_eval_set(squad_files[0])
    assert [a.article_id for a in s.articles] == ["Russia_China", "Panthers"]
    article = s.articles[0]
    assert article.text == TRADE + "\n\n" + MEETING  # contexts stripped, joined by a blank line
    by_id = {q.id: q for q in s.questions}
    start, end = by_id["m1"].paragraph
    assert article.text[start:end] == MEETING
    assert by_id["t1"].article_id == "Russia_China" and by_id["t1"].answers == ("102.5 مليار دولار",)
    assert {q.language for q in s.questions} == {"ar"}


def test_parallel_file_supplies_the_question_texts(squad_files, tmp_path):
    s = load_eval_set(squad_files[0], questions=squad_files[1])
    assert [q.question for q in s.questions] == list(EN_QUESTIONS.values())
    assert {q.language for q in s.questions} == {"en"}
    assert s.questions[0].answers == ("102.5 مليار دولار",)  # gold answers stay those of the corpus file
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(_squad(EN_QUESTIONS) | {"data": _squad(EN_QUESTIONS)["data"][:1]}), encoding="utf-8")
    with pytest.raises(EvalDataError, match=r"lacks 1 of the 4 question ids .*\(e\.g\. f1\)"):
        load_eval_set(squad_files[0], questions=partial)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "bad.jsonl",
            '{"id": "a", "question": "q?", "answers": ["x"]}\n\n{"id": "b", "question": }\n',
            r"line 3: not valid JSON",
        ),
        (
            "bad.jsonl",
            '{"id": "a", "question": "q?", "answers": ["x"]}\n{"id": "b", "answers": ["x"]}\n',
            r"line 2 \(id b\): no 'question'",
        ),
        (
            "bad.jsonl",
            '{"id": "a", "question": "q?", "answers": []}\n',
            r"line 1 \(id a\): an answerable question needs",
        ),
        ("bad.jsonl", '{"id": "a", "question": "q?", "answers": "x"}\n', r"'answers' must be a list"),
        (
            "bad.jsonl",
            '{"id": "a", "question": "q?", "answers": ["x"], "answerable": "yes"}\n',
            r"'answerable' is \"yes\"",
        ),
        (
            "bad.jsonl",
            '{"id": "a", "question": "q?", "answers": ["x"]}\n{"id": "a", "question": "r?", "answers": ["y"]}\n',
            r"line 2: question id 'a' is already used at .*line 1",
        ),
        ("bad.jsonl", '["a", "q?"]\n', r"line 1: expected an object"),
        ("bad.jsonl", "\n", r"holds no question"),
        ("bad.csv", "id,question\na,q?\n", r"line 1: the header lacks answers"),
        ("bad.csv", "id,question,answers,answerable\na,q?,x,true\nb,r?,,maybe\n", r"line 3: answerable is 'maybe'"),
        ("bad.csv", 'id,question,answers\na,q?,"[""x"", "\n', r"line 2: answers is not a valid JSON list"),
        (
            "bad.json",
            '{"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": []}, {"qas": []}]}]}',
            r"data\[0\]\.paragraphs\[1\] has no 'context'",
        ),
        (
            "bad.json",
            '{"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": [{"id": "x", "question": "q", "answers": []}]}]}]}',
            r"data\[0\]\.paragraphs\[0\]\.qas\[0\] \(id x\) has no answer text",
        ),
        ("bad.json", "[1, 2]", r"no top-level 'data' list"),
        ("bad.json", '{"data": [', r"not valid JSON \(.* line 1, column 11\)"),
        ("bad.txt", "x", r"unknown test-set type '\.txt'"),
        (
            "bad.jsonl",
            json.dumps({"id": "long", "question": "؟" * 2001, "answers": ["x"]}) + "\n",
            r"line 1 \(id long\): the question is 2,001 characters long",
        ),
        (
            "bad.jsonl",
            json.dumps({"id": "blank", "question": " \u200b\u200f ", "answers": ["x"]}) + "\n",
            r"line 1 \(id blank\): no 'question' text",
        ),
        (
            "bad.json",
            '{"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": [{"id": "x", "question": "q", "answers": [], "is_impossible": "false"}]}]}]}',
            r"qas\[0\] \(id x\): 'is_impossible' is \"false\"",
        ),
        ("bad.csv", "id,question,answers,Answers\na,q?,x,y\n", r"line 1: the header has answers more than once"),
    ],
)
def test_bad_test_sets_name_the_record_at_fault(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EvalDataError, match=message):
        load_eval_set(path)


def test_csv_answers_as_json_list_or_single_cell(tmp_path):
    path = tmp_path / "set.csv"
    path.write_text(
        "id,question,answers,answerable,lang\n"
        'a,"How much, in total?","[""102.5"", ""١٠٢٫٥""]",,\n'
        "b,متى؟,نوفمبر 2019,true,AR\n"
        "c,Who won?,,false,en\n",
        encoding="utf-8",
    )
    a, b, c = load_eval_set(path).questions
    assert (a.question, a.answers, a.answerable, a.language) == ("How much, in total?", ("102.5", "١٠٢٫٥"), True, "en")
    assert (b.answers, b.language) == (("نوفمبر 2019",), "ar")
    assert (c.answers, c.answerable) == ((), False)


def test_eval_cli_writes_the_three_outputs_and_leaves_the_store_alone(squad_files, tmp_path, capsys):
    out, store = tmp_path / "out", tmp_path / "user-store"
    code = main(
        ["eval", str(squad_files[0]), "--questions", str(squad_files[1]), "--out", str(out), "--store", str(store)]
    )
    assert code == 0
    assert not store.exists()  # the corpus went into a temporary store
    printed = capsys.readouterr().out
    assert "recall@1" in printed and "latency p50 (ms)" in printed

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["n_questions"] == 4 and set(report["by_language"]) == {"en"}
    for key in ("recall@1", "recall@3", "recall@5", "mrr"):
        assert 0 <= report["retrieval"][key] <= 1
    assert report["retrieval"]["recall@5"] == 1.0  # four passages in all: every gold paragraph is in the top 5
    assert report["by_language"]["en"]["answer"].keys() == {
        "answer_in_citation", "exact_match", "f1", "sentence_exact_match", "sentence_f1",
    }  # fmt: skip
    assert report["by_language"]["en"]["short_answer"].keys() == {"coverage", "in_citation"}
    assert report["run"]["questions_from"] == str(squad_files[1]) and report["run"]["passages"] == 3

    with (out / "questions.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == ["t1", "t2", "m1", "f1"]
    assert {"id", "language", "question", "gold", "answer", "abstained", "hit_rank", "cited_passage_ids",
            "latency_ms", "short_answer", "short_in_citation", "sentence_f1"} <= rows[0].keys()  # fmt: skip
    assert rows[0]["question"] == EN_QUESTIONS["t1"] and rows[0]["gold"] == "102.5 مليار دولار"
    assert (out / "recall_at_k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| recall@1 |" in md and "](recall_at_k.png)" in md


def test_eval_against_the_store_only_reads_it(tmp_path, capsys):
    store = tmp_path / "store"
    assert main(["ingest", str(sample_article_path()), "--store", str(store)]) == 0
    capsys.readouterr()
    main(["list", "--json", "--store", str(store)])
    before = json.loads(capsys.readouterr().out)
    testset = tmp_path / "set.jsonl"
    testset.write_text(
        json.dumps({"id": "x", "question": "منذ متى لم يلتق بوتين وشي شخصياً؟", "answers": ["نوفمبر 2019"]}) + "\n"
        + json.dumps({"id": "y", "question": "Who wrote Hamlet?", "answers": ["Shakespeare"]}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    assert main(["eval", str(testset), "--store", str(store), "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["n_questions"] == 2 and report["run"]["store"] == str(store)
    assert "1 answerable question without any gold answer" in captured.err and "(y)" in captured.err
    assert report["run"]["gold_not_in_corpus"] == ["y"]  # --json prints what report.json holds
    main(["list", "--json", "--store", str(store)])
    assert json.loads(capsys.readouterr().out) == before


def test_eval_without_corpus_or_articles_says_what_to_give(tmp_path, capsys):
    testset = tmp_path / "set.jsonl"
    testset.write_text('{"id": "x", "question": "q?", "answers": ["a"]}\n', encoding="utf-8")
    assert main(["eval", str(testset), "--store", str(tmp_path / "none")]) == 1
    assert "--corpus PATH" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


def test_compare_prints_both_reports_and_the_differences(tmp_path, capsys):
    def report(recall: float, p50: float) -> dict:
        block = {
            "n_questions": 10,
            "retrieval": {"recall@1": recall, "recall@3": 1.0, "recall@5": 1.0, "mrr": 0.9},
            "latency_ms": {"p50": p50, "p95": 60.0},
        }
        return {**block, "by_language": {"ar": block}}

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(report(0.5, 40.0)), encoding="utf-8")
    b.write_text(json.dumps(report(0.75, 30.0)), encoding="utf-8")
    assert main(["eval", "--compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    recall_rows = [line for line in out.splitlines() if "recall@1" in line]
    assert len(recall_rows) == 2  # all, then ar
    assert all("0.500" in r and "0.750" in r and "+0.250" in r for r in recall_rows)  # 0.75 - 0.5
    assert any("40.0" in line and "30.0" in line and "-10.0" in line for line in out.splitlines())
    assert main(["eval", "--compare", str(a), str(tmp_path / "missing.json")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_compare_pairs_a_report_from_before_short_answers_with_the_sentences_rows(tmp_path, capsys):
    old = {
        "n_questions": 4,
        "retrieval": {"recall@1": 0.9},
        "answer": {"answer_in_citation": 0.9, "exact_match": 0.0, "f1": 0.18},
    }
    new = {
        "n_questions": 4,
        "retrieval": {"recall@1": 0.9},
        "answer": {
            "answer_in_citation": 0.9, "exact_match": 0.34, "f1": 0.47, "sentence_exact_match": 0.0,
            "sentence_f1": 0.18,
        },
    }  # fmt: skip
    a, b = tmp_path / "old.json", tmp_path / "new.json"
    a.write_text(json.dumps(old), encoding="utf-8")
    b.write_text(json.dumps(new), encoding="utf-8")
    assert main(["eval", "--compare", str(a), str(b)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "predate short answers" in " ".join(" ".join(lines).split())
    f1_rows = [line for line in lines if "F1 (" in line]
    sentences = next(line for line in f1_rows if "(sentences)" in line)
    assert "0.180" in sentences and "+0.000" in sentences  # like with like
    short = next(line for line in f1_rows if "short answer" in line)
    assert "0.470" in short and "+0.470" not in short, "no difference against a metric A did not have"


def test_gold_set_is_hand_written_from_the_article():
    article = sample_article_path().read_text(encoding="utf-8")
    questions = load_eval_set(GOLD).questions
    for q in questions:
        for answer in q.answers:
            assert answer in article, f"{q.id}: gold answer {answer!r} is not copied from the article"
    answerable = [q for q in questions if q.answerable]
    unanswerable = [q for q in questions if not q.answerable]
    assert sum(q.language == "ar" for q in answerable) >= 20 and sum(q.language == "en" for q in answerable) >= 20
    assert len(unanswerable) >= 10 and {q.language for q in unanswerable} == {"ar", "en"}


def test_gold_set_scores_of_todays_assistant(sample_assistant):
    """Floors a little under today's figures (see the README's Measured table), so a regression fails."""
    report = summarize(evaluate(sample_assistant, load_eval_set(GOLD).questions))
    ar, en = report["by_language"]["ar"], report["by_language"]["en"]
    assert ar["retrieval"]["recall@1"] >= 0.92 and en["retrieval"]["recall@1"] >= 0.84
    assert report["retrieval"]["recall@5"] >= 0.98
    assert ar["answer"]["answer_in_citation"] >= 0.95 and en["answer"]["answer_in_citation"] >= 0.95  # issue 5 targets
    assert report["citations"]["precision"] >= 0.8
    assert report["abstention"]["false_abstain_rate_answerable"] <= 0.05  # issue 5 target
    # The gold set's unanswerable questions are held out from the abstention fit since issue 15 (4/7 Arabic, 5/7 English).
    assert ar["abstention"]["abstain_rate_unanswerable"] >= 0.5 and en["abstention"]["abstain_rate_unanswerable"] >= 0.6
