"""The window as everyday readers use it, in Debian's chromium (Playwright): summaries, citations reached by
keyboard, feedback on answers, export, naming a pasted article, and an accessibility audit with axe-core."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import ui
from assistant import Assistant
from assistant.cli import main as cli
from assistant.evaluation import load_eval_set
from tests.e2e.conftest import free_port
from tests.questions import MET_QUESTION_EN, TRADE_QUESTION_AR

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (make test installs it)"
)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=shutil.which("chromium"), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def window(e5, tmp_path):
    """A window over a store of its own holding the sample article: ``(assistant, url)``."""
    qa = Assistant.build(e5, tmp_path / "store")
    qa.ingest_sample_if_empty()
    app = ui.launch(qa, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    try:
        yield qa, app.local_url
    finally:
        app.close()


def shots(tmp_path: Path) -> Path:
    """Where screenshots go: ``$SCREENSHOTS_DIR`` (to refresh the README's figures), else a temporary folder."""
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def ask(page, question: str, replies: int) -> None:
    """Type a question, press Enter, and wait until the chat holds ``replies`` answers with their panels."""
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#chat .bot-row').length === n"
        " && document.querySelectorAll('#sources .turn').length === n"
        " && !!document.querySelector(`#article-view .turn[data-turn='${n - 1}']`)",
        arg=replies,
        timeout=60_000,
    )


def test_a_summary_request_in_arabic_and_english_gets_cited_sentences_with_clickable_citations(
    window, browser, tmp_path
):
    qa, url = window
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    for turn, (request, lead, direction) in enumerate(
        [("لخص المقال", "ملخص «", "rtl"), ("What is this article about?", "Summary of “", "ltr")]
    ):
        ask(page, request, turn + 1)
        reply = page.locator("#chat .bot-row .message-content").nth(turn)
        assert reply.inner_text().strip().startswith(lead)
        assert reply.evaluate("e => getComputedStyle(e).direction") == direction
        links = reply.locator(".cite-link")
        assert 2 <= links.count() <= 4
        last = links.count()
        links.nth(last - 1).click()
        mark = page.locator(f"#article-view mark#cite-{turn}-{last}")
        assert "active" in (mark.get_attribute("class") or "")
        quote = page.locator(f"#sources #source-{turn}-{last} mark").inner_text()
        assert quote in mark.inner_text() and quote in reply.inner_text()
        if turn == 0:  # the README's figure (docs/summary.jpg)
            page.screenshot(path=str(shots(tmp_path) / "summary.jpg"), type="jpeg", quality=70)


def test_keyboard_alone_reaches_an_older_answers_citation_and_its_highlighted_sentence(window, browser, tmp_path):
    """From the question box, Tab only: the older answer's [2] is reached, named, ringed, and Enter shows its
    sentence highlighted in the article view, with that answer's sources."""
    qa, url = window
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    ask(page, "لخص المقال", 1)
    ask(page, MET_QUESTION_EN, 2)
    page.locator("#question textarea").focus()
    for _ in range(120):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const a = document.activeElement;"
            " return a && a.classList.contains('cite-link') ? [a.dataset.turn, a.dataset.n] : null; }"
        )
        if focused == ["0", "2"]:
            break
    else:
        pytest.fail("120 presses of Tab never reached the older answer's [2]")
    link = page.locator("#chat .cite-link:focus")
    assert link.get_attribute("aria-label").startswith("المصدر 2: "), "an accessible name: the source and its quote"
    assert link.evaluate("a => getComputedStyle(a).outlineStyle") == "solid", "a visible focus ring"
    assert link.evaluate("a => parseFloat(getComputedStyle(a).outlineWidth)") >= 2
    page.keyboard.press("Enter")
    mark = page.locator("#article-view mark#cite-0-2")
    page.wait_for_function("() => document.querySelector('#article-view mark#cite-0-2').classList.contains('active')")
    assert page.locator("#article-view .turn:not([hidden])").get_attribute("data-turn") == "0"
    assert page.locator("#sources .turn:not([hidden])").get_attribute("data-turn") == "0"
    assert mark.inner_text() in page.locator("#chat .bot-row .message-content").first.inner_text()
    visible = mark.evaluate(
        """m => { const v = m.closest('.article-scroll').getBoundingClientRect(), r = m.getBoundingClientRect();
                  return r.height > 0 && r.top >= v.top - 1 && r.bottom <= v.bottom + 1; }"""
    )
    assert visible, "the sentence is scrolled into the article view"
    assert page.evaluate("() => document.activeElement.dataset.n") == "2", "the focus stays on the link"
    link.scroll_into_view_if_needed()
    page.screenshot(path=str(shots(tmp_path) / "keyboard-focus.jpg"), type="jpeg", quality=70)


