"""TermMatcher against the word-by-word reference (found_in), on the sample article and the gold questions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.evidence import TermMatcher, coverage, default_lexicon, found_in, question_terms, stems
from ingest.loaders import sample_article_path

GOLD = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "sample_article_gold.jsonl"
QUESTIONS = [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
# The sample's sentences, and English ones that name the same people and places in the other script.
SENTENCES = [s for s in re.split(r"(?<=[.!?؟])\s+|\n+", sample_article_path().read_text(encoding="utf-8")) if s] + [
    "Putin and Xi met by video on Wednesday, Novosti reported.",
    "The Ningxia exercises cost 2.5 billion dollars, said the Carnegie center.",
]


@pytest.mark.parametrize("lexicon", [None, "freedict"], ids=["no lexicon", "freedict"])
def test_term_matcher_finds_what_found_in_finds_in_every_sentence(lexicon: str | None) -> None:
    words = default_lexicon() if lexicon else None
    compared = 0
    for question in QUESTIONS:
        terms = question_terms(question)
        matcher = TermMatcher(terms, words)
        for sentence in SENTENCES:
            text = stems(sentence)
            expected = {i for i, t in enumerate(terms) if found_in(t, text, words)}
            assert matcher.found(text) == expected, (question, sentence)
            compared += bool(expected)
    assert compared > 100  # the sets meet: the comparison is not between empty results


def test_coverage_weighs_names_and_numbers_more_and_missing_specific_counts_them() -> None:
    terms = question_terms("How much did the Ningxia exercises cost in 2021?")
    matcher = TermMatcher(terms)
    assert [t.stem for t in terms if t.specific] == ["ningxia", "2021"]
    held = stems("The exercises in Ningxia cost a lot.")
    assert matcher.missing_specific(held) == 1  # 2021 is not there
    assert 0 < matcher.coverage(held) < 1
    assert matcher.coverage(held) == coverage(terms, held)
    assert matcher.coverage(stems("نينجشيا")) > 0  # the same name in Arabic letters
    assert matcher.coverage(set()) == 0.0 and TermMatcher([]).coverage(held) == 0.0
