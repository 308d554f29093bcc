"""The chat app: built, launched on 127.0.0.1 and asked through its API and in a real browser."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import gradio as gr
import pytest

import ui
from assistant import Answer, AssistantError, Citation
from tests.e2e.conftest import GENERATED_REPLY_AR
from tests.questions import MET_QUESTION_EN, TRADE_QUESTION_AR


def test_build_app_builds_without_launching(sample_assistant):
    app = ui.build_app(sample_assistant)
    assert isinstance(app, gr.Blocks)
    assert "/chat" in {d.get("api_name") and "/" + d["api_name"] for d in app.config["dependencies"]}


def test_sources_panel_escapes_article_text_and_marks_the_quote():
    citation = Citation(
        n=1,
        passage_id="a-0000-x",
        article_id="a",
        passage_text="قبل <script>alert(1)</script> الجملة. بعد",
        quote="الجملة.",
        char_start=30,
        char_end=37,
        score=0.8,
        section="قسم",
    )
    answer = Answer(question="q", language="ar", text="«الجملة.» [1]", abstained=False, citations=[citation])
    panel = ui.sources_html(answer)
    assert "<script>" not in panel and "&lt;script&gt;" in panel
    assert "<mark>الجملة.</mark>" in panel and "id='source-0-1'" in panel
    assert "id='source-2-1'" in ui.sources_html(answer, turn=2)


def test_chat_messages_show_article_markup_as_text():
    shown = ui.as_plain_text('said <img src="http://x/y.png"> ![c](http://x/c.png) [1] 2.9% & more')
    assert "<img" not in shown and "&lt;img" in shown
    assert "![c](" not in shown and "\\!\\[c\\]\\(" in shown
    assert "\\[1\\]" in shown and "&amp;" in shown


def test_two_turn_chat_through_the_gradio_api(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    history, sources, answer, box = client.predict(TRADE_QUESTION_AR, [], api_name="/chat")
    assert box == "" and answer["language"] == "ar" and not answer["abstained"]
    assert any("102.5" in c["passage_text"] for c in answer["citations"])
    assert "<mark>" in sources
    history, sources, answer, _ = client.predict(MET_QUESTION_EN, history, api_name="/chat")
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    assert answer["language"] == "en" and any("نوفمبر 2019" in c["quote"] for c in answer["citations"])
    content = history[-1]["content"]  # gradio 6 gives a list of {"type": "text", "text": ...} blocks
    shown = "".join(block["text"] for block in content) if isinstance(content, list) else content
    assert shown.endswith("\\[1\\]"), "chat messages are escaped Markdown"


def test_a_follow_up_through_the_gradio_api_reads_the_escaped_history(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    history, _, _, _ = client.predict(TRADE_QUESTION_AR, [], api_name="/chat")  # comes back Markdown-escaped
    history, _, answer, _ = client.predict("وبأي نسبة نما؟", history, api_name="/chat")
    assert not answer["abstained"] and any("29.8%" in c["quote"] for c in answer["citations"])


def test_invisible_controls_are_not_shown_in_the_chat(app_url):
    from gradio_client import Client

    history, _, answer, _ = Client(app_url, verbose=False).predict("\u202e" + MET_QUESTION_EN, [], api_name="/chat")
    assert answer["question"] == MET_QUESTION_EN
    assert history[0]["content"][0]["text"] == ui.as_plain_text(MET_QUESTION_EN)


def test_refused_question_is_answered_in_the_chat(app_url):
    from gradio_client import Client

    history, _, answer, _ = Client(app_url, verbose=False).predict("x" * 2500, [], api_name="/chat")
    assert "keep it under 2,000" in answer["error"]
    assert [m["role"] for m in history] == ["user", "assistant"]


def test_a_generated_answer_streams_into_the_chat_then_is_checked(generative_app_url):
    from gradio_client import Client

    job = Client(generative_app_url, verbose=False).submit(TRADE_QUESTION_AR, [], api_name="/chat")
    history, sources, answer, _ = job.result()
    assert answer["mode"] == "generative" and answer["text"] == GENERATED_REPLY_AR
    assert "<mark>" in sources and answer["citations"][0]["n"] == 1
    drafts = [h[-1]["content"][0]["text"] for h, _, a, _ in job.outputs() if a == {}]
    assert len(drafts) > 5, "the reply arrives piece by piece"
    assert all(ui.as_plain_text(GENERATED_REPLY_AR).startswith(d) for d in drafts)


def test_the_answer_mode_can_be_chosen_per_question(generative_app_url):
    from gradio_client import Client

    _, _, answer, _ = Client(generative_app_url, verbose=False).predict(
        TRADE_QUESTION_AR, [], [], 3, "extractive", api_name="/chat"
    )
    assert answer["mode"] == "extractive" and answer["text"].startswith("بحسب المقال")


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (make test installs it)"
)
def test_messages_read_in_their_own_direction_in_a_real_browser(app_url, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    shots = tmp_path_factory.mktemp("screenshots")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(app_url)
            box = page.locator("#question textarea")
            page.wait_for_function(
                "(document.querySelector('#question textarea') || {}).dir === 'auto'", timeout=10_000
            )

            def click_first_marker_and_check(expected: str, turn: int) -> None:
                """Clicking [1] of the latest answer scrolls the article view to its sentence, highlighted."""
                mark = page.locator(f"#article-view mark#cite-{turn}-1")
                page.wait_for_function(
                    f"(document.querySelector('#article-view mark#cite-{turn}-1') || {{}}).innerText?.includes({expected!r})",
                    timeout=30_000,
                )
                page.locator("#chat .bot-row .cite-link").last.click()
                assert "active" in (mark.get_attribute("class") or "")
                inside = mark.evaluate(
                    """m => { const v = m.closest('.article-scroll').getBoundingClientRect();
                              const r = m.getBoundingClientRect();
                              return r.top >= v.top - 1 && r.bottom <= v.bottom + 1 && r.height > 0; }"""
                )
                assert inside, "the cited sentence is scrolled into the article view"

            for n, (question, expected) in enumerate(
                [(TRADE_QUESTION_AR, "102.5"), (MET_QUESTION_EN, "نوفمبر 2019")], 1
            ):
                box.fill(question)
                box.press("Enter")
                page.locator("#chat .message-content").nth(2 * n - 1).wait_for(timeout=30_000)
                page.locator("#sources .turn:not([hidden]) mark").first.wait_for(timeout=30_000)
                click_first_marker_and_check(expected, n - 1)
                # The README's screenshot (docs/screenshot.jpg) is the first of these.
                page.screenshot(path=str(shots / f"answer-{n}.jpg"), type="jpeg", quality=70)
            messages = page.locator("#chat .message-content")
            directions = [
                messages.nth(i).evaluate("e => getComputedStyle(e).direction") for i in range(messages.count())
            ]
            assert directions == ["rtl", "rtl", "ltr", "ltr"]
            assert "[1]" in messages.nth(3).inner_text()
            assert "نوفمبر 2019" in page.locator("#sources .turn:not([hidden]) mark").first.inner_text()
            # The older answer's markers stay links: one shows that answer's sources and sentence again.
            page.locator("#chat .bot-row").first.locator(".cite-link").first.click()
            assert "102.5" in page.locator("#sources .turn:not([hidden]) mark").first.inner_text()
            assert "active" in (page.locator("#article-view mark#cite-0-1").get_attribute("class") or "")
            assert page.locator("#article-view .turn:not([hidden])").get_attribute("data-turn") == "0"
        finally:
            browser.close()


def test_auth_keeps_the_window_and_its_api_behind_a_login(sample_assistant):
    from gradio_client import Client

    from tests.e2e.conftest import free_port

    app = ui.launch(
        sample_assistant, host="127.0.0.1", port=free_port(), block=False, quiet=True, auth=("reader", "s3cret")
    )
    try:
        import httpx

        base = app.local_url.rstrip("/")
        for method, path in (("GET", "/config"), ("GET", "/gradio_api/info"), ("POST", "/gradio_api/queue/join"),
                             ("POST", "/gradio_api/upload"), ("GET", "/gradio_api/queue/data?session_hash=x"),
                             ("POST", "/gradio_api/cancel"), ("POST", "/gradio_api/reset")):  # fmt: skip
            body = {"data": [], "fn_index": 1, "session_hash": "x", "event_id": "e"} if method == "POST" else None
            response = httpx.request(method, base + path, json=body)
            assert response.status_code in (401, 403), f"{method} {path}: {response.status_code}"
        with httpx.Client(base_url=base) as logged_in:  # Gradio's own login page sets the session cookie
            assert logged_in.post("/login", data={"username": "reader", "password": "s3cret"}).status_code == 200
            response = logged_in.post("/gradio_api/cancel", json={"session_hash": "x", "fn_index": 1, "event_id": "e"})
            assert response.status_code not in (401, 403), "a logged-in user may still cancel"
        with pytest.raises(Exception):
            Client(app.local_url, verbose=False).predict(MET_QUESTION_EN, [], api_name="/chat")
        _, _, answer, _ = Client(app.local_url, auth=("reader", "s3cret"), verbose=False).predict(
            MET_QUESTION_EN, [], api_name="/chat"
        )
        assert not answer["abstained"]
    finally:
        app.close()


def test_article_view_marks_each_cited_sentence_and_escapes_the_article():
    text = "عنوان\n\nأول جملة <script>alert(1)</script>. الجملة المقتبسة هنا.\n\nفقرة أخرى مع [رابط](http://x) <img src=x onerror=alert(1)>."
    quote = "الجملة المقتبسة هنا."
    start = text.index(quote)
    answer = {"citations": [{"n": 1, "article_id": "a", "char_start": start, "char_end": start + len(quote)}]}
    view = ui.article_html(answer, {"a": text}.get)
    assert f"<mark id='cite-0-1'>{quote}</mark>" in view
    assert f"<mark id='cite-3-1'>{quote}</mark>" in ui.article_html(answer, {"a": text}.get, 3)
    assert "tabindex='0'" in view, "the scrolling region is reachable by keyboard"
    assert "<script>" not in view and "&lt;script&gt;" in view and "<img" not in view
    assert view.count("<p dir='auto'>") == 3  # paragraphs kept
    assert ui.article_html({}, {"a": text}.get) == ui.NO_ARTICLE
    assert ui.article_html(answer, {}.get) == ui.NO_ARTICLE  # the article was removed meanwhile


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (make test installs it)"
)
def test_markup_in_an_article_is_shown_as_text_and_never_runs(e5, tmp_path):
    from playwright.sync_api import sync_playwright

    from assistant import Assistant
    from tests.e2e.conftest import free_port

    article = tmp_path / "hostile.txt"
    article.write_text(
        "Summit news\n\n"
        "The ministers met in Geneva on Tuesday <script>alert(1)</script> to sign the water treaty.\n\n"
        "The treaty was signed by twelve countries <img src=x onerror=alert(2)> after long talks.\n",
        encoding="utf-8",
    )
    qa = Assistant.build(e5, tmp_path / "store")
    qa.ingest(article)
    app = ui.launch(qa, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    dialogs: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--no-first-run"])  # fmt: skip
            try:
                page = browser.new_page()
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.goto(app.local_url)
                box = page.locator("#question textarea")
                box.fill("Where did the ministers meet to sign the water treaty?")
                box.press("Enter")
                page.locator("#article-view mark#cite-0-1").wait_for(timeout=30_000)
                page.wait_for_timeout(500)  # time for anything injected to run
                shown = page.locator("#article-view").inner_text() + page.locator("#sources").inner_text()
                assert "<script>alert(1)</script>" in shown and "<img src=x onerror=alert(2)>" in shown
                assert (
                    page.locator("#article-view script, #article-view img, #sources script, #sources img").count() == 0
                )
            finally:
                browser.close()
    finally:
        app.close()
    assert dialogs == []


def test_an_uploaded_or_pasted_article_is_added_and_bad_input_is_explained(e5, tmp_path):
    from assistant import Assistant

    qa = Assistant.build(e5, tmp_path / "store")
    upload = tmp_path / "bridge.txt"
    upload.write_text(
        "New bridge opens\n\nThe new bridge over the river opened on Monday after three years of work.\n\n"
        "It cost 12 million dollars and carries four lanes of traffic.\n\n"
        "The mayor said the old ferry will keep running for tourists during the summer months.\n\n"
        "Engineers from three countries designed the steel arches, which span 400 metres.\n\n"
        "Local shops expect more customers now that the two halves of the town are joined.\n",
        encoding="utf-8",
    )
    assert "bridge — New bridge opens: added, 5 passages" in ui.from_plain_text(ui.add_article(qa, str(upload), None))
    pasted = "افتتح الجسر الجديد يوم الاثنين بعد ثلاث سنوات من العمل.\n\nوبلغت تكلفته 12 مليون دولار."
    message = ui.from_plain_text(ui.add_article(qa, None, pasted))
    assert message.startswith("pasted-") and ": added, " in message
    assert ui.add_article(qa, None, pasted).count("unchanged") == 1  # the same text twice is one article
    assert len(qa.list_articles()) == 2
    named = ui.from_plain_text(
        ui.add_article(qa, None, pasted + " وهو جسر معلق.", title=" الجسر الجديد ", article_id="bridge-ar")
    )
    assert named.startswith("bridge-ar — الجسر الجديد: added")
    assert ("الجسر الجديد (bridge-ar)", "bridge-ar") in ui.article_choices(qa), "the picker names it by its title"
    # An id with a path in it is made safe, and the message says the id it got.
    assert ui.from_plain_text(
        ui.add_article(qa, None, "نص آخر عن الجسر الجديد والنهر.", article_id="../etc")
    ).startswith("etc: added")
    qa.remove_article("etc")
    qa.remove_article("bridge-ar")
    assert len(qa.list_articles()) == 2
    answer = qa.ask("Who designed the steel arches of the bridge?")
    assert any("Engineers from three countries" in c.quote for c in answer.citations)

    binary = tmp_path / "upload-dir" / "photo.txt"
    binary.parent.mkdir()
    binary.write_bytes(b"\x89PNG\x00\x00")
    for path, text in ((str(binary), None), (None, "   "), (None, "٢")):
        assert ui.add_article(qa, path, text).startswith("⚠")
    assert "upload-dir" not in ui.add_article(qa, str(binary), None)  # the file's name, not the server's path
    assert len(qa.list_articles()) == 2  # nothing stored was lost

    # The same file uploaded again (Gradio gives each upload a new temporary folder): one article, replaced.
    again = tmp_path / "second-upload" / "bridge.txt"
    again.parent.mkdir()
    again.write_text(upload.read_text(encoding="utf-8").replace("12 million", "14 million"), encoding="utf-8")
    assert ": replaced, 5 passages" in ui.from_plain_text(ui.add_article(qa, str(again), None))
    assert len(qa.list_articles()) == 2
    # An id already taken by a file ingested from the server's disk: refused, naming no server path.
    elsewhere = tmp_path / "server-disk" / "harbour.txt"
    elsewhere.parent.mkdir()
    elsewhere.write_text(
        "The harbour of the town was rebuilt last year with new piers and cranes for ships.", encoding="utf-8"
    )
    qa.ingest(elsewhere)
    clash = tmp_path / "third-upload" / "harbour.txt"
    clash.parent.mkdir()
    clash.write_text(
        "Another text about a harbour, its fishing boats and the market next to the quay.", encoding="utf-8"
    )
    message = ui.from_plain_text(ui.add_article(qa, str(clash), None))
    assert message.startswith("⚠") and "rename the file" in message and str(tmp_path) not in message


def test_a_question_can_be_limited_to_chosen_articles_through_the_api(e5, tmp_path, sample_article):
    from gradio_client import Client

    from assistant import Assistant
    from tests.e2e.conftest import free_port

    qa = Assistant.build(e5, tmp_path / "store")
    qa.ingest_sample_if_empty()
    ui.add_article(
        qa, None, "Bridge news\n\nThe new bridge over the river opened on Monday after three years of work.\n\n"
        "Engineers from three countries designed the steel arches, which span 400 metres.\n\n"
        "The mayor said the old ferry will keep running for tourists during the summer months.\n\n"
        "Local shops expect more customers now that the two halves of the town are joined.\n",
    )  # fmt: skip
    ids = [value for _, value in ui.article_choices(qa)]
    bridge = next(i for i in ids if i.startswith("pasted-"))
    assert sample_article.article_id in ids
    app = ui.launch(qa, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    try:
        client = Client(app.local_url, verbose=False)
        question = "Who designed the steel arches of the bridge?"
        _, _, everywhere, _ = client.predict(question, [], api_name="/chat")  # the picker is optional
        _, _, none_chosen, _ = client.predict(question, [], [], api_name="/chat")
        history, _, unknown, _ = client.predict(question, [], ["no-such-article"], api_name="/chat")
        _, _, on_bridge, _ = client.predict(question, [], [bridge], api_name="/chat")
        _, _, on_sample, _ = client.predict(question, [], [sample_article.article_id], api_name="/chat")
        qa.ingest_text(
            "Harbour news\n\nThe old harbour got four new cranes for container ships this spring.", "harbour"
        )
        _, _, on_new, _ = client.predict("How many new cranes did the harbour get?", [], ["harbour"], api_name="/chat")
    finally:
        app.close()
    assert {c["article_id"] for c in on_new["citations"]} == {"harbour"}, "an article stored after the page loaded"
    assert {c["article_id"] for c in everywhere["citations"]} == {bridge}
    assert none_chosen == everywhere == qa.ask(question, article_ids=[]).to_dict(), "[] is every article, as in the API"
    assert "no article 'no-such-article' is stored" in unknown["error"] and "Choose articles" in unknown["error"]
    assert "is stored" in str(history[-1]), "said in the chat too, never a silent abstention"
    assert {c["article_id"] for c in on_bridge["citations"]} == {bridge}
    assert on_sample["abstained"] or bridge not in {c["article_id"] for c in on_sample["citations"]}


def test_the_answer_arrives_before_its_sources(app_url):
    from gradio_client import Client

    job = Client(app_url, verbose=False).submit(TRADE_QUESTION_AR, [], api_name="/chat")
    job.result(timeout=60)
    first, last = job.outputs()[0], job.outputs()[-1]
    assert len(job.outputs()) == 2
    assert first[0] == last[0] and "مليار دولار" in str(first[0])  # the answer is in the first update
    assert first[1] == ui.SOURCES_PENDING and "<mark>" in last[1]  # the sources in the second


def test_the_number_of_passages_is_a_setting_of_the_window_and_the_api(app_url, sample_assistant):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    _, _, one, _ = client.predict("كم مرة تحدث الرئيسان بشكل رسمي خلال جائحة كورونا؟", [], [], 1, api_name="/chat")
    assert len({c["passage_id"] for c in one["citations"]}) == 1  # quotes come from the best passage only
    with pytest.raises(AssistantError, match="top_k is 0"):
        sample_assistant.ask("متى؟", top_k=0)


@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_the_window_sees_articles_another_process_ingests_and_removes(mode, request, e5, tmp_path, sample_article):
    """Issue 17: with the window open, `article-qa ingest` and `remove` from the command line, into the same store."""
    import subprocess
    import sys

    from gradio_client import Client

    from assistant import Assistant
    from tests.e2e.conftest import free_port

    if mode == "server":
        host, port = request.getfixturevalue("chroma_server")
        where = ["--chroma-host", host, "--chroma-port", str(port), "--collection", "ui-server"]
        qa = Assistant.build(e5, tmp_path / "unused", "ui-server", chroma_host=host, chroma_port=port)
        location = f"chroma://{host}:{port}"
    else:
        store = tmp_path / "store"
        where = ["--store", str(store)]
        qa = Assistant.build(e5, store)
        location = str(store)
    qa.ingest_article(sample_article)
    app = ui.launch(qa, host="127.0.0.1", port=free_port(), block=False, quiet=True)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "assistant.cli", *args, *where], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done

    try:
        client = Client(app.local_url, verbose=False)
        client.predict(MET_QUESTION_EN, [], api_name="/chat")  # the window has answered (and indexed) before
        bridge = tmp_path / "aswan-bridge.txt"
        bridge.write_text(
            "New bridge opens in Aswan\n\nThe new bridge over the Nile in Aswan opened on Sunday. It carries 12,000 "
            "cars a day between the two banks of the river.\n\nEngineers from Egypt built it in three years.\n",
            encoding="utf-8",
        )
        done = cli("ingest", str(bridge))
        assert "aswan-bridge" in done.stdout and f"store {location} holds 2 articles" in done.stdout
        for question in ("How many cars does the bridge in Aswan carry a day?", "كم سيارة يعبر جسر أسوان يومياً؟"):
            _, _, answer, _ = client.predict(question, [], api_name="/chat")
            assert not answer["abstained"], question
            assert answer["citations"][0]["article_id"] == "aswan-bridge", question
            assert "12,000" in answer["citations"][0]["quote"]
        cli("remove", "aswan-bridge")
        _, _, answer, _ = client.predict("How many cars does the bridge in Aswan carry a day?", [], api_name="/chat")
        assert all(c["article_id"] != "aswan-bridge" for c in answer["citations"])
        _, _, answer, _ = client.predict(MET_QUESTION_EN, [], api_name="/chat")
        assert not answer["abstained"] and answer["citations"][0]["article_id"] == sample_article.article_id
    finally:
        app.close()


@pytest.mark.parametrize(
    ("message", "expect"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("ما " * 10_000, "error"),  # 30,000 characters
        ("😀🙏🔥", "abstain"),
        ("؟!!...؟", "abstain"),
        ("\u202e\u2066\u200f", "error"),  # only invisible direction controls
        ("متى التقى Putin و Xi شخصياً آخر مرة؟", "answer"),  # mixed scripts
        ("\u202eWhen did Putin and Xi last meet in person?", "answer"),
    ],
)
def test_odd_questions_get_a_reply_or_a_clear_error_never_a_crash(app_url, message, expect):
    from gradio_client import Client

    history, _, answer, _ = Client(app_url, verbose=False).predict(message, [], api_name="/chat")
    if expect == "empty":
        assert answer == {} and history == []
    elif expect == "error":
        assert answer["error"] and history[-1]["content"][0]["text"].startswith("⚠")
    else:
        assert answer["abstained"] is (expect == "abstain") and history[-1]["role"] == "assistant"


def test_eight_people_chatting_at_once_all_get_their_own_right_answers(app_url):
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    cases = [
        (TRADE_QUESTION_AR, "102.5"),
        (MET_QUESTION_EN, "نوفمبر 2019"),
        ("كم جندياً شارك في التدريبات العسكرية المشتركة؟", "10 آلاف"),
        ("What did the G7 foreign ministers demand from Russia?", "مجموعة السبع"),
    ] * 2

    def session(case: tuple[str, str]) -> tuple[str, list[dict]]:
        question, expected = case
        history, _, first, _ = Client(app_url, verbose=False).predict(question, [], api_name="/chat")
        return expected, first["citations"]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(session, cases))
    for expected, citations in results:
        assert any(expected in c["quote"] or expected in c["passage_text"] for c in citations), expected


def _queue_call(url: str, fn_index: int, data: list) -> dict:
    """Call an event of the app as its page does (Gradio's queue protocol); the final message."""
    import json
    import uuid

    import httpx

    session = uuid.uuid4().hex[:10]
    base = url.rstrip("/") + "/gradio_api"
    httpx.post(
        f"{base}/queue/join", json={"data": data, "fn_index": fn_index, "session_hash": session}
    ).raise_for_status()
    with httpx.stream("GET", f"{base}/queue/data", params={"session_hash": session}, timeout=60) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:") and '"process_completed"' in line:
                return json.loads(line[5:])
    raise AssertionError("no reply")


def test_the_upload_event_takes_only_files_uploaded_to_it_never_a_server_path(e5, tmp_path):
    from tests.e2e.conftest import free_port

    secret = tmp_path / "secret-plans.txt"
    secret.write_text(
        "The board discussed secret merger plans in Cairo on Monday, with three banks.\n", encoding="utf-8"
    )
    qa = empty_assistant(e5, tmp_path)
    app = ui.launch(qa, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    try:
        add = next(
            i for i, d in enumerate(app.config["dependencies"]) if len(d["inputs"]) == 4 and len(d["outputs"]) == 5
        )  # the Add button: file, pasted text, title, id
        file_data = {"path": str(secret), "orig_name": "secret-plans.txt", "meta": {"_type": "gradio.FileData"}}
        reply = _queue_call(app.local_url, add, [file_data, None, "", ""])
        assert reply["success"] is False
        assert qa.store.article_ids() == [], "nothing outside the uploads is read"
    finally:
        app.close()


def test_an_upload_over_the_size_limit_is_refused_by_the_server(e5, tmp_path):
    import httpx

    from ingest.loaders import MAX_FILE_BYTES
    from tests.e2e.conftest import free_port

    app = ui.launch(empty_assistant(e5, tmp_path), host="127.0.0.1", port=free_port(), block=False, quiet=True)
    try:
        big = b"x" * (MAX_FILE_BYTES + 1)
        response = httpx.post(
            app.local_url.rstrip("/") + "/gradio_api/upload", files={"files": ("big.txt", big)}, timeout=60
        )
        assert response.status_code in (400, 413), response.text[:200]
        small = httpx.post(
            app.local_url.rstrip("/") + "/gradio_api/upload", files={"files": ("ok.txt", b"hello")}, timeout=60
        )
        assert small.status_code == 200
    finally:
        app.close()


def empty_assistant(e5, tmp_path):
    from assistant import Assistant

    return Assistant.build(e5, tmp_path / "store")


@pytest.mark.slow
def test_messages_that_used_to_kill_the_window_get_a_reply_and_it_stays_up(tmp_path):
    """`article-qa ui` in its own process: an abort of the embedding engine would end it for everyone."""
    import subprocess
    import sys
    import time

    import httpx
    from gradio_client import Client

    from tests.e2e.conftest import free_port

    port = free_port()
    window = subprocess.Popen([sys.executable, "-m", "assistant.cli", "ui", "--port", str(port), "--store",
                               str(tmp_path / "store")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        url, deadline = f"http://127.0.0.1:{port}/", time.monotonic() + 120
        while True:
            try:
                if httpx.get(url).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert window.poll() is None and time.monotonic() < deadline, (
                window.stderr.read() if window.poll() is not None else "no answer"
            )
            time.sleep(0.5)
        client = Client(url, verbose=False)
        for message in ("ﷺ" * 12, "\u3300" * 300, "ﷺ" * 1000):
            history, _, answer, _ = client.predict(message, [], api_name="/chat")
            assert history[-1]["role"] == "assistant" and ("error" in answer or "abstained" in answer)
            assert window.poll() is None, "the window is still up"
        # A lone surrogate, as JSON can carry it ("\\ud83d") and a JavaScript string can hold it.
        body = json.dumps(
            {"data": ["abc\ud83dxyz", [], [], 3, "extractive"]}
        )  # ASCII escapes: httpx would refuse to encode it
        event = httpx.post(
            f"{url}gradio_api/call/chat", content=body, headers={"Content-Type": "application/json"}
        ).json()
        events = httpx.get(f"{url}gradio_api/call/chat/{event['event_id']}", timeout=60).text
        assert "event: complete" in events and "abc\ufffdxyz" in json.loads(events.split("data: ")[-1])[2]["question"]
        assert window.poll() is None
        _, _, answer, _ = client.predict(MET_QUESTION_EN, [], api_name="/chat")
        assert any("نوفمبر 2019" in c["quote"] for c in answer["citations"])
    finally:
        window.terminate()
        window.wait(timeout=30)


def test_a_failure_inside_the_assistant_is_a_plain_sentence_in_the_chat_and_a_traceback_in_the_log(
    sample_assistant, caplog
):
    from gradio_client import Client

    from assistant import Assistant
    from tests.e2e.conftest import free_port

    class Broken(Assistant):
        def stream(self, *args, **kwargs):
            raise RuntimeError("internal detail: segment reader failed")

    app = ui.launch(Broken.build(sample_assistant.embeddings, sample_assistant.store_path), host="127.0.0.1", port=free_port(),
                    block=False, quiet=True)  # fmt: skip
    try:
        with caplog.at_level("ERROR", logger="ui"):
            history, _, answer, _ = Client(app.local_url, verbose=False).predict(
                "متى التقى بوتين وشي؟", [], api_name="/chat"
            )
    finally:
        app.close()
    reply = history[-1]["content"][0]["text"]
    assert answer == {"error": ui.UNEXPECTED_ERROR["ar"]} and reply.startswith("⚠") and "segment reader" not in reply
    assert any("segment reader failed" in r.exc_text for r in caplog.records if r.exc_text)


def test_the_number_of_passages_a_program_sends_must_be_whole():
    from assistant import AssistantError

    assert ui._top_k(None) is None and ui._top_k(3.0) == 3 and ui._top_k(5) == 5
    for bad in (float("nan"), float("inf"), 2.5, "3", True):
        with pytest.raises(AssistantError, match="give a whole number of passages"):
            ui._top_k(bad)


def test_pasted_text_with_a_lone_surrogate_is_added(e5, tmp_path):
    qa = empty_assistant(e5, tmp_path)
    message = ui.add_article(
        qa, None, "Rail news\n\nThe new line \ud83dcarries 30,000 passengers a day between the two cities."
    )
    assert ": added" in ui.from_plain_text(message) and qa.store.article_ids()[0].startswith("pasted-")


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (make test installs it)"
)
def test_the_short_answer_is_marked_inside_the_highlighted_sentence_in_a_real_browser(app_url, tmp_path_factory):
    """An Arabic and an English question: the short answer is bold first in the reply and a second,
    stronger <mark> inside the cited sentence's <mark>, in the sources and in the article view."""
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path_factory.mktemp("short-answers"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(app_url)
            box = page.locator("#question textarea")
            for n, (question, span, direction) in enumerate(
                [
                    ("متى يعقد الرئيسان لقاءهما عبر الفيديو؟", "الأربعاء", "rtl"),
                    (MET_QUESTION_EN, "نوفمبر 2019", "ltr"),
                ],
                1,
            ):
                box.fill(question)
                box.press("Enter")
                reply = page.locator("#chat .bot-row .message-content").nth(n - 1)
                reply.locator("strong").wait_for(timeout=30_000)
                assert reply.locator("strong").inner_text() == f"\u2068{span}\u2069", "bold, isolated, first"
                first_line = reply.inner_text().splitlines()[0].strip()
                assert first_line.endswith(f"\u2068{span}\u2069 [1]"), "its marker stays after it"
                assert reply.evaluate("e => getComputedStyle(e).direction") == direction
                inner = page.locator("#article-view .turn:not([hidden]) mark[id^='cite-'] mark.short-answer")
                page.wait_for_function(
                    "s => (document.querySelector(\"#article-view .turn:not([hidden]) mark[id^='cite-'] mark.short-answer\") || {})"
                    ".innerText === s",
                    arg=span,
                    timeout=30_000,
                )
                assert inner.count() == 1
                sentence = inner.evaluate("m => m.parentElement.closest('mark').innerText")
                assert span in sentence and len(sentence) > len(span)
                assert page.locator("#sources .turn:not([hidden]) mark mark.short-answer").first.inner_text() == span
                outer, strong = inner.evaluate(
                    "m => [getComputedStyle(m.parentElement).backgroundColor, getComputedStyle(m).backgroundColor]"
                )
                assert outer != strong, "a stronger highlight than the sentence's"
                inner.scroll_into_view_if_needed()
                # The README's figure (docs/short-answer.jpg) is the first of these.
                page.screenshot(path=str(shots / f"short-answer-{n}.jpg"), type="jpeg", quality=70)
        finally:
            browser.close()


def test_the_reply_bolds_the_short_answer_once_and_opens_in_the_questions_language():
    from assistant.types import ShortAnswer

    quote = "ولم يلتق بوتين وشي شخصياً منذ نوفمبر 2019"
    c = Citation(1, "p", "a", quote, quote, 10, 10 + len(quote), 0.8)
    short = ShortAnswer("نوفمبر 2019", 10 + quote.index("نوفمبر"), 10 + len(quote), 1, "a", 0.5)
    extractive = Answer(
        "When?", "en", f"According to the article: نوفمبر 2019 [1]\n\n“{quote}” [1]", False, [c], short_answer=short
    )
    shown = ui.reply_markdown(extractive)
    assert shown.startswith("According to the article\\: **\u2068نوفمبر 2019\u2069** \\[1\\]")
    assert shown.count("**\u2068نوفمبر 2019\u2069**") == 1
    fallback = dataclasses.replace(extractive, text="The chat model gave no usable answer.\n\n" + extractive.text)
    assert ui.reply_markdown(fallback).count("**\u2068نوفمبر 2019\u2069**") == 1, "once, where the quotes open"
    generated = dataclasses.replace(extractive, mode="generative", text="They last met in November 2019 [1].")
    shown = ui.reply_markdown(generated)
    assert shown.startswith("Short answer\\: **\u2068نوفمبر 2019\u2069** \\[1\\]\n\nThey last met")
    turns = ui._turns([{"role": "assistant", "content": shown}])
    assert turns[0]["content"] == generated.text, "read back as the assistant wrote it"
    assert ui._turns([{"role": "assistant", "content": ui.reply_markdown(extractive)}])[0]["content"] == extractive.text
    typed = "Short answer: **this** [1]\n\nand that"
    assert ui._turns([{"role": "user", "content": ui.as_plain_text(typed)}])[0]["content"] == typed, "as typed"
    percent = dataclasses.replace(extractive, short_answer=dataclasses.replace(short, text="45%"))
    import markdown_it

    assert "<strong>\u206845%\u2069</strong>" in markdown_it.MarkdownIt().render(ui.reply_markdown(percent))


def test_a_store_that_stops_answering_is_said_in_the_question_language_without_internals(e5, tmp_path, sample_article):
    from gradio_client import Client

    from assistant import Assistant
    from tests.conftest import start_chroma_server, stop_chroma_server
    from tests.e2e.conftest import free_port

    process, port = start_chroma_server(tmp_path / "server")
    try:
        qa = Assistant.build(e5, tmp_path / "unused", chroma_host="127.0.0.1", chroma_port=port)
        qa.ingest_article(sample_article)
        app = ui.launch(qa, host="127.0.0.1", port=free_port(), block=False, quiet=True)
        client = Client(app.local_url, verbose=False)
        _, _, answer, _ = client.predict(MET_QUESTION_EN, [], api_name="/chat")
        assert not answer["abstained"]
    finally:
        stop_chroma_server(process)
    try:
        for question, expected in ((MET_QUESTION_EN, ui.STORE_BUSY["en"]), (TRADE_QUESTION_AR, ui.STORE_BUSY["ar"])):
            history, _, answer, _ = client.predict(question, [], api_name="/chat")
            assert answer == {"error": expected}
            assert ("مشغول" if question == TRADE_QUESTION_AR else "busy") in str(history[-1]["content"])
            assert not any(word in str(history) for word in ("Chroma", "Error", "Exception", "127.0.0.1"))
        # A server started again on the same port, over another directory: its collections are new
        # objects. The window takes them again by name at its next question.
        process, _ = start_chroma_server(tmp_path / "another", port)
        Assistant.build(e5, tmp_path / "unused", chroma_host="127.0.0.1", chroma_port=port).ingest_article(
            sample_article
        )
        _, _, answer, _ = client.predict(MET_QUESTION_EN, [], api_name="/chat")
        assert not answer.get("abstained", True) and answer["citations"], answer
        # The store gone for good (its collections deleted): said in the question's language, without internals.
        import chromadb

        server = chromadb.HttpClient(host="127.0.0.1", port=port)
        for c in server.list_collections():
            server.delete_collection(c.name)
        for question, expected in (
            (MET_QUESTION_EN, ui.STORE_FAILED["en"]),
            (TRADE_QUESTION_AR, ui.STORE_FAILED["ar"]),
        ):
            history, _, answer, _ = client.predict(question, [], api_name="/chat")
            assert answer == {"error": expected}
            assert not any(word in str(history) for word in ("Chroma", "Error", "Exception", "collection", "articles"))
    finally:
        app.close()
        stop_chroma_server(process)
