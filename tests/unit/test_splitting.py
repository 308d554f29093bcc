import pytest

from ingest.loaders import article_from_text
from ingest.splitting import heading_text, split_paragraphs, split_passages, split_sentences, version_of


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def test_arabic_comma_and_semicolon_never_end_a_sentence():
    text = "قال الكرملين، في بيان، إن المحادثات ستركز على التعاون؛ وأضاف أنها مهمة. ثم انتهى."
    assert sentences(text) == [
        "قال الكرملين، في بيان، إن المحادثات ستركز على التعاون؛ وأضاف أنها مهمة.",
        "ثم انتهى.",
    ]


def test_arabic_question_mark_and_exclamation_end_sentences():
    assert sentences("هل التقى الرئيسان؟ نعم! التقيا عبر الفيديو.") == [
        "هل التقى الرئيسان؟",
        "نعم!",
        "التقيا عبر الفيديو.",
    ]


def test_decimal_points_do_not_end_sentences():
    text = "نما حجم التجارة بنسبة 29.8%، ليصل إلى 102.5 مليار دولار. وانخفض 2.9% فقط."
    assert sentences(text) == ["نما حجم التجارة بنسبة 29.8%، ليصل إلى 102.5 مليار دولار.", "وانخفض 2.9% فقط."]


def test_english_abbreviations_and_initials_do_not_end_sentences():
    text = "Mr. Putin met U.S. officials. J. Smith said so? Yes."
    assert sentences(text) == ["Mr. Putin met U.S. officials.", "J. Smith said so?", "Yes."]


def test_closing_quote_stays_with_its_sentence():
    text = 'قالت الوزارة إن اللقاء "سيعزز الثقة." وأضافت شيئاً.'
    assert sentences(text) == ['قالت الوزارة إن اللقاء "سيعزز الثقة."', "وأضافت شيئاً."]


def test_line_breaks_end_sentences_and_text_without_terminator_is_one_sentence():
    assert sentences("سطر أول\nسطر ثان بلا نقطة") == ["سطر أول", "سطر ثان بلا نقطة"]
    assert sentences("   ") == []


def test_sentence_offsets_index_the_text():
    text = "  أولاً.   ثانياً؟\n\nثالثاً!  "
    for a, b in split_sentences(text):
        assert text[a:b] == text[a:b].strip() and text[a:b]


def test_paragraphs_are_separated_by_blank_lines():
    text = "أ ب.\nج د.\n \t\nهـ و.\n\n\n"
    assert [text[a:b] for a, b in split_paragraphs(text)] == ["أ ب.\nج د.", "هـ و."]


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("توتر متصاعد", "توتر متصاعد"),
        ("## Trade and exercises", "Trade and exercises"),
        ("اقرأ أيضاً:", None),
        ("جملة كاملة.", None),
        ("one two three four five six seven eight nine", None),
        ("سطر\nسطر", None),
    ],
)
def test_heading_detection(block, expected):
    assert heading_text(block) == expected


def test_passages_round_trip_offsets_and_carry_sections(sample_article):
    passages = split_passages(sample_article)
    assert passages, "the sample article yields passages"
    for i, p in enumerate(passages):
        assert sample_article.text[p.char_start : p.char_end] == p.text
        assert p.passage_idx == i
        assert p.article_id == sample_article.article_id
    by_text = {p.text[:20]: p for p in passages}
    assert all(not p.text.startswith(sample_article.title) for p in passages), "the title is not a passage"
    trade = next(p for p in passages if "102.5" in p.text)
    assert trade.section == "التجارة والتدريبات العسكرية"
    assert next(p for p in passages if "مجموعة السبع في البيان" in p.text).section == "توتر متصاعد"
    assert passages[0].section is None and by_text


def test_passage_ids_are_deterministic_and_unique(sample_article):
    first = [p.passage_id for p in split_passages(sample_article)]
    again = [p.passage_id for p in split_passages(article_from_text(sample_article.text, sample_article.article_id))]
    assert first == again
    assert len(set(first)) == len(first)
    assert all(pid.startswith(sample_article.article_id + "-") for pid in first)


