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


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.txt", b"  \n\n ", "empty"),
    ("article.pdf", b"%PDF", "unsupported file type '.pdf'"),
])
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
