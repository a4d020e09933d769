"""Lexical search (index/lexical.py): FTS query escaping and BM25 over the chunks."""

from __future__ import annotations

import re

import pytest
from support import hash_settings

import kenning.index.lexical as lexical
from kenning import KnowledgeBase
from kenning.index.lexical import escape_fts_query, query_terms
from kenning.schema import Filters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do we fail over the database?", '"fail" OR "over" OR "database"'),
        ('"quoted" NEAR(a b) col:x*', '"quoted" OR "near" OR "b" OR "col" OR "x"'),
        ("what is it", '"what" OR "is" OR "it"'),  # only stopwords: keep them
        ("", ""),
        ("Café résumé", '"café" OR "résumé"'),
    ],
)
def test_escape_fts_query(text: str, expected: str) -> None:
    assert escape_fts_query(text) == expected


def test_query_terms_are_distinct_lower_case_words() -> None:
    assert query_terms("Cache cache CACHE flush, the cache!") == ["cache", "flush"]


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ('"lighthouse', "Cache flush runbook"),  # an unbalanced quote
        ("tangerine AND OR NOT alert", "Cache flush runbook"),
        ("col:zebrafish*", "Cache flush runbook"),  # a column filter and a prefix query
        ("toucan) OR (migration", "Sprint planning"),
        ("NEAR(toucan vendor", "Sprint planning"),
    ],
)
def test_fts_syntax_in_user_text_is_searched_as_words(good_kb, query: str, title: str) -> None:
    """A question holding FTS5 syntax finds what its words find, and does not fail."""
    kb, _ = good_kb
    words = " ".join(re.findall(r"\w+", query))
    hits = kb.search(query, k=3)
    assert hits and hits[0].title == title
    assert [(h.document_id, h.text) for h in hits] == [
        (h.document_id, h.text) for h in kb.search(words, k=3)
    ]
    assert kb.store.lexical_search(query, 5, Filters()) == kb.store.lexical_search(
        words, 5, Filters()
    )


def test_a_question_without_words_finds_nothing_lexically(good_kb) -> None:
    kb, _ = good_kb
    assert kb.store.lexical_search('"*:() -', 5, Filters()) == []


def test_bm25_leaves_out_words_most_chunks_hold(tmp_path, monkeypatch) -> None:
    """In a large store, a question's everyday words (stemmed like the index) are left out of
    BM25; its rare words stay, and so does the rarest word even when every word is common."""
    corpus = tmp_path / "notes"
    corpus.mkdir()
    for n in range(40):
        topic = "osprey migration" if n == 7 else f"routine item {n}"
        (corpus / f"note-{n}.md").write_text(
            f"# Weekly sync {n}\n\nThe team discussed the {topic} during the weekly meeting.\n"
        )
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        assert not kb.ingest([corpus]).failed
        store = kb.store
        question = "What did the team discuss about the osprey migration?"
        words = query_terms(question)
        assert store._without_common_terms(words) == words  # small store: all words kept
        monkeypatch.setattr(lexical, "PRUNE_FROM_CHUNKS", 10)
        kept = store._without_common_terms(words)
        assert kept == ["osprey", "migration"]  # "discuss" matched "discussed": left out
        assert store._without_common_terms(["team", "weekly", "meeting"]) == ["team", "weekly"]
        store.common_term_share = 1.0  # KENNING_BM25_COMMON_SHARE=1: every word stays
        assert store._without_common_terms(words) == words
        store.common_term_share = lexical.COMMON_TERM_SHARE
        hits = store.lexical_search(question, 5, Filters())
        assert len(hits) == 1
        assert kb.search(question, k=1)[0].title == "Weekly sync 7"
        assert not store.conn.in_transaction  # the scratch table's writes were committed


@pytest.mark.parametrize("kind", ["transcript", "document", "meeting"])
def test_bm25_under_a_wide_filter_equals_the_joined_query(good_kb, monkeypatch, kind) -> None:
    """Ranking without the joins and keeping the allowed rows gives the filtered ranking,
    also when the allowed rows lie below the over-fetched ones (then SQLite joins)."""
    kb, _ = good_kb
    filters = Filters(kind=[kind])
    questions = ["pelican migration plan", "wombat batch job failure", "budget decision", "the"]
    for limit in (1, 3, 50):
        monkeypatch.setattr(lexical, "WIDE_FILTER_SHARE", 2.0)  # never: the joins
        joined = [kb.store.lexical_search(q, limit, filters) for q in questions]
        monkeypatch.setattr(lexical, "WIDE_FILTER_SHARE", 0.0)  # always: over-fetch
        wide = [kb.store.lexical_search(q, limit, filters) for q in questions]
        assert wide == joined
    assert any(joined)


def test_bm25_wide_filter_falls_back_when_allowed_rows_rank_low(tmp_path) -> None:
    corpus = tmp_path / "notes"
    corpus.mkdir()
    for n in range(40):
        # Meetings outrank documents for "osprey": the 3 best documents lie below the
        # over-fetched rows, so the joined query must answer.
        kind, text = ("meeting", "osprey osprey osprey") if n < 30 else ("document", "osprey")
        (corpus / f"n{n}.md").write_text(f"---\nkind: {kind}\n---\n# Note {n}\n\n{text} {n}.\n")
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        assert not kb.ingest([corpus]).failed
        hits = kb.store.lexical_search("osprey", 3, Filters(kind=["document"]))
        rows = kb.store.hit_rows([rowid for rowid, _ in hits])
        assert len(hits) == 3 and {rows[r]["kind"] for r, _ in hits} == {"document"}


def test_person_condition_keeps_only_their_chunks(good_kb) -> None:
    """`extra` narrows BM25 to the chunks a person speaks in or whose document they hold a
    role on."""
    from kenning.index.filters import PERSON_CHUNKS

    kb, _ = good_kb
    people = {p.name: p.id for p in kb.store.people()}
    carla = people["Carla Diaz"]
    everyone = kb.store.lexical_search("certificate rotation", 10, Filters())
    hers = kb.store.lexical_search(
        "certificate rotation", 10, Filters(), PERSON_CHUNKS, [carla, carla]
    )
    assert hers and len(hers) < len(everyone)
    titles = {row["title"] for row in kb.store.hit_rows([r for r, _ in hers]).values()}
    assert "Sprint planning" in titles
