"""The SQLite store's pure parts: FTS query escaping, filters, fusion."""

from __future__ import annotations

import pytest

from kenning.index.hybrid import FusionMethod, fuse
from kenning.index.store import escape_fts_query


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


def test_fts_syntax_in_user_text_is_harmless(good_kb) -> None:
    kb, _ = good_kb
    for query in ['"unbalanced', "AND OR NOT", "col:*", "a) OR (b", "NEAR("]:
        kb.search(query, k=3)  # must not raise


def test_rrf_rewards_agreement() -> None:
    fused = fuse([[(1, 0.9), (2, 0.8)], [(2, 5.0), (3, 4.0)]], [1.0, 1.0], FusionMethod.RRF, 60)
    assert fused[0][0] == 2
    assert {item for item, _ in fused} == {1, 2, 3}


def test_weighted_fusion_normalises_scores() -> None:
    fused = fuse([[(1, 0.9), (2, 0.1)], [(2, 100.0), (1, 0.0)]], [1.0, 2.0], FusionMethod.WEIGHTED)
    assert fused[0][0] == 2


def test_unknown_fusion_method_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match="valid: rrf, weighted"):
        FusionMethod.from_str("borda")


def test_bm25_leaves_out_words_most_chunks_hold(tmp_path, monkeypatch) -> None:
    """In a large store, a question's everyday words (stemmed like the index) are left out of
    BM25; its rare words stay, and so does the rarest word even when every word is common."""
    from support import hash_settings

    import kenning.index.store as store_module
    from kenning import KnowledgeBase
    from kenning.schema import Filters

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
        words = store_module.query_terms(question)
        assert store._without_common_terms(words) == words  # small store: all words kept
        monkeypatch.setattr(store_module, "PRUNE_FROM_CHUNKS", 10)
        kept = store._without_common_terms(words)
        assert kept == ["osprey", "migration"]  # "discuss" matched "discussed": left out
        assert store._without_common_terms(["team", "weekly", "meeting"]) == ["team", "weekly"]
        store.common_term_share = 1.0  # KENNING_BM25_COMMON_SHARE=1: every word stays
        assert store._without_common_terms(words) == words
        store.common_term_share = store_module.COMMON_TERM_SHARE
        hits = store.lexical_search(question, 5, Filters())
        assert len(hits) == 1
        assert kb.search(question, k=1)[0].title == "Weekly sync 7"
        assert not store.conn.in_transaction  # the scratch table's writes were committed


@pytest.mark.parametrize("kind", ["transcript", "document", "meeting"])
def test_bm25_under_a_wide_filter_equals_the_joined_query(good_kb, monkeypatch, kind) -> None:
    """Ranking without the joins and keeping the allowed rows gives the filtered ranking,
    also when the allowed rows lie below the over-fetched ones (then SQLite joins)."""
    import kenning.index.store as store_module
    from kenning.schema import Filters

    kb, _ = good_kb
    filters = Filters(kind=[kind])
    questions = ["pelican migration plan", "wombat batch job failure", "budget decision", "the"]
    for limit in (1, 3, 50):
        monkeypatch.setattr(store_module, "WIDE_FILTER_SHARE", 2.0)  # never: the joins
        joined = [kb.store.lexical_search(q, limit, filters) for q in questions]
        monkeypatch.setattr(store_module, "WIDE_FILTER_SHARE", 0.0)  # always: over-fetch
        wide = [kb.store.lexical_search(q, limit, filters) for q in questions]
        assert wide == joined
    assert any(joined)


def test_bm25_wide_filter_falls_back_when_allowed_rows_rank_low(tmp_path) -> None:
    from support import hash_settings

    from kenning import KnowledgeBase
    from kenning.schema import Filters

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
