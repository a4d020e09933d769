"""Watch mode with a real file watcher on a temporary folder: a file added, changed and deleted
is reflected in search within seconds, through `Watcher` and through `serve --watch`'s app."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from kenning import KnowledgeBase
from kenning.api.app import create_app
from kenning.ingest.watch import Watcher

TIMEOUT = 15.0


def eventually(check: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Whether `check` becomes true within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def sources(kb: KnowledgeBase, query: str) -> set[str]:
    return {hit.source for hit in kb.search(query, k=5)}


def test_watcher_adds_updates_and_removes(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "kept.md").write_text("# Kept\n\nThe quarterly budget review is on Fridays.\n")
    elsewhere = tmp_path / "elsewhere.md"  # ingested, gone, but not under the watched folder
    elsewhere.write_text("# Elsewhere\n\nThe office plants are watered on Mondays.\n")
    kb.ingest([elsewhere])
    elsewhere.unlink()
    reports = []
    watcher = Watcher([folder], kb.ingest, kb.writer, ignore=[kb.path], quiet_ms=100,
                      on_report=reports.append)  # fmt: skip
    thread = watcher.start()
    try:
        assert eventually(lambda: bool(reports))  # the first ingest
        assert str(folder / "kept.md") in sources(kb, "quarterly budget review")
        added = folder / "sub" / "heron.md"
        added.parent.mkdir()
        added.write_text("# Herons\n\nThe heron migration survey starts in April.\n")
        assert eventually(lambda: str(added) in sources(kb, "heron migration survey"))
        added.write_text("# Herons\n\nThe heron survey moved to the lighthouse in October.\n")
        assert eventually(lambda: any(
            "lighthouse" in h.text for h in kb.search("heron survey lighthouse", k=3)
        ))  # fmt: skip
        added.unlink()
        assert eventually(lambda: not any(
            h.source == str(added) for h in kb.search("heron survey", k=5)
        ))  # fmt: skip
        assert eventually(lambda: any(str(added) in r.pruned for r in reports))
        # Removal is limited to the watched paths, unlike `--prune`.
        assert str(elsewhere) in {s for s in kb.writer.sources().values()}
        assert str(folder / "kept.md") in sources(kb, "quarterly budget review")
    finally:
        watcher.stop()
        thread.join(timeout=TIMEOUT)
    assert not thread.is_alive()


def test_a_failing_ingest_does_not_stop_the_watcher(kb: KnowledgeBase, tmp_path: Path) -> None:
    calls = []

    def flaky(paths: list[Path]):  # noqa: ANN202
        calls.append(paths)
        if len(calls) == 1:
            raise RuntimeError("disk on fire")
        return kb.ingest(paths)

    (tmp_path / "a.md").write_text("# A\n\nAlpha.\n")
    watcher = Watcher([tmp_path / "a.md"], flaky, kb.writer, quiet_ms=100)
    thread = watcher.start()
    try:
        assert eventually(lambda: len(calls) == 1)
        (tmp_path / "a.md").write_text("# A\n\nThe alpaca shearing schedule.\n")
        (tmp_path / "b.md").write_text("# B\n\nNot watched: another file in the folder.\n")
        assert eventually(lambda: str(tmp_path / "a.md") in sources(kb, "alpaca shearing"))
        assert all(paths == [(tmp_path / "a.md").resolve()] for paths in calls)
    finally:
        watcher.stop()
        thread.join(timeout=TIMEOUT)


def test_serve_watch_runs_the_watcher_in_the_server(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "wiki"
    folder.mkdir()
    app = create_app(kb=kb, ui=False, watch=[folder])
    with TestClient(app) as client:
        (folder / "ferry.md").write_text("# Ferry\n\nThe ferry timetable changes in May.\n")

        def found() -> bool:
            hits = client.post("/v1/search", json={"query": "ferry timetable"}).json()["hits"]
            return any(h["source"].endswith("ferry.md") for h in hits)

        assert eventually(found)
        watcher = app.state.watcher
    assert watcher.stop_event.is_set()
    assert not any(t.name == "kenning-watch" and t.is_alive() for t in threading.enumerate())
