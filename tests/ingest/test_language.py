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


def test_the_classifier_is_kept_ready_in_the_cache_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """The first load writes the restricted classifier to the cache folder; the next process
    loads that copy and classifies the same; a damaged copy is replaced, not fatal."""
    import kenning.ingest.language as language

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    texts = ["Comment obtenir un acte de naissance ?", "How do we fail over the database?"]
    built = language._load_identifier()
    (cached,) = (tmp_path / "kenning").glob("langid-*-en-fr.pickle")
    loaded = language._load_identifier()
    assert loaded is not built
    assert [loaded.classify(t) for t in texts] == [built.classify(t) for t in texts]
    assert [loaded.classify(t)[0] for t in texts] == ["fr", "en"]
    cached.write_bytes(b"not a pickle")
    assert language._load_identifier().classify(texts[0])[0] == "fr"
    assert cached.stat().st_size > 1_000_000  # written again, whole
