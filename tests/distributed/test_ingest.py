"""`kenning ingest --ray`: a Ray cluster parses and embeds, and the knowledge base is the one
a local ingest makes; re-runs are incremental, bad files are reported, not fatal."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support import BAD, GOOD, ROOT, hash_settings
from typer.testing import CliRunner

from kenning.cli import app
from kenning.distributed.ingest import ingest_on_ray
from kenning.kb import DB_FILE, KnowledgeBase
from kenning.schema import IngestReport

MINUTES = ROOT.parent / "shared" / "data" / "minutes" / "rust-lang-team"
# Of each meeting series: 16 files, 21 people (initials, first names, handles), 240 chunks.
MINUTES_SLICE = slice(40, 48)
KILL_MARKS = ("parse_files", "EmbedChunks")  # in the titles of the job's worker processes
BAD_FILES = ("corrupt.docx", "empty.md", "binary.md", "unsupported.xyz")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/good with some bad files."""
    root = tmp_path_factory.mktemp("corpus")
    shutil.copytree(GOOD, root / "good")
    (root / "bad").mkdir()
    for name in BAD_FILES:
        shutil.copy(BAD / name, root / "bad" / name)
    return root


def copy_minutes(root: Path) -> list[Path]:
    """Some minutes of two meeting series (the shared data) under `root`."""
    folders = []
    for series in ("minutes", "design-meeting-minutes"):
        folder = root / series
        folder.mkdir(parents=True)
        for path in sorted((MINUTES / series).glob("*.md"))[MINUTES_SLICE]:
            shutil.copy(path, folder / path.name)
        folders.append(folder)
    return folders


def snapshot(home: Path) -> dict[str, Any]:
    """What a knowledge base holds, in a comparable form (vectors apart)."""
    conn = sqlite3.connect(home / DB_FILE)
    try:
        read = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
        return {
            "documents": read(
                "SELECT id, source, title, kind, created, updated, review_by, last_reviewed, "
                "tags, team, groups_, content_hash, meta FROM documents ORDER BY id"
            ),
            "chunks": read(
                'SELECT id, document_id, ord, text, location, heading, page, start, "end", '
                "speakers, lang FROM chunks ORDER BY id"
            ),
            "people": read(
                "SELECT id, name, aliases, teams, directory_aliases FROM people ORDER BY id"
            ),
            "evidence": sorted(read("SELECT * FROM evidence"), key=repr),
            "fts": read("SELECT rowid, text, context FROM chunks_fts ORDER BY text, rowid"),
            "vectors": {
                chunk_id: np.frombuffer(blob, dtype=np.float32)
                for chunk_id, blob in read("SELECT id, embedding FROM chunks")
            },
        }
    finally:
        conn.close()


def assert_same_knowledge(local: Path, remote: Path) -> None:
    a, b = snapshot(local), snapshot(remote)
    for table in ("documents", "chunks", "people", "evidence"):
        assert a[table] == b[table], table
    assert [row[1:] for row in a["fts"]] == [row[1:] for row in b["fts"]]
    assert a["vectors"].keys() == b["vectors"].keys()
    for chunk_id, vector in a["vectors"].items():
        np.testing.assert_allclose(vector, b["vectors"][chunk_id], atol=1e-5)


def files(report: IngestReport) -> list[tuple[str, str, str, int, str | None]]:
    return sorted((f.path, f.status, f.reason, f.chunks, f.document_id) for f in report.files)


def assert_same_report(local: IngestReport, remote: IngestReport) -> None:
    assert files(local) == files(remote)
    assert (local.chunks, local.people, sorted(local.pruned)) == (
        remote.chunks, remote.people, sorted(remote.pruned),
    )  # fmt: skip


def test_ray_ingest_equals_local_and_stays_incremental(
    corpus: Path, tmp_path: Path, ray_cluster: str
) -> None:
    local = KnowledgeBase(tmp_path / "local", hash_settings(tmp_path / "local"))
    remote = KnowledgeBase(tmp_path / "ray", hash_settings(tmp_path / "ray"))

    first = ingest_on_ray(remote, [corpus], ray_cluster)
    expected = local.ingest([corpus])
    assert_same_report(expected, first)
    assert first.count("added") >= 16 and first.chunks > 0
    failed = {Path(f.path).name for f in first.failed}
    assert {"corrupt.docx", "empty.md"} <= failed  # reported, not fatal
    assert_same_knowledge(local.path, remote.path)

    again = ingest_on_ray(remote, [corpus], ray_cluster)
    assert again.count("added") == again.count("updated") == 0
    assert again.count("unchanged") == first.count("added")
    assert_same_knowledge(local.path, remote.path)

    # A changed file is replaced, a removed one pruned, a new bad one reported.
    runbook = corpus / "good" / "markdown" / "runbook.md"
    runbook.write_text(runbook.read_text() + "\n\n## Afterwards\n\nTell the on-call channel.\n")
    (corpus / "good" / "text" / "faq.txt").unlink()
    shutil.copy(BAD / "corrupt.pdf", corpus / "bad" / "corrupt.pdf")
    expected = local.ingest([corpus], prune=True)
    changed = ingest_on_ray(remote, [corpus], ray_cluster, prune=True)
    assert_same_report(expected, changed)
    assert [f.status for f in changed.files if f.path == str(runbook)] == ["updated"]
    assert [Path(p).name for p in changed.pruned] == ["faq.txt"]
    assert "corrupt.pdf" in {Path(f.path).name for f in changed.failed}
    assert_same_knowledge(local.path, remote.path)

    hits = remote.search("on-call channel", k=3)  # the saved vector index is current
    assert hits and hits[0].source == str(runbook)
    local.close()
    remote.close()


