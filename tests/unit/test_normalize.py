import pytest

from ingest.normalize import for_embedding, has_words, normalize, remove_invisible, remove_tashkeel


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


def test_for_embedding_keeps_spelling():
    assert for_embedding("\u202eمَتَى التَقَى الرَّئِيسَانِ؟") == "متى التقى الرئيسان؟"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("أحمد إبراهيم آمال ٱلله", "احمد ابراهيم امال الله"),  # alef forms
        ("على مستشفى", "علي مستشفي"),  # alef maqsura
        ("مدينة الشراكة", "مدينه الشراكه"),  # taa marbuta
        ("٢٠١٩ ۲۰۱۹ 2019", "2019 2019 2019"),  # Arabic-Indic and Persian digits
        ("١٠٢٫٥ مليار", "102.5 مليار"),  # Arabic decimal separator
        ("التجاری کبیر", "التجاري كبير"),  # Persian yeh and keheh
        ("Trade WAR", "trade war"),
        ("سُؤَال مسؤول رئيس شيء", "سؤال مسؤول رئيس شيء"),  # hamza on waw/yeh kept
    ],
)
def test_normalize_rules(text, expected):
    assert normalize(text) == expected


def test_nfd_input_is_composed_before_alef_folding():
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "أكد إن آخر")  # hamza forms split into alef + combining mark
    assert decomposed != "أكد إن آخر"
    assert normalize(decomposed) == "اكد ان اخر"


def test_query_digits_match_arabic_indic_text():
    assert normalize("2019") in normalize("منذ نوفمبر ٢٠١٩")


def test_query_without_tashkeel_matches_vowelled_text():
    assert normalize("التبادل التجاري") in normalize("حَجْمُ التَّبَادُلِ التِّجَارِيِّ بين البلدين")
