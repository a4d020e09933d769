"""The knowledge base end to end: ingest, incremental re-ingest, prune, bad input, filters."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from support import GOOD, hash_settings

from kenning import KnowledgeBase
from kenning.schema import Filters


def sources(hits) -> list[str]:
    return [Path(h.source).name for h in hits]


def test_ingest_reports_every_file_and_finds_distinctive_words(good_kb) -> None:
    kb, _ = good_kb
    for word, name, location in [
        ("zebrafish", "runbook.md", "Cache flush runbook > Steps > Verify"),
        ("platypus", "report.pdf", "page 2"),
        ("ocelot", "roadmap.pptx", "Q2 goals, slide 3"),
        ("wombat", "standup.vtt", "00:00:01–00:00:48"),  # one 250-word window
    ]:
        hit = kb.search(word, k=1)[0]
        assert Path(hit.source).name == name
        assert hit.location == location


def test_hits_carry_the_contract_fields(good_kb) -> None:
    kb, _ = good_kb
    hit = kb.search("wombat batch job", k=1, filters={"kind": "transcript"})[0]
    assert set(hit.to_dict()) == {
        "rank", "score", "document_id", "title", "source", "kind", "text", "location",
        "start", "end", "speakers", "lang",
    }  # fmt: skip
    assert hit.kind == "transcript"
    assert hit.start is not None and hit.start <= 30.0 < 36.0 <= hit.end
    assert "Bob Stone" in hit.speakers
    assert "Bob Stone: The wombat" in hit.text


def test_kinds_are_told_from_content_and_format(good_kb) -> None:
    kb, _ = good_kb
    kinds = {Path(h.source).name: h.kind for h in kb.search("toucan gazelle meerkat", k=10)}
    assert kinds["planning.md"] == "meeting"
    assert kinds["outage.md"] == "retrospective"
    assert kinds["plain_speakers.txt"] == "transcript"


def test_people_directory_resolves_owners_across_forms(good_kb) -> None:
    kb, _ = good_kb
    runbook = kb.search("zebrafish", k=1)[0]
    evidence = kb.store.evidence_of([runbook.document_id])
    roles = {(e["person_id"], e["role"]) for e in evidence}
    assert ("jane-doe", "owner") in roles  # owner by email
    assert ("jane-doe", "author") in roles  # author by handle
    assert ("bob-stone", "author") in roles
    assert ("carla-diaz", "reviewer") in roles


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"kind": ["transcript"]}, {"transcript"}),
        ({"kind": "meeting"}, {"meeting"}),
        ({"tags": ["runbook"]}, {"document"}),
    ],
)
def test_kind_and_tag_filters(good_kb, filters, expected) -> None:
    kb, _ = good_kb
    hits = kb.search("the team", k=20, filters=filters)
    assert hits and {h.kind for h in hits} == expected


def test_person_team_and_source_filters(good_kb) -> None:
    kb, corpus = good_kb
    hits = kb.search("goals plan", k=20, filters={"person": "carla-diaz"})
    assert hits
    for hit in hits:
        roles = {e["person_id"] for e in kb.store.evidence_of([hit.document_id])}
        assert "carla-diaz" in roles
    team = kb.search("cache", k=20, filters={"team": "platform"})
    assert team and set(sources(team)) == {"runbook.md"}
    pdf_only = kb.search("storage", k=20, filters={"source_prefix": str(corpus / "pdf")})
    assert set(sources(pdf_only)) == {"report.pdf"}


def test_date_filter(good_kb) -> None:
    kb, _ = good_kb
    hits = kb.search("cache", k=20, filters={"date_from": "2026-01-01", "date_to": "2026-01-31"})
    assert "runbook.md" in sources(hits)
    assert "runbook.md" not in sources(kb.search("cache", k=20, filters={"date_to": "2025-12-31"}))


def test_unknown_filter_is_rejected_naming_it() -> None:
    with pytest.raises(ValueError, match="unknown filter colour"):
        Filters.from_dict({"colour": "red"})
    with pytest.raises(ValueError, match="unknown kind 'memo'"):
        Filters.from_dict({"kind": "memo"})


def test_question_naming_a_person_prefers_their_turns(good_kb) -> None:
    kb, _ = good_kb
    hits = kb.search("What did Bob say about the batch job?", k=3)
    assert "Bob Stone" in hits[0].speakers


def test_the_public_api_is_complete() -> None:
    import kenning

    assert set(kenning.__all__) == {"KnowledgeBase", "Settings", "load_settings", "__version__"}
    assert all(getattr(kenning, name) is not None for name in kenning.__all__)
    for method, parameters in {
        "ingest": ["paths", "prune", "kind", "groups", "tags", "progress", "lang"],
        "prune": [], "delete": ["document_id"], "stats": [],
        "search": ["query", "k", "filters"], "retrieve": ["query", "k", "filters"],
        "ask": ["question", "k", "filters", "answerer", "history"],
        "experts": ["topic", "k", "filters"],
        "check_answer": ["answer", "passages"],
    }.items():  # fmt: skip
        signature = inspect.signature(getattr(KnowledgeBase, method))
        assert list(signature.parameters)[1:] == parameters, method


def test_delete_and_prune_through_the_facade(kb, corpus: Path) -> None:
    kb.ingest([corpus / "markdown", corpus / "pdf"])
    runbook = kb.search("zebrafish", k=1)[0]
    assert kb.delete(runbook.document_id) is True
    assert kb.delete(runbook.document_id) is False
    assert "runbook.md" not in sources(kb.search("zebrafish cache flush", k=10))
    (corpus / "pdf/report.pdf").unlink()
    assert [Path(p).name for p in kb.prune()] == ["report.pdf"]
    assert kb.prune() == []
    assert len(kb.vectors) == kb.stats()["chunks"]


def test_a_reopened_knowledge_base_serves_what_was_ingested(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    with KnowledgeBase(home, hash_settings(home)) as kb:
        report = kb.ingest(GOOD / "markdown")  # one path, not a list, is fine too
        assert report.count("added") == 2 and report.seconds > 0
    with KnowledgeBase(home, hash_settings(home)) as kb:
        assert len(kb.vectors) == kb.stats()["chunks"] == report.chunks
        assert sources(kb.search("zebrafish", k=1)) == ["runbook.md"]
        with pytest.raises(ValueError, match="query is empty"):
            kb.search("  ")


def test_answers_and_experts_through_the_facade(good_kb) -> None:
    kb, _ = good_kb
    response = kb.ask("How do we verify the cache flush?", filters={"kind": "document"})
    assert response.abstained or all(c.kind == "document" for c in response.citations)
    experts = kb.experts("cache flush runbook", k=3)
    assert experts and experts[0].person_id == "jane-doe"
    hit = kb.search("zebrafish", k=1)[0]
    checked = kb.check_answer("Tag the ticket zebrafish [1]. It is on Mars [7].", [hit])
    assert checked.removed_markers == [7] and checked.cited == [1] and "[7]" not in checked.text
