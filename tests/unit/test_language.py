import pytest

from ingest.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ما حجم التبادل التجاري؟", "ar"),
        ("When did Putin and Xi last meet?", "en"),
        ("ما هو G20؟", "ar"),
        ("كم بلغت التجارة في 2019؟", "ar"),
        ("What does «الشرق» mean in this headline?", "en"),
        ("أين يقع Energiprojekt AB؟", "ar"),  # XQuAD: a long Latin name in an Arabic question
        ("Where is شركة الطاقة based?", "en"),
        ("ﻣﺎ ﻫﻮ", "ar"),  # presentation forms
        ("2019", "en"),
        ("؟؟؟", "ar"),  # no letters, Arabic question marks
        ("٢٠١٩", "ar"),
        ("", "en"),
        ("🙂🙂", "en"),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language
