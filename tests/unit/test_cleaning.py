from ingest.cleaning import clean_article_text


def test_a_line_repeated_right_after_itself_is_kept_once():
    text = "العنوان\n\nصورة الرئيس. - REUTERS\nصورة الرئيس. - REUTERS\n\nالنص الأول.\n"
    assert clean_article_text(text).text == "العنوان\n\nصورة الرئيس. - REUTERS\n\nالنص الأول.\n"


def test_the_same_line_far_apart_is_kept():
    text = "العنوان\n\nجملة.\n\nجملة أخرى.\n\nجملة.\n"
    assert clean_article_text(text).text == text


def test_dateline_becomes_metadata():
    cleaned = clean_article_text("العنوان\n\nدبي -الشرق\n\nيعقد الرئيسان لقاء.\n")
    assert cleaned.dateline == "دبي -الشرق"
    assert "دبي -الشرق" not in cleaned.text
    assert clean_article_text("Title\n\nMOSCOW - Reuters\n\nText.\n").dateline == "MOSCOW - Reuters"


def test_title_and_body_lines_are_never_datelines():
    assert clean_article_text("Biden - Xi\n\nBody text here.\n").dateline is None
    assert clean_article_text("T\n\nالنص - كله جملة طويلة فيها نقطة.\n").dateline is None


def test_read_also_and_everything_after_it_are_dropped():
    for marker in ("اقرأ أيضاً:", "اقرأ أيضا", "إقرأ أيضاً:", "Read more:", "Related articles"):
        cleaned = clean_article_text(f"العنوان\n\nالنص.\n\n{marker}\nرابط أول\nرابط ثان\n")
        assert cleaned.text == "العنوان\n\nالنص.\n", marker
        assert cleaned.dropped_lines == 3


def test_sample_article_quirks(sample_article):
    text = sample_article.text
    caption = "الرئيس الروسي فلاديمير بوتين يحضر قمة مجموعة العشرين عبر الفيديو"
    assert text.count(caption) == 1
    assert "اقرأ أيضاً" not in text and "دبي -الشرق" not in text
    assert sample_article.dateline == "دبي -الشرق"


def test_read_also_in_the_middle_drops_its_list_and_keeps_the_story():
    text = "T\n\nالنص الأول.\n\nاقرأ أيضاً:\n\nعنوان خبر أول\nعنوان خبر ثان\n\nويعاني الأردن من شح المياه.\n"
    assert clean_article_text(text).text == "T\n\nالنص الأول.\n\nويعاني الأردن من شح المياه.\n"


def test_read_more_with_its_link_on_the_line_is_dropped():
    text = "T\n\nBody one.\n\nRead more: Chile's copper exports hit record\n\nMore story here.\n"
    assert clean_article_text(text).text == "T\n\nBody one.\n\nMore story here.\n"


def test_scores_and_subtitles_are_not_datelines():
    for line in ("Real Madrid 2 - 1 Barcelona", "Russia - Ukraine talks"):
        cleaned = clean_article_text(f"Title\n\n{line}\n\nBody text here.\n")
        assert cleaned.dateline is None and line in cleaned.text
    assert clean_article_text("T\n\nعمّان -الأفق\n\nالنص.\n").dateline == "عمّان -الأفق"
