"""Hostile and malformed files: each gets its own clear reason, nothing else is lost, and
memory stays bounded (measured on a real `kenning ingest` process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from robustness.hostile import GOOD_MARKER, build_hostile_corpus

# Reason fragments a user would need to act on each file.
EXPECTED = {
    "truncated.pdf": ("failed", "cannot read PDF"),
    "not-a-pdf.pdf": ("failed", "not a PDF file"),
    "truncated.docx": ("failed", "not a DOCX file"),
    "bomb.docx": ("failed", "zip bomb"),
    "bomb.pptx": ("failed", "zip bomb"),
    "nested.html": ("failed", "no text"),
    "empty.md": ("failed", "empty file"),
    "blank.txt": ("failed", "empty file"),
    "binary.txt": ("failed", "binary content"),
    "bad-front-matter.md": ("failed", "front matter"),
    "broken.vtt": ("failed", "no cues"),
    "huge.txt": ("failed", "over the 50 MB limit"),
    "escape.md": ("skipped", "points outside"),
    "dangling.md": ("skipped", "broken symbolic link"),
    "utf16.md": ("added", "UTF-16"),
    "mixed-encoding.md": ("added", "not valid UTF-8"),
    "long-line.md": ("added", ""),
}
MAX_RSS_MB = 1200


def _ingest(corpus: Path, kb: Path, out: Path) -> tuple[dict, int, float]:
    """Run the real CLI in a child process: (JSON report, exit code, its peak RSS in MB).

    `os.wait4` gives the resources of that one child; RUSAGE_CHILDREN would mix in every
    child the test session ever waited for (servers, real-model ingests).
    """
    env = {**os.environ, "KENNING_EMBEDDING_MODEL": "hash", "KENNING_GIT_HISTORY": "false"}
    with out.open("w", encoding="utf-8") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "kenning", "ingest", str(corpus), "--kb", str(kb), "--json"],
            stdout=stdout, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    return json.loads(out.read_text("utf-8")), process.returncode, usage.ru_maxrss / 1024


@pytest.mark.slow
def test_hostile_corpus_gets_one_clear_reason_per_file(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    first = tmp_path / "first"
    first.mkdir()
    (first / "kept.md").write_text("# Kept\n\nThe quartermaster ledger stays.\n", "utf-8")
    report, code, _ = _ingest(first, kb, tmp_path / "first.json")
    assert code == 0 and report["counts"]["added"] == 1

    corpus = tmp_path / "corpus"
    build_hostile_corpus(corpus)
    report, code, peak_mb = _ingest(corpus, kb, tmp_path / "hostile.json")

    assert code == 1, "hostile files must make the ingest exit non-zero"
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    for name, (status, reason) in EXPECTED.items():
        assert name in by_name, f"{name} has no line in the report"
        assert by_name[name]["status"] == status, (name, by_name[name])
        assert reason.lower() in (by_name[name]["reason"] or "").lower(), (name, by_name[name])
    for name in ("good-0.md", "good-1.md", "good-2.md"):
        assert by_name[name]["status"] == "added", by_name[name]
    assert peak_mb < MAX_RSS_MB, f"peak memory {peak_mb:.0f} MB"

    from support import hash_settings

    from kenning import KnowledgeBase

    with KnowledgeBase(kb, hash_settings(kb)) as base:
        assert any("quartermaster" in h.text for h in base.search("quartermaster ledger"))
        assert len(base.search(GOOD_MARKER, k=10)) >= 3
        secret = base.search("outside-the-tree secret", k=20)
        assert not any("outside-the-tree" in h.text for h in secret), "a link escaped the tree"
        assert len(base.vectors) == base.store.count_chunks()
