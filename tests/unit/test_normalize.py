from ingest.normalize import has_words, remove_invisible, remove_tashkeel


def test_remove_tashkeel_and_tatweel():
    assert remove_tashkeel("مَا حَجْمُ التَّبَادُلِ التِّجَارِيِّ؟") == "ما حجم التبادل التجاري؟"
    assert remove_tashkeel("شخصياً") == "شخصيا"
    assert remove_tashkeel("التجـــارة") == "التجارة"
    assert remove_tashkeel("ٰ") == ""  # superscript alef


def test_remove_tashkeel_keeps_hamza_forms_and_digits():
    assert remove_tashkeel("أإآؤئء ١٠٢٫٥ 102.5") == "أإآؤئء ١٠٢٫٥ 102.5"


def test_remove_invisible_controls():
    assert remove_invisible("\u202eما\u200f هو\u200b\u2066G20\u2069؟\ufeff") == "ما هوG20؟"


def test_has_words():
    assert has_words("G20") and has_words("٢٠١٩") and has_words("ما")
    assert not has_words("?!...؟") and not has_words("😀😀") and not has_words("")
