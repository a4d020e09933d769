"""Language detection (ingest/language.py): passages and questions, French and English."""

from __future__ import annotations

import pytest

from kenning.ingest.chunking import ChunkSettings, chunk_blocks
from kenning.ingest.language import detect_language, language_of, query_analysers
from kenning.schema import Block


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Comment basculer la base de données des paiements ?", "fr"),
        ("Qu'est-ce qu'une donnée ?", "fr"),
        ("Quel est le montant du Smic ?", "fr"),
        ("How do we fail over the payments database?", "en"),
        ("Who owns the release checklist?", "en"),
        ("Les équipes perdent du temps à réinventer la roue.", "fr"),
    ],
)
def test_short_text_is_detected(text: str, lang: str) -> None:
    assert language_of(text) == lang


def test_text_without_letters_has_no_confident_language() -> None:
    guess = detect_language("42 !")
    assert guess.lang == "en" and guess.confidence == 0.0 and not guess.sure


def test_a_clear_question_is_searched_in_its_language_first() -> None:
    assert query_analysers("Comment obtenir une copie de mon acte de naissance ?") == ["fr", "en"]
    assert query_analysers("How do I get a copy of my birth certificate?") == ["en"]


def test_an_uncertain_question_is_searched_in_both_languages() -> None:
    assert sorted(query_analysers("SEV1 paydb-2")) == ["en", "fr"]


def test_each_chunk_carries_its_language() -> None:
    blocks = [
        Block(text="Dans toute organisation, l'atout le plus précieux est le savoir partagé.",
              heading_path=("Introduction",)),
        Block(text="This guide moves beyond generic advice to practical strategies.",
              heading_path=("Guide",)),
    ]  # fmt: skip
    chunks = chunk_blocks("doc", blocks, ChunkSettings())
    assert [c.lang for c in chunks] == ["fr", "en"]
