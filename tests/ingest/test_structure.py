"""Kinds, chunking and git history."""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePath

import pytest
from support import GOOD

from kenning.ingest.chunking import ChunkSettings, chunk_blocks
from kenning.ingest.git_history import GitHistory, repository_root
from kenning.ingest.kinds import detect_kind
from kenning.ingest.parsers import parser_for
from kenning.schema import Block


def parsed(relative: str):
    path = GOOD / relative
    return parser_for(path)(path)


@pytest.mark.parametrize(
    ("relative", "folder", "kind"),
    [
        ("meeting/planning.md", "notes/x.md", "meeting"),
        ("retro/outage.md", "x/outage.md", "retrospective"),
        ("vtt/standup.vtt", "x/standup.vtt", "transcript"),
        ("markdown/runbook.md", "x/runbook.md", "document"),
        ("markdown/runbook.md", "postmortems/runbook.md", "retrospective"),
    ],
)
def test_kind_detection(relative: str, folder: str, kind: str) -> None:
    assert detect_kind(parsed(relative), PurePath(folder)) == kind


def test_kind_override_wins_and_is_checked() -> None:
    doc = parsed("markdown/runbook.md")
    assert detect_kind(doc, PurePath("x.md"), "meeting") == "meeting"
    with pytest.raises(ValueError, match="valid kinds"):
        detect_kind(doc, PurePath("x.md"), "memo")


def test_transcript_windows_keep_whole_turns_and_times() -> None:
    turns = [Block(text=" ".join(["word"] * 40), speaker=f"S{i % 3}", start=i * 10.0,
                   end=i * 10.0 + 10) for i in range(20)]  # fmt: skip
    chunks = chunk_blocks("doc", turns, ChunkSettings(transcript_window_words=100))
    assert len(chunks) == 10  # 2 turns of 40 words per 100-word window
    assert chunks[0].start == 0.0 and chunks[0].end == 20.0
    assert chunks[0].text.startswith("S0: word")
    assert chunks[0].speakers == ("S0", "S1")
    assert chunks[-1].location == "00:03:00–00:03:20"


def test_a_turn_longer_than_the_window_is_cut_with_interpolated_times() -> None:
    long_turn = Block(text="This is a sentence. " * 100, speaker="Ann", start=0.0, end=400.0)
    chunks = chunk_blocks("doc", [long_turn], ChunkSettings(transcript_window_words=100))
    assert len(chunks) >= 4
    assert all(c.speakers == ("Ann",) for c in chunks)
    assert chunks[0].start == 0.0 and chunks[-1].end == pytest.approx(400.0)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(chunks, chunks[1:], strict=False))


def test_sections_keep_heading_paths_and_split_long_ones() -> None:
    blocks = [Block(text="short intro", heading_path=("Guide",)),
              Block(text="para. " * 600, heading_path=("Guide", "Long part"))]  # fmt: skip
    chunks = chunk_blocks("doc", blocks, ChunkSettings(section_chunk_chars=500))
    assert chunks[0].location == "Guide"
    assert len(chunks) > 3
    assert all(c.heading == "Guide > Long part" for c in chunks[1:])
    assert all(len(c.text) <= 500 for c in chunks)


def test_git_history_credits_top_committers(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str, author: str = "Ann Example <ann@corp.example>") -> None:
        name, email = author[:-1].split(" <")
        env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
               "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
               "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}  # fmt: skip
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env,
                       capture_output=True)  # fmt: skip

    git("init", "-q")
    doc = repo / "doc.md"
    for i in range(3):
        doc.write_text(f"# Doc\nversion {i}\n")
        git("add", ".")
        git("commit", "-qm", f"v{i}", author="Ann Example <ann@corp.example>")
    doc.write_text("# Doc\nversion 4\n")
    git("add", ".")
    git("commit", "-qm", "v4", author="Ben Other <ben@corp.example>")
    root = repository_root(doc)
    assert root == repo.resolve()
    top = GitHistory(root).top_authors(doc)
    assert top == [("Ann Example <ann@corp.example>", 3), ("Ben Other <ben@corp.example>", 1)]
