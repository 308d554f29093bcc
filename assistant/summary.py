"""Summary and topic requests: "لخص المقال", "What is this article about?", "summarise the part about trade".

A request is recognised without a language model (:func:`summary_request`), by
patterns over the normalised message (:func:`ingest.normalize.normalize`: no
diacritics, one alef, ة → ه). It is answered with an extractive summary
(:func:`select_sentences`): a few of the article's own sentences, each cited,
in article order. The choice works over the sentence embeddings stored at
ingestion:

* a whole article: its lead first (news leads carry the story's who-what-when;
  the most central of its first :data:`LEAD_SENTENCES` sentences, as the very
  first may be a photo's caption), then greedy maximal marginal relevance (Carbonell and
  Goldstein 1998) towards the article's centroid, the centrality measure of
  centroid-based summarisation (Radev et al. 2004), with a bonus for a passage
  not yet drawn on, so the summary covers the article rather than one part;
* a part of it ("the part about trade"): maximal marginal relevance towards the
  topic's query embedding, over the sentences of the passages retrieval finds for it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answer import MIN_QUOTE_WORDS, QUOTE_MARKS, ScoredSentence, abstain, quoted_block
from assistant.types import Answer, Citation, RetrievedPassage
from ingest.language import Language
from ingest.normalize import normalize
from ingest.types import Passage

#: Words of a message that ask for a summary or the topic, normalised (:func:`ingest.normalize.normalize`).
_ARTICLE = r"(?:هذا\s+)?(?:لل|ل|ال)?(?:مقال|خبر|نص|تقرير|قصه)"
_WHAT = r"(?:ماذا|مذا|ايش|شو|ايه|وش|اي شي)"
_AR_SUMMARY = re.compile(
    "|".join(
        [
            r"(?:^|\s)[وف]?(?:لخص|لخصي|لخصلي|لخصو|اختصر|اختصري)(?:\s|$|[?.!])",  # summarise (imperative)
            # a summary, asked for: "أعطني ملخصاً", "ملخص المقال", "تلخيص سريع"
            r"(?:اعطني|اعطيني|اريد|ابغي|ابي|عايز|عاوز|بدي|اكتب|قدم|هات|ممكن)\s+(?:لي\s+)?(?:ملخص|تلخيص|خلاصه|نبذه)",
            rf"(?:^|\s)(?:ال)?(?:ملخص|ملخصا|تلخيص|خلاصه|نبذه)(?:\s+(?:عن\s+)?{_ARTICLE})?\s*(?:$|[?.!:]|من فضلك|لو سمحت|سريع|قصير|مختصر)",
            rf"(?:ملخص|تلخيص|خلاصه|نبذه)\s+{_ARTICLE}",
            r"(?:^|\s)باختصار|فكره عامه",
            # what is it about: "ما موضوع المقال؟", "عن ماذا يتحدث الخبر؟", "المقال بيتكلم عن ايه؟"
            rf"(?:ما|ماهو|ما هو|ما هي|{_WHAT})\s+(?:ال)?(?:موضوع|فكره|محور|مضمون|مغزي)(?:\s+(?:ال)?(?:رئيسي|رئيسيه|اساسي|اساسيه|عام))?"
            rf"\s*(?:$|[?.!]|{_ARTICLE})",
            rf"(?:عن|عم|علي)\s*{_WHAT}\s+(?:ي|بي|ت|بت)?(?:تحدث|تكلم|دور|حكي|حكا)",
            rf"{_ARTICLE}\s+(?:ي|بي)?(?:تحدث|تكلم|دور|حكي|قول|تناول)\s+(?:عن\s+)?{_WHAT}",
            rf"(?:ماذا|ما الذي|ايش|شو|وش)\s+(?:ي|بي)?(?:قول|تناول|ذكر|حكي|تكلم)\s+{_ARTICLE}",
            r"(?:اهم|ابرز)\s+(?:ما|النقاط|الافكار|الاحداث|المعلومات)\s*(?:في|جاء|ورد|ذكر|$)",
            r"(?:النقاط|الافكار)\s+(?:ال)?(?:رئيسيه|اساسيه|مهمه)",
            # colloquial: "اعطني فكرة عن المقال", "وش سالفة المقال؟", "ايش القصة؟", "عطني الزبدة", "الخبر ده عن ايه؟"
            rf"(?:اعطني|اعطيني|عطني|هات|ابي|ابغي|بدي)\s+(?:لي\s+)?(?:فكره|الزبده|الخلاصه|نبذه)(?:\s+عن\s+{_ARTICLE})?\s*(?:$|[?.!])",
            rf"(?:وش|ايش|شو|ايه|ما)\s+(?:سالفه|قصه|حكايه|الحكايه|القصه|السالفه)(?:\s+{_ARTICLE})?\s*(?:$|[?.!])",
            rf"{_ARTICLE}\s+(?:ده|دا|هذا|هاد)?\s*(?:بيتكلم|يتكلم|بيحكي|يحكي)?\s*(?:عن|على)\s+{_WHAT}\s*(?:$|[?.!])",
            rf"(?:اهم|ابرز)\s+ما\s+(?:تناوله|ذكره|قاله|جاء في|ورد في)\s+{_ARTICLE}",
        ]
    )
)
_EN_SUMMARY = re.compile(
    r"\b(?:summari[sz](?:e|ing)|sum (?:it |this |that )?up|tl;? ?dr|gist|in a nutshell|recap"
    r"|(?:give|write|show|want|need|get|provide|a|short|brief|quick)(?: me)? (?:a |the )?(?:short |brief |quick )?summary"
    r"|^summary\b|\bsummary(?: please| pls)?[.!?]*$"
    r"|what happened in (?:this|the) (?:article|story|piece|report|news)\b|what(?:'s| is) the story(?: here)?\s*[.?!]*$"
    r"|break (?:it|this) down|brief me|fill me in"
    r"|overview|(?:main|key) (?:points?|ideas?|takeaways?|facts)(?! (?:of|in|from) (?!(?:this|the|that) (?:article|story|piece|text|report|news)))|highlights"
    r"|what(?:'s|s| is| are)? (?:this|the|that|it)(?: (?:article|story|piece|text|report|news|item|post))? (?:all )?about\b\s*[.?!]*$"
    r"|what(?:'s|s| is) (?:the|its) (?:main |central )?(?:topic|subject|idea|point)(?: of (?:this|the) (?:article|story|piece|text|report))?\s*[.?!]*$"
    r"|what (?:does|do) (?:this|the) (?:article|story|piece|text|report) (?:say|cover|discuss|talk about|tell)"
    r")",
    re.IGNORECASE,
)
#: What follows a topic-scoped request's preposition and names the part ("the part about trade").
_AR_TOPIC = re.compile(
    r"(?:^|\s)(?:عن|حول|بخصوص|فيما يخص|ما يخص|المتعلق ب|المتعلقه ب|الخاص ب|الخاصه ب|ما يتعلق ب|بشان)\s*(?P<topic>.+)$"
)
_EN_TOPIC = re.compile(r"\b(?:about|on|regarding|concerning|covering)\s+(?P<topic>.+)$", re.IGNORECASE)
#: Words that are not a topic after the preposition: question words, or the article itself.
_NOT_A_TOPIC = re.compile(
    rf"^(?:{_WHAT}|ما|it|this|that|what)(?:\s|$)"
    rf"|^(?:{_ARTICLE}|هذا|the (?:article|story|piece|text|report))\s*$",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"[\s?.!,;:؟،]+$")


@dataclass(frozen=True, slots=True)
class SummaryRequest:
    """A message recognised as asking for a summary (:func:`summary_request`).

    Attributes:
        topic: The part asked about as the message writes it ("trade", "المناورات العسكرية"), or ``None``
            for the whole article.
    """

    topic: str | None = None


def summary_request(message: str, language: Language) -> SummaryRequest | None:
    """Whether ``message`` asks for a summary or the topic of the article (or of a part of it).

    Args:
        message: The question as asked.
        language: Its language (:func:`ingest.language.detect_language`); both languages' patterns are
            tried, so an English request typed beside Arabic words is still one.

    Returns:
        A :class:`SummaryRequest` (with the topic of a scoped request), or ``None`` for any other question.
    """
    text = normalize(message).strip()
    if not (_AR_SUMMARY.search(text) or _EN_SUMMARY.search(text)):
        return None
    return SummaryRequest(_topic(message, text))


def _topic(message: str, text: str) -> str | None:
    """The words naming the part a scoped request asks about, as ``message`` writes them; ``None`` if none."""
    for pattern in (_AR_TOPIC, _EN_TOPIC):
        found = pattern.search(text)
        if found is None:
            continue
        topic = _TRAILING.sub("", found.group("topic")).strip()
        if not topic or _NOT_A_TOPIC.match(topic):
            continue
        words = topic.split()
        # The message's own words: as many words at its end, before its punctuation, without a
        # prefix the normalised topic leaves out ("بالطاقة" → "الطاقة").
        written = _TRAILING.sub("", message.strip()).split()
        if len(written) < len(words):
            return topic
        written = written[-len(words) :]
        first = normalize(written[0])
        if first != words[0] and first.endswith(words[0]) and len(written[0]) == len(first):
            written[0] = written[0][len(first) - len(words[0]) :]
        return " ".join(written)
    return None


@dataclass(frozen=True, slots=True)
class SummarySentence:
    """A sentence chosen for a summary.

    Attributes:
        passage: The passage it is in.
        char_start: Its offset in the article text.
        char_end: One past its end.
        text: The sentence, ``article_text[char_start:char_end]``.
        score: Its closeness to what is summarised: cosine similarity to the article's centroid (whole
            article) or to the topic's query embedding, in [-1, 1].
    """

    passage: Passage
    char_start: int
    char_end: int
    text: str
    score: float


#: Most and fewest sentences of one article's summary (the issue asks for 2 to 4).
MIN_SENTENCES, MAX_SENTENCES = 2, 4
#: Weight of closeness against redundancy in maximal marginal relevance (Carbonell and Goldstein 1998's λ);
#: set, not fitted; ``benchmarks/summaries.py`` reports the paragraphs a summary covers.
MMR_LAMBDA = 0.7
#: The lead is the most central of the article's first this many quotable sentences: its first one may be
#: a photo's caption or a dateline.
LEAD_SENTENCES = 3
#: Bonus of a sentence from a passage no chosen sentence is from (cosine units): coverage of the article.
NEW_PASSAGE_BONUS = 0.05


#: A topic's summary keeps to sentences whose cosine similarity to the topic is within this of the closest's.
TOPIC_MARGIN = 0.03


def _plain(text: str) -> str:
    return " ".join(normalize(text).strip().lstrip("#").strip(" .:").split())


def summary_length(sentences: int) -> int:
    """How many sentences summarise an article of ``sentences`` quotable ones: 2 up to 5, 3 up to 15, else 4."""
    return MIN_SENTENCES if sentences <= 5 else 3 if sentences <= 15 else MAX_SENTENCES


def select_sentences(
    passages: Sequence[Passage],
    vectors: Mapping[tuple[str, int, int], np.ndarray],
    *,
    query: np.ndarray | None = None,
    count: int | None = None,
    mmr_lambda: float = MMR_LAMBDA,
    new_passage_bonus: float = NEW_PASSAGE_BONUS,
    leave_out: Sequence[str] = (),
) -> list[SummarySentence]:
    """The sentences that summarise ``passages`` (one article's), in article order.

    Args:
        passages: The passages to summarise, of one article.
        vectors: Stored sentence embeddings by ``(passage_id, char_start, char_end)``
            (:meth:`assistant.retrieval.HybridRetriever.sentence_vectors`): ``(dimension,)`` float32,
            L2-normalised. Sentences without one are not chosen.
        query: ``(dimension,)`` L2-normalised query embedding of a topic; ``None`` summarises the whole
            article: the lead sentence first, then towards the centroid.
        count: How many sentences; default :func:`summary_length` of the quotable sentences (at most
            :data:`MAX_SENTENCES`; a topic's summary at most 3).
        mmr_lambda: Closeness against redundancy, in [0, 1].
        new_passage_bonus: Added to a sentence's closeness when no chosen sentence is from its passage
            (a whole article's summary only: a topic's keeps to what is closest to it).
        leave_out: Texts never chosen (the article's title, which its first sentence may repeat), compared
            normalised and without Markdown's heading marks.

    Returns:
        Up to ``count`` sentences of at least :data:`assistant.answer.MIN_QUOTE_WORDS` words, never two
        whose embeddings are nearly the same; ``[]`` when no sentence has a stored embedding.
    """
    left_out = {_plain(t) for t in leave_out}
    candidates: list[tuple[Passage, int, int]] = []
    for p in sorted(passages, key=lambda p: p.char_start):
        for a, b in p.sentences:
            text = p.text[a - p.char_start : b - p.char_start]
            quotable = len(text.split()) >= MIN_QUOTE_WORDS and _plain(text) not in left_out
            if quotable and (p.passage_id, a, b) in vectors:
                candidates.append((p, a, b))
    if not candidates:
        return []
    matrix = np.stack([vectors[(p.passage_id, a, b)] for p, a, b in candidates]).astype(np.float32)
    if query is None:
        centroid = matrix.mean(axis=0)
        target = centroid / (np.linalg.norm(centroid) or 1.0)
    else:
        target = np.asarray(query, dtype=np.float32)
        new_passage_bonus = 0.0
    closeness = matrix @ target
    if query is not None:  # a topic: only the sentences about as close to it as the closest one
        near = [i for i in range(len(candidates)) if closeness[i] >= closeness.max() - TOPIC_MARGIN]
        candidates = [candidates[i] for i in near]
        matrix, closeness = matrix[near], closeness[near]
    want = count or min(summary_length(len(candidates)), MAX_SENTENCES if query is None else 3)
    chosen: list[int] = []
    if query is None:  # a whole article opens with its lead: the most central of its first sentences (not a caption)
        chosen.append(int(np.argmax(closeness[:LEAD_SENTENCES])))
    while len(chosen) < min(want, len(candidates)):
        used = {candidates[i][0].passage_id for i in chosen}
        best, best_value = None, -np.inf
        for i in range(len(candidates)):
            if i in chosen:
                continue
            redundancy = max((float(matrix[i] @ matrix[j]) for j in chosen), default=0.0)
            if redundancy > 0.97:  # the same sentence again (a repeated paragraph)
                continue
            value = mmr_lambda * (
                closeness[i] + (new_passage_bonus if candidates[i][0].passage_id not in used else 0.0)
            )
            value -= (1 - mmr_lambda) * redundancy
            if value > best_value:
                best, best_value = i, value
        if best is None:
            break
        chosen.append(best)
    return [
        SummarySentence(p, a, b, p.text[a - p.char_start : b - p.char_start], float(closeness[i]))
        for i in sorted(chosen)
        for p, a, b in [candidates[i]]
    ]


#: Most articles summarised in one answer when none is chosen; with more in scope and no way to tell which
#: is meant, the reply asks to choose.
MAX_SUMMARISED_ARTICLES = 3
#: Most articles summarised in one answer when they are chosen (one block each).
MAX_CHOSEN_SUMMARIES = 5
#: Lead of each article's block, per question language ({title}: the article's title, quoted).
SUMMARY_LEAD: dict[Language, str] = {"ar": "ملخص {title}:", "en": "Summary of {title}:"}
#: The same for a part of it ({topic}: the part, as the message names it).
TOPIC_LEAD: dict[Language, str] = {"ar": "ما يقوله {title} عن {topic}:", "en": "What {title} says about {topic}:"}
#: The reply when more than :data:`MAX_SUMMARISED_ARTICLES` articles are in scope and none is chosen
#: ({count}: how many).
CHOOSE_ARTICLE: dict[Language, str] = {
    "ar": "يضم نطاق السؤال {count} من المقالات: اختر المقال الذي تريد ملخصه في «اسأل عن» (أو ‎--article‎ في سطر الأوامر)، "
    "أو اسأل عن جزء منه، مثل «لخص ما ورد عن التجارة».",
    "en": "{count} articles are in scope: choose the one to summarise under “Ask about” (--article on the "
    "command line), or ask about a part of it, e.g. “summarise the part about trade”.",
}
#: The same when more than :data:`MAX_CHOSEN_SUMMARIES` are chosen.
CHOOSE_FEWER: dict[Language, str] = {
    "ar": "اخترت {count} من المقالات، والملخص الواحد يشمل 5 منها على الأكثر: اختر عدداً أقل.",
    "en": "{count} articles are chosen; one summary covers at most 5 of them: choose fewer.",
}


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    """One article's summary: its sentences (:func:`select_sentences`) and how to name the article.

    Attributes:
        article_id: The article's id.
        title: Its title, or ``None`` (then it is named by its id).
        sentences: The chosen sentences, in article order.
    """

    article_id: str
    title: str | None
    sentences: list[SummarySentence]


def summary_answer(
    question: str, language: Language, summaries: Sequence[ArticleSummary], topic: str | None = None
) -> Answer:
    """The reply giving ``summaries``: per article a lead (:data:`SUMMARY_LEAD`, or :data:`TOPIC_LEAD` with
    ``topic``), then each sentence quoted with its marker ``[n]``, numbered across the whole reply.

    Returns:
        An :class:`Answer` with ``summary`` true and one :class:`Citation` per sentence; an abstention
        (``"no_content"``) when no summary has a sentence.
    """
    opening, closing = QUOTE_MARKS[language]
    blocks: list[str] = []
    citations: list[Citation] = []
    for summary in summaries:
        if not summary.sentences:
            continue
        title = f"{opening}{summary.title or summary.article_id}{closing}"
        lead = (TOPIC_LEAD if topic else SUMMARY_LEAD)[language].format(title=title, topic=topic)
        sentences = [ScoredSentence(RetrievedPassage(s.passage, s.score), s.char_start, s.char_end, s.text)
                     for s in summary.sentences]  # fmt: skip
        block, cited = quoted_block(lead, language, sentences, first=len(citations) + 1)
        blocks.append(block)
        citations += cited
    if not citations:
        return dataclasses.replace(abstain(question, language), summary=True)
    return Answer(question, language, "\n\n".join(blocks), abstained=False, citations=citations, summary=True)


def choose_article(question: str, language: Language, count: int, *, chosen: bool = False) -> Answer:
    """The reply asking which article to summarise (:data:`CHOOSE_ARTICLE`; :data:`CHOOSE_FEWER` when ``chosen``
    ones were too many): abstained, ``"several_articles"``."""
    text = (CHOOSE_FEWER if chosen else CHOOSE_ARTICLE)[language].format(count=count)
    return Answer(question, language, text, abstained=True, reason="several_articles", summary=True)
