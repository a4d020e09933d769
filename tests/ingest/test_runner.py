"""An ingest run over a real knowledge base: incremental re-ingest, replace, prune, bad input
reported and skipped, people directories, batches handed to the sink."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from support import BAD, GOOD

from kenning import KnowledgeBase
from kenning.index.writer import DocumentWriter
from kenning.ingest import runner as runner_module
from kenning.ingest.pipeline import Prepared
from kenning.ingest.runner import IngestRunner


def sources(hits) -> list[str]:
    return [Path(h.source).name for h in hits]


def runner_for(kb: KnowledgeBase, sink: DocumentWriter | None = None) -> IngestRunner:
    """A runner writing into the knowledge base, as `KnowledgeBase.ingest` wires it."""
    return IngestRunner(sink or kb.writer, kb.settings, kb.chunking, kb.path / "transcripts")


def notes(folder: Path, *words: str) -> Path:
    """One single-section Markdown note per word."""
    folder.mkdir(parents=True, exist_ok=True)
    for word in words:
        (folder / f"{word}.md").write_text(f"# {word.title()}\n\nAll about the {word}.\n")
    return folder


class RecordingWriter(DocumentWriter):
    """The knowledge base's real writer, recording the batches it is handed."""

    def __init__(self, kb: KnowledgeBase) -> None:
        super().__init__(kb.store, kb.cache, lambda: kb.embedder)
        self.batches: list[list[str]] = []

    def write(self, batch: Sequence[Prepared]) -> list[str | None]:
        self.batches.append([Path(p.document.source).stem for p in batch])
        return super().write(batch)


def test_reingest_unchanged_does_nothing(good_kb) -> None:
    kb, corpus = good_kb
    before = kb.stats()
    writer = RecordingWriter(kb)
    report = runner_for(kb, writer).ingest([corpus])
    assert report.count("unchanged") == before["documents"]
    assert report.count("added") == report.count("updated") == 0
    assert report.chunks == 0 and writer.batches == []  # nothing parsed again, nothing embedded
    assert kb.stats() == before


def test_changed_file_replaces_its_chunks(kb, corpus: Path) -> None:
    runner = runner_for(kb)
    runner.ingest([corpus])
    chunks_before = kb.stats()["chunks"]
    runbook = corpus / "markdown/runbook.md"
    runbook.write_text(runbook.read_text().replace("zebrafish", "hippocampus"))
    report = runner.ingest([corpus])
    assert report.count("updated") == 1
    assert kb.stats()["chunks"] == chunks_before
    assert not any("zebrafish" in h.text for h in kb.search("zebrafish", k=5))
    assert sources(kb.search("hippocampus", k=1)) == ["runbook.md"]
    assert len(kb.vectors) == kb.stats()["chunks"]


def test_prune_removes_documents_whose_source_is_gone(kb, corpus: Path) -> None:
    runner = runner_for(kb)
    runner.ingest([corpus])
    (corpus / "pdf/report.pdf").unlink()
    report = runner.ingest([corpus], prune=True)
    assert [Path(p).name for p in report.pruned] == ["report.pdf"]
    assert "report.pdf" not in sources(kb.search("aardvark platypus", k=50))
    assert len(kb.vectors) == kb.stats()["chunks"]
    assert runner.prune() == []


def test_bad_input_is_reported_and_nothing_is_lost(kb, corpus: Path, tmp_path: Path) -> None:
    runner = runner_for(kb)
    runner.ingest([corpus])
    before = kb.stats()
    bad = tmp_path / "bad"
    shutil.copytree(BAD, bad)
    (bad / "big.txt").write_text("word " * 300_000)  # 1.5 MB
    kb.settings.max_file_mb = 1
    report = runner.ingest([bad])
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


def test_an_unsupported_file_named_explicitly_is_a_failure(kb, tmp_path: Path) -> None:
    path = tmp_path / "notes.xyz"
    path.write_text("hello")
    (report,) = runner_for(kb).ingest([path]).files
    assert (report.status, report.reason) == ("failed", "unsupported file type '.xyz'")


def test_missing_path_is_a_failure(kb, tmp_path: Path) -> None:
    report = runner_for(kb).ingest([tmp_path / "nope"])
    assert report.failed[0].reason == "no such file or folder"


