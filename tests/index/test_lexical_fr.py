"""French lexical search (index/analysers.py, the `chunks_fts_fr` table of index/lexical.py):
stemmed and accent-folded, chosen by the question's language; the language stored, filtered
and shown; knowledge bases made before languages migrated on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from support import hash_settings

from kenning import KnowledgeBase
from kenning.index.analysers import french_query_terms, french_text
from kenning.index.store import Store
from kenning.schema import Filters

FRENCH = """# Fiscalité locale

Les impôts locaux sont calculés par la commune. La taxe foncière est due par le propriétaire.
"""
ENGLISH = """# Local taxes

The property tax is owed by the owner. Councils compute local taxes every year.
"""


@pytest.mark.parametrize(
    ("a", "b"),
    [("fiscales", "fiscal"), ("Impôts", "impot"), ("calculées", "calculer"), ("été", "ete")],
)
def test_inflections_and_accents_meet(a: str, b: str) -> None:
    assert french_text(a) == french_text(b)


def test_question_terms_drop_french_stopwords_and_elisions() -> None:
    assert french_query_terms("Qu'est-ce que l'impôt foncier ?") == ["impot", "fonci"]


@pytest.fixture
def bilingual(tmp_path: Path) -> KnowledgeBase:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "impots.md").write_text(FRENCH)
    (corpus / "taxes.md").write_text(ENGLISH)
    base = KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb"))
    base.ingest(corpus)
    yield base
    base.close()


def test_a_french_question_finds_inflected_unaccented_words(bilingual: KnowledgeBase) -> None:
    """"impot" and "calcule" match "impôts" and "calculés" only through the French table."""
    rows = bilingual.store.lexical_search("impot fonciere calcule", 5, Filters(), analyser="fr")
    assert rows and bilingual.store.hit_rows([rows[0][0]])[rows[0][0]]["source"].endswith(
        "impots.md"
    )
    # "fiscal" meets the heading "Fiscalité" through the French stemmer, not through Porter.
    assert bilingual.store.lexical_search("fiscal", 5, Filters(), analyser="fr")
    assert bilingual.store.lexical_search("fiscal", 5, Filters()) == []


def test_hits_show_their_language_and_filter_by_it(bilingual: KnowledgeBase) -> None:
    hits = bilingual.search("Qui calcule les impôts locaux ?", k=5)
    assert hits[0].source.endswith("impots.md") and hits[0].lang == "fr"
    assert {h.lang for h in hits} == {"fr", "en"}
    only_en = bilingual.search("Qui calcule les impôts locaux ?", k=5, filters={"lang": "en"})
    assert only_en and {h.lang for h in only_en} == {"en"}


def test_unknown_analyser_is_refused(bilingual: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="valid: en, fr"):
        bilingual.store.lexical_search("x", 5, Filters(), analyser="de")


def test_deleting_a_document_removes_its_french_rows(bilingual: KnowledgeBase) -> None:
    document_id = next(iter(bilingual.store.sources()))
    bilingual.delete(document_id)
    count = bilingual.store.conn.execute("SELECT COUNT(*) FROM chunks_fts_fr").fetchone()[0]
    assert count == bilingual.store.count_chunks()


def test_a_knowledge_base_from_before_languages_migrates_and_keeps_its_chunks(
    bilingual: KnowledgeBase, tmp_path: Path
) -> None:
    path = bilingual.store.path
    chunks = bilingual.store.count_chunks()
    bilingual.close()
    legacy = sqlite3.connect(path)
    legacy.execute("DROP TABLE chunks_fts_fr")
    legacy.execute("ALTER TABLE chunks DROP COLUMN lang")
    legacy.commit()
    legacy.close()
    store = Store(path)
    assert store.count_chunks() == chunks
    assert store.conn.execute("SELECT COUNT(*) FROM chunks_fts_fr").fetchone()[0] == chunks
    assert {r[0] for r in store.conn.execute("SELECT lang FROM chunks")} == {""}
    assert store.lexical_search("impot calcule", 5, Filters(), analyser="fr")
    store.close()
