"""The article-qa command, run in-process on a store in tmp_path."""

import json

from assistant.cli import main
from tests.questions import TRADE_QUESTION_AR


def test_ask_json_on_an_empty_store_ingests_the_sample_first(tmp_path, capsys):
    assert main(["ask", TRADE_QUESTION_AR, "--json", "--store", str(tmp_path / "s")]) == 0
    out, err = capsys.readouterr()
    assert "ingested the sample article" in err
    data = json.loads(out)  # exactly one JSON object on stdout
    assert data["abstained"] is False and data["language"] == "ar"
    assert any("102.5" in c["passage_text"] for c in data["citations"])


def test_ingest_then_ask_in_text_form(tmp_path, capsys):
    article = tmp_path / "energy.md"
    article.write_text(
        "# Energy deal\n\nRussia agreed to supply 38 billion cubic metres of gas to China every year.\n",
        encoding="utf-8",
    )
    store = str(tmp_path / "s")
    assert main(["ingest", str(article), "--store", store]) == 0
    assert "energy — Energy deal: added, 1 passage" in capsys.readouterr().out
    assert main(["ask", "How much gas will Russia supply to China?", "--store", store]) == 0
    out, err = capsys.readouterr()
    assert "sample" not in err, "a store with articles is not seeded"
    assert "38 billion cubic metres" in out and "[1] energy" in out


def test_user_errors_exit_1_with_a_message(tmp_path, capsys):
    assert main(["ingest", str(tmp_path / "missing.txt"), "--store", str(tmp_path / "s")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["ask", "  ", "--store", str(tmp_path / "s")]) == 1
    assert "question is empty" in capsys.readouterr().err


def test_environment_settings_are_read(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ARTICLE_QA_STORE", str(tmp_path / "env-store"))
    assert main(["ask", TRADE_QUESTION_AR]) == 0
    capsys.readouterr()
    assert (tmp_path / "env-store").is_dir()
    monkeypatch.setenv("ARTICLE_QA_TOP_K", "0")
    assert main(["ask", TRADE_QUESTION_AR]) == 1
    err = capsys.readouterr().err
    assert err.startswith("article-qa: invalid setting: top_k (--top-k, ARTICLE_QA_TOP_K) = '0'")
    assert len(err.strip().splitlines()) == 1
    monkeypatch.setenv("ARTICLE_QA_TOP_K", "3")
    monkeypatch.setenv("ARTICLE_QA_MIN_CONFIDENCE", "2")
    assert main(["ask", TRADE_QUESTION_AR]) == 1
    assert "min_confidence (ARTICLE_QA_MIN_CONFIDENCE) = '2'" in capsys.readouterr().err, (
        "no option that does not exist"
    )


def test_busy_port_is_reported_before_any_work(tmp_path, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["ui", "--port", str(port), "--store", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port or ARTICLE_QA_PORT" in err
    assert "ingested" not in err and not (tmp_path / "s").exists()


def test_a_login_without_a_password_is_refused(tmp_path, capsys):
    from assistant.cli import main

    assert main(["ui", "--auth", "reader", "--store", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    assert "auth (--auth, ARTICLE_QA_AUTH)" in err and "reader" not in err, (
        "what was typed for a password is not echoed"
    )


def test_ask_about_one_article_and_count_feedback(tmp_path, capsys):
    store = str(tmp_path / "s")
    other = tmp_path / "harbour.md"
    other.write_text(
        "# Harbour reopens\n\nThe harbour reopened on Friday with new piers for the fishing boats.\n\n"
        "The town spent four million dollars on the work, which took two years.\n",
        encoding="utf-8",
    )
    assert main(["ingest", str(other), "--store", store]) == 0
    assert main(["ask", "لخص المقال", "--article", "harbour", "--json", "--store", store]) == 0
    data = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert data["summary"] and {c["article_id"] for c in data["citations"]} == {"harbour"}
    assert "Harbour reopens" not in [c["quote"] for c in data["citations"]], "the title is no sentence of it"
    assert main(["ask", "لخص المقال", "--article", "nope", "--store", store]) == 1
    assert "no article 'nope' is stored" in capsys.readouterr().err
    assert main(["feedback", "count", "--store", store]) == 0
    assert "0 questions rated" in capsys.readouterr().out
    assert main(["feedback", "export", "--store", store]) == 1
    assert "needs --out" in capsys.readouterr().err
