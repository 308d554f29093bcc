"""Questions about the sample article used across the tests, with what their answers must cite."""

# The two questions of issue 2: the trade figure ("102.5") and the last in-person meeting ("نوفمبر 2019").
TRADE_QUESTION_AR = "ما حجم التبادل التجاري بين البلدين في الأرباع الثلاثة الأولى؟"
MET_QUESTION_EN = "When did Putin and Xi last meet in person?"
OFF_TOPIC_QUESTIONS = [
    "Who won the football match between Real Madrid and Barcelona?",
    "من فاز بمباراة كرة القدم بين الأهلي والزمالك؟",
]