@pytest.mark.skipif(not MINUTES.is_dir(), reason="the shared minutes are not here")
def test_minutes_people_resolve_as_locally(tmp_path: Path, ray_cluster: str) -> None:
    """Meeting series name people by initials and first names; resolving them needs every
    file of a folder (rosters) and the order of a local ingest."""
    minutes = copy_minutes(tmp_path / "corpus")
    local = KnowledgeBase(tmp_path / "local", hash_settings(tmp_path / "local"))
    remote = KnowledgeBase(tmp_path / "ray", hash_settings(tmp_path / "ray"))
    assert_same_report(local.ingest(minutes), ingest_on_ray(remote, minutes, ray_cluster))
    assert_same_knowledge(local.path, remote.path)
    held = snapshot(remote.path)
    assert len(held["people"]) > 15 and len(held["evidence"]) > 100
    local.close()
    remote.close()


def test_cli_ingest_with_ray(
    corpus: Path, tmp_path: Path, ray_cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KENNING_EMBEDDING_MODEL", "hash")
    monkeypatch.setenv("KENNING_GIT_HISTORY", "false")
    home = tmp_path / "kb"
    args = ["ingest", str(corpus / "good" / "markdown"), str(BAD / "corrupt.docx"),
            "--kb", str(home), "--ray", ray_cluster]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output  # a file failed; the others are stored
    assert "corrupt.docx" in result.output
    assert "2 added, 0 updated, 0 unchanged, 1 failed" in result.output


def test_bench_compares_the_same_ingest_here_and_on_ray(
    corpus: Path, tmp_path: Path, ray_cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kenning bench --ray`'s step: both ingests store the same chunks, the re-runs find
    everything unchanged, and its table names the cluster and its two nodes."""
    from kenning.bench import ray

    monkeypatch.setenv("KENNING_EMBEDDING_MODEL", "hash")
    files = sorted((corpus / "good" / "markdown").iterdir())
    both = ray.ingest_both(files, tmp_path, ray_cluster)
    assert both["local"]["chunks"] == both["ray"]["chunks"] > 0
    assert both["local"]["failed"] == both["ray"]["failed"] == 0
    text = ray.section(ray_cluster, ray.cluster_nodes(ray_cluster), len(files), both)
    assert f"| Ray at {ray_cluster} (2 nodes) | {both['ray']['chunks']} | 0 |" in text
    with KnowledgeBase(both["ray"]["home"], hash_settings(both["ray"]["home"])) as kb:
        assert kb.stats()["chunks"] == both["ray"]["chunks"]

    # Then served: the same questions here and through Ray Serve over two shards.
    try:
        served = ray.serve_both(both["ray"]["home"], tmp_path, ray_cluster,
                                ["deploy pipeline owner", "What is the cache flush runbook?"],
                                clients=2, seconds=3)  # fmt: skip
    finally:
        _shut_serve_down(ray_cluster)  # the next tests start Serve with their own port
    for label in ("local", "ray"):
        assert served[label]["errors"] == 0, served[label]["first_error"]
        assert served[label]["requests_per_s"] > 0 and served[label]["start_to_first_answer_s"]
    assert sorted(p.name for p in (tmp_path / "shards").iterdir()) == ["shard-00", "shard-01"]
    table = ray.serve_section(ray_cluster, served)
    assert f"| 2 shards through Ray Serve at {ray_cluster} | 2 |" in table


def _shut_serve_down(address: str) -> None:
    import ray as ray_module
    from ray import serve

    ray_module.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    serve.shutdown()


def _cluster_workers(sessions: list[int], marks: tuple[str, ...]) -> list[tuple[int, str]]:
    """(pid, title) of this cluster's processes whose title holds one of `marks`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if any(mark in title for mark in marks) and os.getsid(int(proc.name)) in sessions:
                found.append((int(proc.name), title.strip()))
        except OSError:
            continue
    return found


def test_a_worker_killed_mid_ingest_loses_and_repeats_nothing(
    corpus: Path, tmp_path: Path, ray_cluster: str, ray_sessions: list[int]
) -> None:
    """SIGKILL to a worker process running a parse task and to an embedding actor's while the
    job runs: Ray runs the task again and restarts the actor; the knowledge base is the
    local ingest's, chunk for chunk."""
    folders = [corpus / "good", *copy_minutes(tmp_path / "corpus")]
    local = KnowledgeBase(tmp_path / "local", hash_settings(tmp_path / "local"))
    remote = KnowledgeBase(tmp_path / "ray", hash_settings(tmp_path / "ray"))
    killed: list[tuple[int, str, float]] = []
    stop = threading.Event()
    started = time.monotonic()

    earlier = {pid for pid, _ in _cluster_workers(ray_sessions, KILL_MARKS)}  # other jobs'

    def killer() -> None:  # one parsing worker and one embedding actor, once it has started
        wanted = list(KILL_MARKS)
        while not stop.is_set() and wanted:
            for pid, title in _cluster_workers(ray_sessions, tuple(wanted)):
                if title.endswith("__init__") or ("EmbedChunks" in title and pid in earlier):
                    continue
                os.kill(pid, signal.SIGKILL)
                killed.append((pid, title, round(time.monotonic() - started, 1)))
                wanted = [mark for mark in wanted if mark not in title]
                break
            time.sleep(0.01)

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        report = ingest_on_ray(remote, folders, ray_cluster)
    finally:
        stop.set()
        thread.join()
    seconds = time.monotonic() - started
    print(f"\nkilled {killed} mid-ingest; the job finished in {seconds:.1f} s")
    assert any("EmbedChunks" in title for _, title, _ in killed), killed
    assert_same_report(local.ingest(folders), report)
    assert_same_knowledge(local.path, remote.path)
    local.close()
    remote.close()