def test_a_thumbs_down_is_kept_beside_the_store_and_exported_as_a_test_set_eval_reads(window, browser, tmp_path):
    qa, url = window
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    ask(page, TRADE_QUESTION_AR, 1)
    ask(page, MET_QUESTION_EN, 2)
    # Gradio's own buttons under each answer (only answers have them: like_user_message is off).
    page.locator("#chat button[aria-label='Dislike']").nth(0).click()
    page.locator("#chat button[aria-label='Like']").nth(1).click()
    path = qa.store_path / "feedback.jsonl"
    for _ in range(100):
        if path.is_file() and len(path.read_text(encoding="utf-8").splitlines()) == 2:
            break
        page.wait_for_timeout(100)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["question"], r["liked"]) for r in rows] == [(TRADE_QUESTION_AR, False), (MET_QUESTION_EN, True)]
    wrong = rows[0]
    assert wrong["mode"] == "extractive" and wrong["time"] and wrong["citations"]
    c = wrong["citations"][0]
    assert qa.article_text(c["article_id"])[c["char_start"] : c["char_end"]] == c["quote"]
    assert "102.5" in wrong["answer"]

    out = tmp_path / "marked-wrong.jsonl"
    assert cli(["feedback", "export", "--out", str(out), "--store", str(qa.store_path)]) == 0
    questions = load_eval_set(out).questions
    assert [(q.question, q.answerable, q.marked_wrong) for q in questions] == [
        (TRADE_QUESTION_AR, None, wrong["answer"])
    ]
    report_dir = tmp_path / "report"
    assert cli(["eval", str(out), "--store", str(qa.store_path), "--out", str(report_dir)]) == 0
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert report["n_unlabelled"] == 1 and report["feedback"] == {"marked_wrong": 1, "answered_otherwise": 0.0}


def test_a_chat_is_exported_as_markdown_and_json_with_its_citations(window, browser, tmp_path):
    qa, url = window
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(url)
    ask(page, "لخص المقال", 1)
    ask(page, MET_QUESTION_EN, 2)
    page.locator("#export").click()
    links = page.locator("#exported a[download]")
    links.first.wait_for(timeout=30_000)
    files = {}
    for i in range(links.count()):
        with page.expect_download() as download:
            links.nth(i).click()
        target = tmp_path / download.value.suggested_filename
        download.value.save_as(target)
        files[target.suffix] = target.read_text(encoding="utf-8")
    markdown, document = files[".md"], json.loads(files[".json"])
    assert markdown.startswith("# article-qa conversation")
    assert "## 1. السؤال: لخص المقال" in markdown and f"## 2. Question: {MET_QUESTION_EN}" in markdown
    assert "نوفمبر 2019" in markdown and "characters " in markdown
    turns = document["turns"]
    assert [t["question"] for t in turns] == ["لخص المقال", MET_QUESTION_EN] and turns[0]["summary"]
    for turn in turns:
        for c in turn["citations"]:
            assert qa.article_text(c["article_id"])[c["char_start"] : c["char_end"]] == c["quote"]
            assert f"> {c['quote']}" in markdown
    assert turns[1]["short_answer"]["text"] == "نوفمبر 2019"


def test_a_pasted_article_gets_its_title_and_id_and_an_upload_is_cleared_after_add(window, browser, tmp_path):
    qa, url = window
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_text("Add an article · أضف مقالاً").click()
    page.locator("#pasted textarea").fill(
        "افتتحت المدينة جسراً جديداً فوق النهر يوم الاثنين بعد ثلاث سنوات من العمل.\n\nوبلغت تكلفته 12 مليون دولار."
    )
    page.locator("#pasted-title textarea, #pasted-title input").first.fill("الجسر الجديد")
    page.locator("#pasted-id textarea, #pasted-id input").first.fill("bridge-2026")
    page.get_by_role("button", name="Add · أضف").click()
    page.wait_for_function("() => (document.querySelector('#added') || {}).innerText?.includes(': added')")
    assert "bridge-2026 — الجسر الجديد: added" in page.locator("#added").inner_text()
    assert page.locator("#pasted textarea").input_value() == "", "the box is cleared for the next article"
    assert {"article_id": "bridge-2026", "title": "الجسر الجديد"}.items() <= next(
        a for a in qa.list_articles() if a["article_id"] == "bridge-2026"
    ).items()
    page.locator("#articles input").click()
    page.get_by_role("option", name="الجسر الجديد (bridge-2026)").wait_for(timeout=10_000)

    upload = tmp_path / "harbour.txt"
    upload.write_text(
        "Harbour reopens\n\nThe harbour reopened on Friday with new piers for fishing boats.\n", encoding="utf-8"
    )
    page.keyboard.press("Escape")
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_text("harbour.txt").first.wait_for(timeout=10_000)
    page.get_by_role("button", name="Add · أضف").click()
    page.wait_for_function(
        "() => (document.querySelector('#added') || {}).innerText?.includes('harbour — Harbour reopens: added')"
    )
    page.wait_for_function("() => !document.body.innerText.includes('harbour.txt')", timeout=10_000)


def test_the_page_has_no_serious_or_critical_accessibility_violation(window, browser):
    """axe-core's audit (its pinned release from the npm registry, :mod:`tests.axe`) after a summary, a
    question in each language and the add-an-article panel opened: 0 serious or critical violations."""
    from tests.axe import axe_script

    try:
        script = axe_script()
    except RuntimeError as exc:
        pytest.fail(f"axe-core is needed for this test: {exc}")
    qa, url = window
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    ask(page, "لخص المقال", 1)
    ask(page, TRADE_QUESTION_AR, 2)
    ask(page, MET_QUESTION_EN, 3)
    page.get_by_text("Add an article · أضف مقالاً").click()
    page.add_script_tag(path=str(script))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, ensure_ascii=False, indent=1)
    landmarks = page.evaluate(
        "() => [...document.querySelectorAll('[role=region][aria-label]')].map(e => e.getAttribute('aria-label'))"
    )
    assert landmarks.index("Sources · المصادر") < landmarks.index("Article · المقال")