def test_codeowners_and_kenningignore_in_an_ingested_tree(kb, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(GOOD / "codeowners", tree)
    (tree / ".kenningignore").write_text("notes.md\n")
    report = runner_for(kb).ingest([tree])
    names = {Path(f.path).name for f in report.files}
    assert names == {"guide.md", "endpoints.md"}
    hit = kb.search("API endpoints", k=1)[0]
    owners = {e["person_id"] for e in kb.store.evidence_of([hit.document_id])
              if e["role"] == "owner"}  # fmt: skip
    assert owners == {"cdiaz"}


def test_documents_are_handed_over_in_batches_of_chunks(
    kb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "EMBED_BATCH_CHUNKS", 3)
    writer = RecordingWriter(kb)
    report = runner_for(kb, writer).ingest([notes(tmp_path / "n", "ant", "bee", "cat", "dog")])
    assert writer.batches == [["ant", "bee", "cat"], ["dog"]]
    assert report.count("added") == 4 and report.chunks == kb.stats()["chunks"] == 4


def test_a_file_that_cannot_be_stored_fails_alone_and_is_retried(
    kb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = notes(tmp_path / "n", "ant", "bee", "cat")
    replace = kb.store.replace_document

    def disk_full_for_bee(document, *args):
        if document.source.endswith("bee.md"):
            raise sqlite3.OperationalError("database or disk is full")
        return replace(document, *args)

    monkeypatch.setattr(kb.store, "replace_document", disk_full_for_bee)
    report = runner_for(kb).ingest([folder])
    statuses = {Path(f.path).stem: (f.status, f.reason) for f in report.files}
    assert statuses["bee"] == (
        "failed", "could not store: OperationalError: database or disk is full"
    )
    assert statuses["ant"][0] == statuses["cat"][0] == "added"
    assert report.chunks == kb.stats()["chunks"] == 2
    monkeypatch.setattr(kb.store, "replace_document", replace)
    again = runner_for(kb).ingest([folder])
    assert [Path(f.path).stem for f in again.files if f.status == "added"] == ["bee"]


def test_people_directories_are_loaded_before_the_documents(kb, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(GOOD / "people", tree)
    shutil.copy(GOOD / "markdown/runbook.md", tree / "runbook.md")
    report = runner_for(kb).ingest([tree])
    assert [(Path(f.path).name, f.status, f.reason) for f in report.files] == [
        ("people.csv", "skipped", "people directory: 3 people"),
        ("people.yaml", "skipped", "people directory: 3 people"),
        ("runbook.md", "added", ""),
    ]
    assert report.people == kb.stats()["people"] > 0
    runbook = kb.search("zebrafish", k=1)[0]
    roles = {(e["person_id"], e["role"]) for e in kb.store.evidence_of([runbook.document_id])}
    assert ("jane-doe", "owner") in roles  # resolved through the directory, by e-mail
    with sqlite3.connect(kb.path / "kenning.sqlite") as conn:  # listed: shown to every caller
        (listed,) = conn.execute("SELECT directory_aliases FROM people WHERE id = 'jane-doe'")
    assert "jane.doe@corp.example" in listed[0]


def test_progress_bar_only_when_asked(kb, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    runner_for(kb).ingest([notes(tmp_path / "n", "ant")])
    assert capsys.readouterr().err == ""
    runner_for(kb).ingest([notes(tmp_path / "n", "bee", "cat")], progress=True)
    assert "/3 [" in capsys.readouterr().err  # files, on stderr (and cleared at the end)


def test_a_folder_s_files_are_parsed_once(kb, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Learning a folder's roster parses its files; ingesting each file then uses that parse
    (one parse per file), unless the file changed in between (then it is parsed again)."""
    from kenning.ingest import pipeline

    folder = notes(tmp_path / "series", "budget", "launch", "hiring")
    parsed: list[str] = []
    real = pipeline.parse_file

    def counting(path: Path, *args: object) -> object:
        parsed.append(path.name)
        if path.name == "budget.md":  # changed after the roster read it
            path.write_text("# Budget\n\nAll about the new budget, revised.\n")
        return real(path, *args)

    monkeypatch.setattr(pipeline, "parse_file", counting)
    report = kb.ingest([folder])
    assert report.count("added") == 3
    assert sorted(parsed) == ["budget.md", "budget.md", "hiring.md", "launch.md"]
    assert "revised" in kb.search("new budget revised", 1)[0].text