def test_an_edited_article_gets_ids_of_a_new_version(sample_article):
    edited = article_from_text(sample_article.text.replace("102.5", "103.5"), sample_article.article_id)
    old, new = split_passages(sample_article), split_passages(edited)
    assert [p.text for p in old if "102.5" not in p.text] == [p.text for p in new if "103.5" not in p.text]
    assert not {p.passage_id for p in old} & {p.passage_id for p in new}
    assert len({version_of(p) for p in old}) == 1 and version_of(old[0]) != version_of(new[0])


def test_equal_sentences_in_one_article_get_distinct_ids():
    article = article_from_text("نص مكرر في الخبر هنا.\n\nنص مكرر في الخبر هنا.\n\nنص آخر مختلف عن السابق.", "dup")
    ids = [p.passage_id for p in split_passages(article)]
    assert len(ids) == 3 and len(set(ids)) == 3


def test_splitting_settings_are_part_of_the_version(sample_article):
    a = split_passages(sample_article, 800)
    b = split_passages(sample_article, 700)
    assert [p.text for p in a] == [p.text for p in b] and version_of(a[0]) != version_of(b[0])


def test_long_paragraph_is_packed_into_passages_of_whole_sentences():
    body = " ".join(f"هذه الجملة رقم {i} من فقرة طويلة." for i in range(40))
    article = article_from_text(body, "long")
    passages = split_passages(article, 200)
    assert len(passages) > 1
    assert all(len(p.text) <= 200 for p in passages)
    assert all(p.text.endswith(".") for p in passages)
    assert " ".join(p.text for p in passages) == body


def test_sizes_must_be_valid(sample_article):
    with pytest.raises(ValueError, match="max_size"):
        split_passages(sample_article, 0)
    with pytest.raises(ValueError, match="overlap"):
        split_passages(sample_article, overlap=-1)


def test_every_sentence_of_a_passage_has_its_offsets(sample_article):
    for p in split_passages(sample_article):
        assert p.sentences and p.sentences[0][0] == p.char_start and p.sentences[-1][1] == p.char_end
        for a, b in p.sentences:
            assert p.char_start <= a < b <= p.char_end
            assert sample_article.text[a:b] in p.text
    trade = next(p for p in split_passages(sample_article) if "102.5" in p.text)
    assert [sample_article.text[a:b][:6] for a, b in trade.sentences] == ["وانخفض"]


def test_size_can_be_measured_in_any_unit():
    body = " ".join(f"الجملة رقم {i}." for i in range(30))
    words = lambda t: len(t.split())  # noqa: E731 - a unit for the test
    passages = split_passages(article_from_text(body, "w"), 10, measure=words)
    assert all(len(p.text.split()) <= 10 for p in passages) and len(passages) == 10


def test_overlap_repeats_the_last_sentences():
    body = " ".join(f"هذه الجملة رقم {i} من الفقرة." for i in range(12))
    plain = split_passages(article_from_text(body, "o"), 120)
    overlapped = split_passages(article_from_text(body, "o"), 120, overlap=1)
    assert len(overlapped) > len(plain)
    for before, after in zip(overlapped, overlapped[1:]):
        assert after.sentences[0] == before.sentences[-1]


def test_sentence_longer_than_a_passage_is_cut_at_word_boundaries():
    body = " ".join(["كلمة"] * 500)  # 2,499 characters, no punctuation
    passages = split_passages(article_from_text(body, "one-line"), 800)
    assert all(len(p.text) <= 800 and not p.text.startswith(" ") for p in passages)
    assert " ".join(p.text for p in passages) == body
    assert all(body[p.char_start : p.char_end] == p.text for p in passages)


def test_a_word_longer_than_a_passage_is_cut_hard():
    body = "x" * 2000
    passages = split_passages(article_from_text(body, "blob"), 800, min_words=1)
    assert all(len(p.text) <= 800 for p in passages) and "".join(p.text for p in passages) == body


def test_fragments_too_short_to_answer_are_not_passages(sample_article):
    texts = [p.text for p in split_passages(sample_article)]
    assert "اقرأ أيضاً:" not in texts
    assert all(len(t.split()) >= 4 for t in texts)
