"""Hybrid retrieval (index/retriever.py) over a real SQLite + FAISS knowledge base."""

from __future__ import annotations

from pathlib import Path

from kenning import KnowledgeBase
from kenning.index.retriever import Retriever
from kenning.schema import Filters


def retriever(kb: KnowledgeBase, **settings: object) -> Retriever:
    return Retriever(kb.store, kb.vectors, kb.embedder, kb.settings.model_copy(update=settings))


def test_hits_are_ranked_with_their_rowids_and_cosines(good_kb) -> None:
    kb, _ = good_kb
    found = retriever(kb).retrieve("how do I flush the edge cache", k=4)
    assert [h.rank for h in found.hits] == [1, 2, 3, 4]
    assert found.hits[0].title == "Cache flush runbook"
    assert [h.score for h in found.hits] == sorted((h.score for h in found.hits), reverse=True)
    rows = kb.store.hit_rows(found.rowids)
    assert [rows[r]["text"] for r in found.rowids] == [h.text for h in found.hits]
    assert set(found.rowids) <= set(found.dense_scores)  # every hit has its cosine


def test_a_rare_word_only_bm25_knows_is_found(good_kb) -> None:
    """The hashing embedder knows no meaning; the word's BM25 match carries it to the top."""
    kb, _ = good_kb
    assert retriever(kb).retrieve("zebrafish", k=3).hits[0].title == "Cache flush runbook"


def test_filters_restrict_both_rankings(good_kb) -> None:
    kb, _ = good_kb
    hits = retriever(kb).retrieve("certificates", k=5, filters=Filters(kind=("transcript",))).hits
    assert hits and {h.kind for h in hits} == {"transcript"}
    assert retriever(kb).retrieve("certificates", k=5, filters=Filters(kind=("nope",))).hits == []


def test_hits_per_document_are_capped_when_asked(good_kb) -> None:
    kb, _ = good_kb
    query = "cache flush runbook steps verify region"
    uncapped = retriever(kb).retrieve(query, k=6).hits
    assert len({h.document_id for h in uncapped}) < len(uncapped)  # the runbook, twice or more
    capped = retriever(kb, max_hits_per_document=1).retrieve(query, k=6).hits
    assert len({h.document_id for h in capped}) == len(capped) == 6


def test_hits_skip_chunks_gone_from_the_store_and_still_fill_k(good_kb) -> None:
    # Rows are read a few at a time down the fused ranking: chunks the vectors still hold but
    # the store no longer does are passed over, and later ones are read in their place.
    kb, _ = good_kb
    query = "cache flush runbook steps verify region"
    everything = retriever(kb).retrieve(query, k=12).rowids
    gone = set(everything[:6])

    class Store:  # the knowledge base's store, without the first six chunks found
        def __getattr__(self, name: str) -> object:
            return getattr(kb.store, name)

        def hit_rows(self, rowids: list[int]) -> dict:
            return {r: row for r, row in kb.store.hit_rows(rowids).items() if r not in gone}

    partial = Retriever(Store(), kb.vectors, kb.embedder, kb.settings)  # type: ignore[arg-type]
    found = partial.retrieve(query, k=6)
    assert found.rowids == everything[6:12]
    assert [h.rank for h in found.hits] == [1, 2, 3, 4, 5, 6]


def test_people_named_in_the_question_steer_retrieval(good_kb) -> None:
    kb, _ = good_kb
    bob = next(p.id for p in kb.store.people() if p.name == "Bob Stone")
    found = retriever(kb).retrieve("What did Bob Stone say about the pelican balancer?", k=3)
    assert found.people == [bob]
    assert any("Bob Stone" in h.text and "pelican" in h.text for h in found.hits)
    # A person filter already narrows the search: the question's names are not looked up.
    filtered = retriever(kb).retrieve("What did Bob Stone say?", k=3, filters=Filters(person=bob))
    assert filtered.people == []


def test_people_written_later_are_recognised(kb: KnowledgeBase, tmp_path: Path) -> None:
    search = retriever(kb)
    assert search.people_in("What does Zelda Quill think?") == []
    note = tmp_path / "note.md"
    note.write_text("---\nowner: Zelda Quill\n---\n# Plan\n\nThe heron plan.\n", encoding="utf-8")
    assert not kb.ingest([note]).failed
    (zelda,) = search.people_in("What does Zelda Quill think?")
    assert kb.store.person(zelda).name == "Zelda Quill"
