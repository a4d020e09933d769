"""The knowledge base end to end: ingest, incremental re-ingest, prune, bad input, filters."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import BAD, GOOD, hash_settings

from kenning import KnowledgeBase
from kenning.errors import IndexMismatchError
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
        "start", "end", "speakers",
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


def test_reingest_unchanged_does_nothing(good_kb) -> None:
    kb, corpus = good_kb
    before = kb.stats()
    report = kb.ingest([corpus])
    assert report.count("unchanged") == before["documents"]
    assert report.count("added") == report.count("updated") == 0
    assert kb.stats() == before


def test_changed_file_replaces_its_chunks(kb, corpus: Path) -> None:
    kb.ingest([corpus])
    chunks_before = kb.stats()["chunks"]
    runbook = corpus / "markdown/runbook.md"
    runbook.write_text(runbook.read_text().replace("zebrafish", "hippocampus"))
    report = kb.ingest([corpus])
    assert report.count("updated") == 1
    assert kb.stats()["chunks"] == chunks_before
    assert not any("zebrafish" in h.text for h in kb.search("zebrafish", k=5))
    assert sources(kb.search("hippocampus", k=1)) == ["runbook.md"]
    assert len(kb.vectors) == kb.stats()["chunks"]


def test_prune_removes_documents_whose_source_is_gone(kb, corpus: Path) -> None:
    kb.ingest([corpus])
    (corpus / "pdf/report.pdf").unlink()
    report = kb.ingest([corpus], prune=True)
    assert [Path(p).name for p in report.pruned] == ["report.pdf"]
    assert "report.pdf" not in sources(kb.search("aardvark platypus", k=50))
    assert len(kb.vectors) == kb.stats()["chunks"]


def test_bad_input_is_reported_and_nothing_is_lost(kb, corpus: Path, tmp_path: Path) -> None:
    kb.ingest([corpus])
    before = kb.stats()
    bad = tmp_path / "bad"
    shutil.copytree(BAD, bad)
    (bad / "big.txt").write_text("word " * 300_000)  # 1.5 MB
    kb.settings.max_file_mb = 1
    report = kb.ingest([bad])
    reasons = {Path(f.path).name: (f.status, f.reason) for f in report.files}
    assert reasons["empty.md"] == ("failed", "empty file")
    assert reasons["binary.md"] == ("failed", "binary content in a text file")
    assert reasons["corrupt.pdf"][0] == "failed"
    assert reasons["corrupt.docx"][0] == "failed"
    assert reasons["bad_front_matter.md"][0] == "failed"
    assert reasons["unsupported.xyz"] == ("skipped", "unsupported file type '.xyz'")
    assert "over the 1 MB limit" in reasons["big.txt"][1]
    assert reasons["latin1.txt"][0] == "added"
    stats = kb.stats()
    assert stats["documents"] == before["documents"] + 2  # latin1.txt, truncated.vtt
    assert sources(kb.search("zebrafish", k=1)) == ["runbook.md"]
    assert "xyzzy" not in " ".join(h.text for h in kb.search("xyzzy", k=5))


def test_missing_path_is_a_failure(kb, tmp_path: Path) -> None:
    report = kb.ingest([tmp_path / "nope"])
    assert report.failed[0].reason == "no such file or folder"


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


def test_model_mismatch_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    with KnowledgeBase(home, hash_settings(home)) as kb:
        kb.ingest([GOOD / "markdown"])
    manifest = json.loads((home / "manifest.json").read_text())
    assert manifest["embedding_model"] == "hash" and manifest["vectors"] > 0
    manifest["embedding_model"] = "some-other-model"
    (home / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="built with embedding model 'some-other-model'"):
        KnowledgeBase(home, hash_settings(home))


def test_stale_or_lost_vector_index_is_rebuilt_from_the_store(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    with KnowledgeBase(home, hash_settings(home)) as kb:
        kb.ingest([GOOD / "markdown"])
        chunks = kb.stats()["chunks"]
    (home / "vectors.faiss").unlink()  # as if a crash happened before the index was saved
    with KnowledgeBase(home, hash_settings(home)) as kb:
        assert len(kb.vectors) == chunks
        assert sources(kb.search("zebrafish", k=1)) == ["runbook.md"]


def test_codeowners_and_kenningignore_in_an_ingested_tree(kb, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(GOOD / "codeowners", tree)
    (tree / ".kenningignore").write_text("notes.md\n")
    report = kb.ingest([tree])
    names = {Path(f.path).name for f in report.files}
    assert names == {"guide.md", "endpoints.md"}
    hit = kb.search("API endpoints", k=1)[0]
    owners = {e["person_id"] for e in kb.store.evidence_of([hit.document_id])
              if e["role"] == "owner"}  # fmt: skip
    assert owners == {"cdiaz"}
