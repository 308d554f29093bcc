import pytest

from ingest import IngestError, load_article, sample_article_path


def test_sample_article_ships_with_the_package(sample_article):
    assert sample_article_path().is_file()
    assert sample_article.article_id == "000_f0911db09156c083"
    assert sample_article.title == "الشراكة والقضايا الإقليمية على طاولة مباحثات بوتين وشي"


def test_bom_and_crlf_are_cleaned(tmp_path):
    path = tmp_path / "news.md"
    path.write_bytes("\ufeff# عنوان\r\n\r\nنص المقال.\r\n".encode())
    article = load_article(path)
    assert article.text == "# عنوان\n\nنص المقال.\n"
    assert article.article_id == "news" and article.source == str(path)


def test_invalid_utf8_names_the_byte_offset(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes("نص".encode() + b"\xff\xfe rest")
    with pytest.raises(IngestError, match=r"not valid UTF-8 \(byte offset 4\)"):
        load_article(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"  \n\n ", "empty"),
        ("article.pdf", b"%PDF", "unsupported file type '.pdf'"),
        (
            "empty.html",
            b"<html><body><nav><a href='/'>Home</a></nav><script>x()</script></body></html>",
            "no article text",
        ),
        ("links.txt", "اقرأ أيضاً:\nرابط أول\nرابط ثان\n".encode(), "no text left after cleaning"),
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        load_article(path)


def test_missing_file(tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        load_article(tmp_path / "nope.txt")


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(IngestError, match="is a directory"):
        load_article(tmp_path)


def test_nul_bytes_mean_binary(tmp_path):
    path = tmp_path / "blob.txt"
    path.write_bytes(b"text\x00more")
    with pytest.raises(IngestError, match="binary data"):
        load_article(path)


def test_html_page_gives_the_same_passages_as_the_text(sample_article):
    from pathlib import Path

    from ingest import split_passages

    html_article = load_article(Path(__file__).parents[1] / "fixtures" / "sample_article.html")
    assert [p.text for p in split_passages(html_article)] == [p.text for p in split_passages(sample_article)]
    assert [p.section for p in split_passages(html_article)] == [p.section for p in split_passages(sample_article)]
    assert html_article.title == sample_article.title
    assert html_article.metadata()["published"] == "2021-12-15"
    assert html_article.metadata()["site"] == "الشرق للأخبار"
    for boilerplate in ("الرئيسية", "سياسة الخصوصية", "الأكثر قراءة", "track()", "بايدن وشي يعقدان"):
        assert boilerplate not in html_article.text


def test_html_string_and_metadata_without_gaps():
    from ingest.loaders import article_from_html

    html = (
        "<html><head><title>Trade grows</title></head><body><nav><a href='/'>Home</a></nav>"
        "<article><h1>Trade grows</h1><p>Trade between Russia and China grew by 29.8% this year, "
        "the customs office said on Monday in its quarterly report.</p>"
        "<p>Energy made up most of it, with coal and gas leading the list of goods.</p></article></body></html>"
    )
    article = article_from_html(html, "trade")
    assert article.title == "Trade grows" and article.language == "en"
    assert None not in article.metadata().values() and "published" not in article.metadata()
    assert "Home" not in article.text and "29.8%" in article.text


def test_unreachable_url_says_what_to_do():
    with pytest.raises(IngestError, match=r"could not fetch .*save the page as \.html"):
        load_article("http://127.0.0.1:9/news/article.html")


def test_line_breaks_and_text_outside_paragraphs_are_kept():
    from ingest.loaders import article_from_html

    html = (
        "<html><head><title>Ports strike</title></head><body><article><div><h1>Ports strike</h1>Dock workers "
        "walked out on Tuesday, cutting exports by 3 percent.<br><br>The union said talks would resume.</div>"
        "<p>The ministry said the strike ended on Tuesday.<br>The routes reopened on Wednesday morning.</p>"
        "<p>Officials expect exports to recover within a month as ships return.</p></article></body></html>"
    )
    text = article_from_html(html, "ports").text
    assert "cutting exports by 3 percent." in text
    assert "Tuesday.\nThe routes" in text and "Tuesday.The" not in text


def test_given_ids_are_checked_and_index_pages_take_their_folder_name(tmp_path):
    page = tmp_path / "port-strike" / "index.html"
    page.parent.mkdir()
    page.write_text(
        "<html><head><title>Strike</title></head><body><article><p>Dock workers walked out on Tuesday "
        "across the country's three main ports.</p></article></body></html>",
        encoding="utf-8",
    )
    assert load_article(page).article_id == "port-strike"
    with pytest.raises(IngestError, match="try 'خبر-اليوم'"):
        load_article(page, article_id="خبر اليوم")


def test_sources_are_recorded_as_absolute_paths(tmp_path, monkeypatch):
    (tmp_path / "notes.md").write_text("Some notes about the trade talks between the two countries.")
    monkeypatch.chdir(tmp_path)
    assert load_article("notes.md").source == str(tmp_path / "notes.md")
