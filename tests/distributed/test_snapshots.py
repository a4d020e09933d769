"""Published snapshots (`kenning shard --publish`) and switching served replicas to them, on a
deployment of autoscaled replicas: a snapshot is published whole or not at all; served,
requests go on while a new one is published and none fails, and the new document is found
after the switch; a pointer naming a bad snapshot is not switched to. The same deployment
(two ingress replicas) measures an ingress replica killed under load."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import GOOD, free_port, get, hash_settings, kill_and_await_replacement, post
from typer.testing import CliRunner

from kenning.api.app import create_app
from kenning.cli import app
from kenning.distributed.search import ShardedKnowledgeBase
from kenning.distributed.shards import split_knowledge_base
from kenning.distributed.snapshots import (
    CURRENT_FILE,
    OpenSnapshots,
    ShardSource,
    current_version,
    publish_snapshot,
    snapshot_folder,
    versions,
)
from kenning.errors import KenningError
from kenning.kb import KnowledgeBase

FIRST = ("markdown", "retro", "meeting", "vtt", "text")
NEW_DOCUMENT = """# Runbook: narwhal tank cleaning

The narwhal tank is drained every Thursday. Owner: Ines Duarte.

1. Close the intake valve of the narwhal tank.
2. Drain the tank into the holding pool.
"""
NEW_QUERY = "narwhal tank cleaning"
CLIENTS = 2
SWITCH_TIMEOUT_S = 60
SETTLE_S = 5.0  # after one ingress replica has switched, the others have too
RECOVERY_TIMEOUT_S = 120
POLL_S = 0.5


def make_kb(root: Path) -> tuple[Path, object]:
    home = root / "kb"
    settings = hash_settings(home)
    with KnowledgeBase(home, settings) as kb:
        kb.ingest([GOOD / name for name in FIRST])
    return home, settings


def add_new_document(home: Path, settings: object, root: Path) -> None:
    path = root / "new" / "narwhal.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(NEW_DOCUMENT)
    with KnowledgeBase(home, settings) as kb:  # type: ignore[arg-type]
        kb.ingest([path])


def found(hits: list[dict]) -> bool:
    return any("narwhal" in h["text"].lower() for h in hits)


def test_publish_makes_a_new_current_snapshot(tmp_path: Path) -> None:
    home, settings = make_kb(tmp_path)
    root = tmp_path / "served"
    first = publish_snapshot(home, root, 2, settings)  # type: ignore[arg-type]
    assert first["version"] == "0001" and current_version(root) == "0001"
    assert (root / CURRENT_FILE).read_text() == "0001\n"
    with ShardedKnowledgeBase.open(root, settings) as sharded:  # type: ignore[arg-type]
        assert not found([h.to_dict() for h in sharded.search(NEW_QUERY, k=5)])
        documents = sharded.stats()["documents"]
    with KnowledgeBase(snapshot_folder(root, "0001") / "shard-00", settings) as served:  # type: ignore[arg-type]
        served.store.log_question("how do narwhals swim?", True, 0.1, 12.0, "extractive", None)
    add_new_document(home, settings, tmp_path)
    second = publish_snapshot(home, root, 2, settings)  # type: ignore[arg-type]
    with KnowledgeBase(snapshot_folder(root, "0002") / "shard-00", settings) as new:  # type: ignore[arg-type]
        gaps = json.dumps(new.store.knowledge_gaps(1.0, 10))
        assert "how do narwhals swim?" in gaps  # the served question log goes on
    assert second["version"] == "0002" and versions(root) == ["0001", "0002"]
    assert [Path(str(s["folder"])).parent.name for s in second["shards"]] == ["0002"] * 2  # type: ignore[union-attr]
    with ShardedKnowledgeBase.open(root, settings) as sharded:  # type: ignore[arg-type]
        assert found([h.to_dict() for h in sharded.search(NEW_QUERY, k=5)])
        assert sharded.stats()["documents"] == documents + 1
    with KnowledgeBase(snapshot_folder(root, "0001") / "shard-00", settings) as old:  # type: ignore[arg-type]
        assert old.stats()["documents"]  # the old snapshot is untouched
    with pytest.raises(KenningError, match="has 2 shards, not 3"):
        publish_snapshot(home, root, 3, settings)  # type: ignore[arg-type]
    for _ in range(2):
        publish_snapshot(home, root, 2, settings)  # type: ignore[arg-type]
    assert versions(root) == ["0002", "0003", "0004"]  # the 3 newest kept
    assert not [p for p in (root / "snapshots").iterdir() if p.name.startswith(".")]
    split_knowledge_base(home, 2, tmp_path / "plain", settings)  # type: ignore[arg-type]
    with pytest.raises(KenningError, match="not a snapshot"):
        publish_snapshot(home, tmp_path / "plain", 2, settings)  # type: ignore[arg-type]


def test_a_publish_copies_the_shards_whose_documents_did_not_change(tmp_path: Path) -> None:
    home, settings = make_kb(tmp_path)
    root = tmp_path / "served"
    first = publish_snapshot(home, root, 2, settings)  # type: ignore[arg-type]
    assert [s["copied"] for s in first["shards"]] == [False, False]  # type: ignore[index]
    with KnowledgeBase(snapshot_folder(root, "0001") / "shard-00", settings) as served:  # type: ignore[arg-type]
        served.store.log_question("how do narwhals swim?", True, 0.1, 12.0, "extractive", None)
    again = publish_snapshot(home, root, 2, settings)  # type: ignore[arg-type]
    assert [s["copied"] for s in again["shards"]] == [True, True]  # type: ignore[index]
    with KnowledgeBase(snapshot_folder(root, "0002") / "shard-00", settings) as new:  # type: ignore[arg-type]
        assert json.dumps(new.store.knowledge_gaps(1.0, 10)).count("how do narwhals swim?") == 1

    add_new_document(home, settings, tmp_path)
    third = publish_snapshot(home, root, 2, settings)  # type: ignore[arg-type]
    copied = [s["copied"] for s in third["shards"]]  # type: ignore[index]
    assert sorted(copied) == [False, True]  # only the new document's shard is split again
    split_knowledge_base(home, 2, tmp_path / "fresh", settings)  # type: ignore[arg-type]
    queries = [NEW_QUERY, "How do we fail over the payments database?", "cache flush runbook",
               "retrospective action items", "who owns the deploy pipeline"]  # fmt: skip
    with (ShardedKnowledgeBase.open(root, settings) as published,  # type: ignore[arg-type]
          ShardedKnowledgeBase.open(tmp_path / "fresh", settings) as fresh):  # type: ignore[arg-type]
        assert published.stats() == fresh.stats()
        for query in queries:
            assert ([h.to_dict() for h in published.search(query, k=10)]
                    == [h.to_dict() for h in fresh.search(query, k=10)]), query  # fmt: skip
        assert found([h.to_dict() for h in published.search(NEW_QUERY, k=5)])


def test_a_failed_publish_leaves_the_current_snapshot(tmp_path: Path) -> None:
    home, settings = make_kb(tmp_path)
    root = tmp_path / "served"
    publish_snapshot(home, root, 2, settings)  # type: ignore[arg-type]
    with pytest.raises(KenningError, match="no knowledge base"):
        publish_snapshot(tmp_path / "nothing", root, 2, settings)  # type: ignore[arg-type]
    assert current_version(root) == "0001" and versions(root) == ["0001"]
    assert [p.name for p in (root / "snapshots").iterdir()] == ["0001"]  # nothing half-built


def test_the_next_publish_removes_what_a_killed_one_left(tmp_path: Path) -> None:
    """A killed publish leaves its building folder and maybe a pointer file; the next publish
    on this machine removes them, and leaves a running publisher's and another machine's."""
    import subprocess
    import sys

    from kenning.distributed.snapshots import _host

    home, settings = make_kb(tmp_path)
    root = tmp_path / "served"
    publish_snapshot(home, root, 2, settings)  # type: ignore[arg-type]
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    dead, host = int(child.stdout), _host()
    killed = root / "snapshots" / f".building-{host}-{dead}-0123abcd"
    (killed / "shard-00").mkdir(parents=True)
    (killed / "shard-00" / "kenning.sqlite").write_bytes(b"half written")
    pointer = root / f"{CURRENT_FILE}.{host}-{dead}-0123abcd"
    pointer.write_text("0007\n")
    running = root / "snapshots" / f".building-{host}-{os.getpid()}-89abcdef"
    elsewhere = root / "snapshots" / f".building-other_machine-{dead}-0123abcd"
    running.mkdir()
    elsewhere.mkdir()
    publish_snapshot(home, root, 2, settings)  # type: ignore[arg-type]
    left = sorted(p.name for p in (root / "snapshots").iterdir())
    assert left == sorted(["0001", "0002", running.name, elsewhere.name])
    assert not pointer.exists() and current_version(root) == "0002"


def test_questions_served_during_the_switch_go_on_in_the_new_snapshot(tmp_path: Path) -> None:
    """Questions and ratings logged on the previous snapshot, before the publish and by a
    replica that has not switched yet, are in the new snapshot's log, in order."""
    from kenning.index.store import Store

    home, settings = make_kb(tmp_path)
    root = tmp_path / "served"
    publish_snapshot(home, root, 2, settings)  # type: ignore[arg-type]
    old = Store(snapshot_folder(root, "0001") / "shard-00" / "kenning.sqlite")
    old.log_question("asked before the publish", False, 0.5, 12.0, "extractive")

    def late_replica() -> None:
        while current_version(root) != "0002":
            time.sleep(0.01)
        old.log_question("asked after the switch", True, None, 9.0, "extractive")
        old.add_feedback("asked after the switch", False, "no answer")

    thread = threading.Thread(target=late_replica)
    thread.start()
    publish_snapshot(home, root, 2, settings, catch_up_s=1.0)  # type: ignore[arg-type]
    thread.join()
    new = Store(snapshot_folder(root, "0002") / "shard-00" / "kenning.sqlite")
    new.log_question("asked of the new snapshot", False, 0.4, 8.0, "extractive")
    rows = new.conn.execute("SELECT question FROM questions ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["asked before the publish", "asked after the switch",
                                    "asked of the new snapshot"]  # fmt: skip
    assert new.conn.execute("SELECT comment FROM feedback").fetchall() == [("no answer",)]
    old.close()
    new.close()


