"""The `kenning` command line, run as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from support import BAD, GOOD

HIT_FIELDS = {"rank", "score", "document_id", "title", "source", "kind", "text", "location",
              "start", "end", "speakers", "lang"}  # fmt: skip


def kenning(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KENNING_EMBEDDING_MODEL": "hash", "KENNING_GIT_HISTORY": "false"}
    return subprocess.run(
        [sys.executable, "-m", "kenning", *args, "--kb", str(home)],
        capture_output=True, text=True, env=env, check=False, timeout=300,
    )  # fmt: skip


def test_ingest_then_search_json(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    result = kenning("ingest", str(GOOD / "markdown"), str(GOOD / "vtt"), home=home)
    assert result.returncode == 0, result.stderr
    assert "3 added, 0 updated, 0 unchanged, 0 failed" in result.stdout
    result = kenning("search", "zebrafish", "-k", "2", "--json", home=home)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)["hits"]
    assert len(hits) == 2
    assert all(set(hit) == HIT_FIELDS for hit in hits)
    assert hits[0]["title"] == "Cache flush runbook"


def test_ingest_exit_code_says_something_failed(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(BAD, bad)
    result = kenning("ingest", str(bad), home=tmp_path / "kb")
    assert result.returncode == 1
    assert "empty.md: empty file" in result.stdout
    assert "corrupt.pdf: cannot read PDF" in result.stdout
    assert "2 added" in result.stdout and "6 failed" in result.stdout


def test_search_filters_and_bad_filter_values(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    kenning("ingest", str(GOOD), home=home)
    result = kenning("search", "standup", "--kind", "transcript", "--json", home=home)
    kinds = {hit["kind"] for hit in json.loads(result.stdout)["hits"]}
    assert kinds == {"transcript"}
    result = kenning("search", "standup", "--kind", "memo", home=home)
    assert result.returncode == 2
    assert "unknown kind 'memo'" in result.stderr


def test_stats(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    kenning("ingest", str(GOOD / "meeting"), str(GOOD / "retro"), home=home)
    result = kenning("stats", home=home)
    assert "2 documents (1 meeting, 1 retrospective)" in result.stdout


def test_ask_and_experts(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    kenning("ingest", str(GOOD), home=home)
    env_answer = kenning("ask", "Why did the wombat batch job fail?", "--json", home=home)
    body = json.loads(env_answer.stdout)
    assert set(body) == {"answer", "citations", "experts", "abstained", "timings_ms", "answerer",
                         "rewritten_question", "corrected_question"}
    text = kenning("experts", "cache flush runbook", home=home)
    assert text.returncode == 0
    assert "Jane Doe" in text.stdout.splitlines()[1]
    empty = kenning("ask", "   ", home=home)
    assert empty.returncode == 2 and "question is empty" in empty.stderr


def test_asking_where_there_is_no_knowledge_base_says_where_it_looked(tmp_path: Path) -> None:
    env = {**os.environ, "KENNING_EMBEDDING_MODEL": "hash", "KENNING_HOME": ""}
    env.pop("KENNING_HOME")
    for command in (["ask", "How do we fail over?"], ["search", "failover"], ["experts", "x"]):
        result = subprocess.run([sys.executable, "-m", "kenning", *command], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)  # fmt: skip
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "--kb" in result.stderr and "KENNING_HOME" in result.stderr
        assert "confident answer" not in result.stdout
    assert not (tmp_path / ".kenning").exists()  # nothing was created on the way


def test_asking_an_empty_knowledge_base_is_an_error(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert kenning("ingest", str(empty), home=home).returncode == 0  # creates it, adds nothing
    result = kenning("ask", "How do we fail over?", home=home)
    assert result.returncode == 1 and "no documents" in result.stderr
