"""Hostile and malformed files: each gets its own clear reason, nothing else is lost, and
memory stays bounded (measured on a real `kenning ingest` process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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


def _peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), or None once it has exited.

    Read from /proc because a child's ru_maxrss starts at its parent's size at fork and
    survives exec: under a test session holding a model, every child would "use" 2 GB.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def _ingest(corpus: Path, kb: Path, out: Path) -> tuple[dict, int, float]:
    """Run the real CLI in a child process: (JSON report, exit code, its peak RSS in MB)."""
    env = {**os.environ, "KENNING_EMBEDDING_MODEL": "hash", "KENNING_GIT_HISTORY": "false"}
    peak = 0.0
    with out.open("w", encoding="utf-8") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "kenning", "ingest", str(corpus), "--kb", str(kb), "--json"],
            stdout=stdout, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        while process.poll() is None:
            peak = max(peak, _peak_rss_mb(process.pid) or 0.0)
            time.sleep(0.01)
    return json.loads(out.read_text("utf-8")), process.returncode, peak


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