def test_cli_shard_publish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, _ = make_kb(tmp_path)
    monkeypatch.setenv("KENNING_EMBEDDING_MODEL", "hash")
    root = tmp_path / "served"
    for expected in ("0001", "0002"):
        result = CliRunner().invoke(app, ["shard", "--kb", str(home), "--shards", "2", "--out",
                                          str(root), "--publish", "--json", "--catch-up",
                                          "0.2"])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["version"] == expected
    result = CliRunner().invoke(app, ["search", NEW_QUERY, "--shards", str(root), "--json"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["shard", "--kb", str(home), "--shards", "3", "--out",
                                      str(root), "--publish"])  # fmt: skip
    assert result.exit_code == 2 and "has 2 shards" in result.output


def test_a_shard_keeps_two_snapshots_open_and_closes_idle_ones(tmp_path: Path) -> None:
    home, settings = make_kb(tmp_path)
    root = tmp_path / "served"
    for _ in range(3):
        publish_snapshot(home, root, 2, settings)  # type: ignore[arg-type]
    opened = OpenSnapshots(ShardSource("shard-01", str(root), 1, 2), settings)  # type: ignore[arg-type]
    with opened.reads("0001") as held:
        with opened.reads("0002"), opened.reads("0003"):
            pass
        assert opened.opened() == ["0001", "0002", "0003"]  # 0001 in use: not closed
        assert held.chunk_count() > 0
    assert opened.opened() == ["0002", "0003"]
    with opened.reads(None) as current:  # the pointer's version
        assert current.kb.path == snapshot_folder(root, "0003") / "shard-01"
    with pytest.raises(KenningError, match="no knowledge base"), opened.reads("0009"):
        pass
    wrong = OpenSnapshots(ShardSource("shard-00", str(root), 1, 2), settings)  # type: ignore[arg-type]
    with pytest.raises(KenningError, match="is not shard 1 of 2"), wrong.reads("0003"):
        pass
    opened.close()


def test_replica_options_fixed_or_autoscaled() -> None:
    from kenning.distributed.serving import replica_options

    assert replica_options(3) == {"num_replicas": 3}
    assert replica_options(1, 2, 4)["autoscaling_config"] == {
        "min_replicas": 2, "initial_replicas": 2, "max_replicas": 4}
    assert replica_options(1, None, 2)["autoscaling_config"]["min_replicas"] == 1
    for bad in ((0, None, None), (1, 3, 2), (1, 0, 2), (1, 2, None)):
        with pytest.raises(KenningError):
            replica_options(*bad)
    # Refused before any cluster is reached.
    for flags, message in ((["--min-replicas", "2"], "needs --max-replicas"),
                           (["--min-replicas", "3", "--max-replicas", "2"], "autoscaling needs")):
        result = CliRunner().invoke(app, ["serve", "--ray", "127.0.0.1:9", *flags])
        assert result.exit_code == 2 and message in result.output, result.output


@pytest.fixture(scope="module")
def published(ray_cluster: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A knowledge base published as snapshot 0001 of 2 shards, served with the shards and
    the ingress autoscaled between 2 and 3 replicas (so two replicas of each switch)."""
    from ray import serve

    from kenning.distributed.serving import serve_on_ray

    root = tmp_path_factory.mktemp("published")
    home, settings = make_kb(root)
    publish_snapshot(home, root / "served", 2, settings)  # type: ignore[arg-type]
    apps = serve_on_ray(ray_cluster, root / "served", create_app, min_replicas=2, max_replicas=3,
                        port=free_port(), settings=settings,  # type: ignore[arg-type]
                        proxy_location="HeadOnly", poll_s=POLL_S)  # fmt: skip
    try:
        yield {"url": apps.url, "root": root, "home": home, "settings": settings, "apps": apps}
    finally:
        serve.shutdown()


def test_serve_accepts_the_autoscaling_bounds(published: dict) -> None:
    from ray.serve.context import _get_global_client

    details = _get_global_client().get_serve_details()["applications"]
    shard_apps = [(name, "shard") for name in published["apps"].shard_apps]
    for app_name, deployment in [*shard_apps, ("kenning", "ingress")]:
        config = details[app_name]["deployments"][deployment]["deployment_config"]
        scaling = config["autoscaling_config"]
        assert (scaling["min_replicas"], scaling["max_replicas"]) == (2, 3), config
        assert _running(app_name, deployment) == 2


def test_replicas_switch_to_a_published_snapshot_without_dropping_requests(
    published: dict,
) -> None:
    """Two clients search and ask in a loop while the knowledge base gains a document and is
    published as snapshot 0002: every request answers 200; none finds the new document
    before the publish; once one has found it, every one started `SETTLE_S` later does (each
    ingress replica switches on its own); the served results are then the new snapshot's."""
    url, root, settings = published["url"], published["root"], published["settings"]
    results: list[tuple[float, float, int, bool]] = []  # started, ended, status, found
    stop = threading.Event()

    def client(n: int) -> None:
        while not stop.is_set():
            started = time.monotonic()
            if n % 2:
                status, data, _ = post(f"{url}/v1/search", {"query": NEW_QUERY, "k": 5})
                hit = status == 200 and found(data["hits"])
            else:
                status, data, _ = post(f"{url}/v1/ask", {"question": f"How is the {NEW_QUERY} "
                                                                    "done?"})  # fmt: skip
                hit = status == 200 and found(data["citations"])
            results.append((started, time.monotonic(), status, hit))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        while len(results) < 4:
            time.sleep(0.05)
        publish_started = time.monotonic()
        add_new_document(published["home"], settings, root)
        publish_snapshot(published["home"], root / "served", 2, settings)
        published_at = time.monotonic()
        while time.monotonic() - published_at < SWITCH_TIMEOUT_S:
            if any(hit and start >= published_at for start, _, _, hit in results):
                break
            time.sleep(0.1)
        switched_at = time.monotonic()
        time.sleep(SETTLE_S + 3)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    failed = [r for r in results if r[2] != 200]
    first_found = min((end for _, end, _, hit in results if hit), default=None)
    before = [r for r in results if r[1] <= published_at]
    after = [r for r in results if first_found is not None and r[0] >= first_found + SETTLE_S]
    shards = get(f"{url}/v1/shards")
    latencies = sorted(end - start for start, end, _, _ in results)
    print(f"\n{len(results)} requests ({len(before)} before the publish, "
          f"{len([r for r in results if r[0] >= publish_started and r[1] <= switched_at])} "
          f"during it and the switch), {len(failed)} failed; published in "
          f"{published_at - publish_started:.1f} s; first request finding the new document "
          f"ended {(first_found or switched_at) - published_at:.1f} s after the publish; "
          f"median {latencies[len(latencies) // 2] * 1000:.0f} ms, max "
          f"{latencies[-1] * 1000:.0f} ms; {shards['switches']} switch(es)")  # fmt: skip
    assert not failed, failed
    assert before and not any(hit for *_, hit in before)
    assert first_found is not None, "the new snapshot was never served"
    assert after and all(hit for *_, hit in after)
    assert shards["snapshot"] == "0002" and shards["switches"] == 1
    assert not any(s["failed"] for s in shards["shards"]), shards
    with ShardedKnowledgeBase.open(root / "served", settings) as local:
        status, data, _ = post(f"{url}/v1/search", {"query": NEW_QUERY, "k": 10})
        assert data["hits"] == [h.to_dict() for h in local.search(NEW_QUERY, k=10)]


def test_a_pointer_to_a_bad_snapshot_is_not_switched_to(published: dict) -> None:
    """`CURRENT` naming a missing snapshot, then one with another shard count: the ingress
    stays on the snapshot it reads, requests answer, `/v1/shards` says why."""
    url, served = published["url"], published["root"] / "served"
    current = current_version(served)
    bad = snapshot_folder(served, "0099")
    split_knowledge_base(published["home"], 3, bad, published["settings"])
    try:
        for version in ("0098", "0099"):
            (served / "pointer").write_text(version + "\n")
            os.replace(served / "pointer", served / CURRENT_FILE)
            time.sleep(POLL_S * 4)
            status, data, _ = post(f"{url}/v1/search", {"query": NEW_QUERY, "k": 5})
            assert status == 200 and found(data["hits"])
            shards = get(f"{url}/v1/shards")
            assert shards["snapshot"] == current and version in shards["refused"], shards
        assert "not shard-00, shard-01" in shards["refused"]["0099"]
    finally:
        (served / "pointer").write_text(f"{current}\n")
        os.replace(served / "pointer", served / CURRENT_FILE)
        shutil.rmtree(bad)


def _running(app: str, deployment: str) -> int:
    from ray import serve

    status = serve.status().applications[app].deployments[deployment]
    return int(status.replica_states.get("RUNNING", 0))


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _ingress_replicas() -> list[str]:
    import ray

    return [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
            if a["name"].startswith("SERVE_REPLICA::kenning#ingress#")]  # fmt: skip


def test_a_killed_ingress_replica(published: dict) -> None:
    """Three clients search in a loop while the busier of the two ingress replicas is killed
    (SIGKILL): only requests the dead replica held may fail (Serve's proxy does not send them
    again), at most one per client; requests started after it answer (the other replica) and
    Serve replaces it."""

    import ray

    url = published["url"]
    results: list[tuple[float, float, int]] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                status, _, _ = post(f"{url}/v1/search", {"query": NEW_QUERY, "k": 5})
            except OSError:  # the connection dropped
                status = 0
            results.append((started, time.monotonic(), status))

    threads = [threading.Thread(target=client) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        while len(results) < 10:
            time.sleep(0.05)
        first = set(_ingress_replicas())
        pids = {name: ray.get(ray.get_actor(name, namespace="serve").__ray_call__.remote(
            lambda _: os.getpid())) for name in first}  # fmt: skip
        before = {name: _cpu_ticks(pid) for name, pid in pids.items()}
        time.sleep(1.0)  # the busy one (Serve's proxy prefers replicas on its own node)
        victim = max(first, key=lambda name: _cpu_ticks(pids[name]) - before[name])
        pid = pids[victim]
        killed_at, recovered_at = kill_and_await_replacement(
            pid, victim, first, _ingress_replicas, lambda: _running("kenning", "ingress"),
            RECOVERY_TIMEOUT_S,
        )  # fmt: skip
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    failed = [r for r in results if r[2] != 200]
    during = [r for r in results if killed_at <= r[0] <= (recovered_at or killed_at)]
    late = [r for r in failed if r[0] > killed_at + 1.0]
    print(f"\nkilled an ingress replica (pid {pid}): {len(results)} requests, "
          f"{len(during)} started while it was replaced, {len(failed)} failed "
          f"(statuses {sorted({r[2] for r in failed})}, started "
          f"{[round(r[0] - killed_at, 2) for r in failed]} s from the kill); replaced in "
          f"{(recovered_at or time.monotonic()) - killed_at:.1f} s")  # fmt: skip
    assert recovered_at is not None, "Serve did not replace the ingress replica"
    # The replacement was deployed with snapshot 0001 and read the pointer as it started.
    assert {get(f"{url}/v1/shards")["snapshot"] for _ in range(20)} == {"0002"}
    assert during and all(r[2] == 200 for r in during if r[0] > killed_at + 1.0), late
    assert len(failed) <= 3, failed
