"""Crash safety: ingestion killed with SIGKILL at random points leaves a knowledge base that
opens consistent and a rerun completes; readers during an ingest never see an error."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support import GOOD, hash_settings

from kenning import KnowledgeBase

KILLS = 24
NOTES = 60
WORDS = ("ledger", "failover", "rota", "quorum", "canary", "backfill", "runbook", "shard")
ENV = {**os.environ, "KENNING_EMBEDDING_MODEL": "hash", "KENNING_GIT_HISTORY": "false"}


def _note(i: int, version: int) -> str:
    """A Markdown note with a word unique to it and text that says which version it is."""
    topic = WORDS[i % len(WORDS)]
    sections = "\n\n".join(
        f"## Part {j}\n\nNote{i}marker {topic} version {version} part {j}. "
        + " ".join(f"{topic}{(i * 7 + j * 3 + k) % 50}" for k in range(60))
        for j in range(4)
    )
    return f"# Note {i}\n\n{sections}\n"


def _write_corpus(folder: Path, count: int, version: int = 1) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"note-{i:03}.md").write_text(_note(i, version), encoding="utf-8")


def _ingest_command(corpus: Path, kb: Path) -> list[str]:
    return [sys.executable, "-m", "kenning", "ingest", str(corpus), "--kb", str(kb), "--prune",
            "-q"]  # fmt: skip


def _assert_consistent(kb: Path) -> dict[str, str]:
    """The knowledge base opens, agrees with itself and answers; returns source -> hash."""
    with sqlite3.connect(kb / "kenning.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = {
            "chunks without a document": "SELECT COUNT(*) FROM chunks c LEFT JOIN documents d "
            "ON d.id = c.document_id WHERE d.id IS NULL",
            "index rows without a chunk": "SELECT COUNT(*) FROM chunks_fts f LEFT JOIN chunks c "
            "ON c.rowid = f.rowid WHERE c.rowid IS NULL",
            "chunks missing from the index": "SELECT COUNT(*) FROM chunks c WHERE c.rowid NOT IN "
            "(SELECT rowid FROM chunks_fts)",
            "evidence without a document": "SELECT COUNT(*) FROM evidence e LEFT JOIN documents d "
            "ON d.id = e.document_id WHERE d.id IS NULL",
        }
        for what, sql in orphans.items():
            assert conn.execute(sql).fetchone()[0] == 0, what
        hashes = dict(conn.execute("SELECT source, content_hash FROM documents"))
    with KnowledgeBase(kb, hash_settings(kb)) as base:
        assert len(base.vectors) == base.store.count_chunks()
        if hashes:
            hits = base.search("ledger quorum failover", k=5)
            assert hits and all(h.text for h in hits)
    return hashes


def _generation(kb: Path) -> int:
    """The store's write counter (bumped by every document written or removed)."""
    if not (kb / "kenning.sqlite").exists():
        return 0
    with sqlite3.connect(kb / "kenning.sqlite", timeout=30) as conn:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        except sqlite3.OperationalError:  # the schema is not there yet
            return 0
    return int(row[0]) if row else 0


def _kill_after_writes(command: list[str], kb: Path, writes: int, delay: float) -> bool:
    """Start an ingest and SIGKILL it `delay` seconds after its `writes`-th write.

    Counting writes instead of sleeping puts the kill at the same point of the work however
    busy the machine is. Returns True when the process was killed before it finished.
    """
    before = _generation(kb)
    process = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        if _generation(kb) >= before + writes:
            time.sleep(delay)
            break
        time.sleep(0.005)
    killed = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return killed


@pytest.mark.slow
def test_sigkill_at_random_points_then_rerun(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(GOOD, corpus)
    _write_corpus(corpus / "notes", NOTES)
    kb = tmp_path / "kb"
    rng = random.Random(20261127)
    killed = 0
    for round_ in range(KILLS):
        # Every round rewrites most notes and deletes a few, so each kill lands in real
        # work: parsing, embedding, replacing documents, pruning or saving the index.
        changed = 0
        for i in range(NOTES):
            path = corpus / "notes" / f"note-{i:03}.md"
            if round_ and rng.random() < 0.03:
                changed += path.exists()
                path.unlink(missing_ok=True)
            elif round_ == 0 or rng.random() < 0.8:
                path.write_text(_note(i, round_ + 1), encoding="utf-8")
                changed += 1
        writes = rng.randint(0, changed)
        killed += _kill_after_writes(
            _ingest_command(corpus, kb), kb, writes, rng.choice([0, 0, rng.uniform(0, 0.2)])
        )
        _assert_consistent(kb)

    assert killed >= 20, f"only {killed} kills landed mid-ingest"
    subprocess.run(_ingest_command(corpus, kb), env=ENV, check=True, stdout=subprocess.DEVNULL)
    after_rerun = _assert_consistent(kb)
    fresh = tmp_path / "fresh"
    subprocess.run(_ingest_command(corpus, fresh), env=ENV, check=True, stdout=subprocess.DEVNULL)
    assert after_rerun == _assert_consistent(fresh), "the rerun must end where a clean run does"


@pytest.mark.slow
def test_readers_during_an_ingest_see_old_or_new_never_an_error(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, 120, version=1)
    kb_path = tmp_path / "kb"
    subprocess.run(_ingest_command(corpus, kb_path), env=ENV, check=True, stdout=subprocess.DEVNULL)
    reader = KnowledgeBase(kb_path, hash_settings(kb_path))
    assert all("version 1" in h.text for h in reader.search("Note5marker", k=3))

    _write_corpus(corpus, 120, version=2)
    writer = subprocess.Popen(_ingest_command(corpus, kb_path), env=ENV, stdout=subprocess.DEVNULL)
    errors: list[BaseException] = []
    seen: set[str] = set()
    searches = 0

    def read(fresh: bool) -> None:
        nonlocal searches
        rng = random.Random(fresh)
        while writer.poll() is None:
            i = rng.randrange(120)
            try:
                if fresh:  # a reader that opens while the ingest runs
                    with KnowledgeBase(kb_path, hash_settings(kb_path)) as base:
                        hits = base.search(f"Note{i}marker", k=4)
                else:
                    hits = reader.search(f"Note{i}marker", k=4)
            except BaseException as exc:  # noqa: BLE001 - any error is the failure
                errors.append(exc)
                return
            searches += 1
            for hit in hits:
                if f"Note{i}marker " in hit.text:
                    assert ("version 1" in hit.text) != ("version 2" in hit.text), hit.text
                    seen.add("version 1" if "version 1" in hit.text else "version 2")

    threads = [threading.Thread(target=read, args=(fresh,)) for fresh in (False, True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert writer.wait() == 0
    assert not errors, errors
    assert searches > 10, f"only {searches} searches ran during the ingest"
    # Once the writer has saved, the long-lived reader serves the new state.
    hits = reader.search("Note5marker version", k=3)
    assert hits and all("version 2" in h.text for h in hits if "Note5marker " in h.text)
    # ... and its vector index has the new chunks (not only the lexical index).
    found = reader.retrieve("Note7marker version 2 part 1", k=3)
    assert found.rowids[0] in found.dense_scores, "the reader's vectors are stale"
    reader.close()
