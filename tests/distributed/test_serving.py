"""`kenning serve --ray`: the HTTP API through Ray Serve over shard deployments answers as the
shards answer in one process; a killed shard replica costs no request, a missing shard is a
503 naming it unless the request allows partial results."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    GOOD,
    ensure_chromium,
    free_port,
    get,
    hash_settings,
    kill_and_await_replacement,
    post,
)

from kenning.api.app import create_app
from kenning.distributed.search import ShardedKnowledgeBase
from kenning.distributed.shards import split_knowledge_base
from kenning.errors import KenningError
from kenning.kb import KnowledgeBase

QUESTIONS = [
    "How do we fail over the payments database?", "What caused customers to be charged twice?",
    "retrospective action items", "who owns the deploy pipeline", "cache flush runbook steps",
    "login outage root cause", "zebrafish",
]  # fmt: skip
SHARD_TIMEOUT_S = 4.0
RECOVERY_TIMEOUT_S = 120
CLIENTS = 3
SLOW_ROWS = 8_000_000  # a read that keeps a replica busy for seconds
SLOW_READ = (f"SELECT (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
             f"WHERE x < {SLOW_ROWS}) SELECT count(*) FROM c)")


def answer(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "timings_ms"}


@pytest.fixture(scope="module")
def served(ray_cluster: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Two shards of a small knowledge base, each shard with two replicas, behind one ingress
    replica."""
    from ray import serve

    from kenning.distributed.serving import serve_on_ray

    root = tmp_path_factory.mktemp("served")
    home = root / "kb"
    settings = hash_settings(home)
    with KnowledgeBase(home, settings) as kb:
        kb.ingest([GOOD / name for name in ("markdown", "retro", "meeting", "vtt", "text")])
    split_knowledge_base(home, 2, root / "shards", settings)
    port = free_port()
    apps = serve_on_ray(ray_cluster, root / "shards", create_app, replicas=2, ingress_replicas=1,
                        port=port, settings=settings, timeout_s=SHARD_TIMEOUT_S,
                        proxy_location="HeadOnly")  # fmt: skip
    try:
        yield {"url": apps.url, "shards": root / "shards", "settings": settings, "apps": apps}
    finally:
        serve.shutdown()


def test_served_answers_are_the_shards_answers(served: dict) -> None:
    url = served["url"]
    with ShardedKnowledgeBase.open(served["shards"], served["settings"]) as local:
        for question in QUESTIONS:
            status, data, _ = post(f"{url}/v1/ask", {"question": question})
            assert status == 200, data
            assert answer(data) == answer(local.ask(question).to_dict()), question
            status, data, _ = post(f"{url}/v1/search", {"query": question, "k": 10})
            assert data["hits"] == [h.to_dict() for h in local.search(question, k=10)]
            found = get(f"{url}/v1/experts?topic={urllib.request.quote(question)}")
            assert found["experts"] == [e.to_dict() for e in local.experts(question)]
        status, data, _ = post(f"{url}/v1/ask", {"question": QUESTIONS[0],
                                                 "filters": {"kind": ["meeting"]}})  # fmt: skip
        assert answer(data) == answer(local.ask(QUESTIONS[0], filters={"kind": ["meeting"]})
                                      .to_dict())  # fmt: skip
        reader = local.qa.reader
        document = reader.documents(None, 1, 0)[1][0]["id"]
        assert get(f"{url}/v1/documents?limit=5&offset=2")["documents"] == \
            json.loads(json.dumps(reader.documents(None, 5, 2)[1]))  # fmt: skip
        people = get(f"{url}/v1/people")["people"]
        assert people == json.loads(json.dumps(reader.people())) and people
        person = get(f"{url}/v1/people/{people[0]['id']}")
        evidence = json.loads(json.dumps(reader.person(people[0]["id"])["evidence"]))
        for listed in (person["documents"], person["meetings"]):  # subsets of the evidence
            assert listed == [e for e in evidence if e in listed]
        assert person["documents"] or person["meetings"]
        assert get(f"{url}/healthz") == {"status": "ok", "chunks": reader.counts()["chunks"]}
        assert get(f"{url}/v1/stats")["documents"] == reader.counts()["documents"]
        status, data, _ = post(f"{url}/v1/chat/completions", {
            "model": "kenning", "messages": [{"role": "user", "content": QUESTIONS[0]}]})
        assert status == 200, data
    request = urllib.request.Request(f"{url}/v1/documents/{document}", method="DELETE")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 409  # shards are read-only
    shards = get(f"{url}/v1/shards")["shards"]
    assert [s["name"] for s in shards] == ["shard-00", "shard-01"]
    # A shard's own error is the caller's at once, not a shard's unavailability.
    from ray import serve

    from kenning.distributed.serving import SHARD_DEPLOYMENT, RemoteShard

    handle = serve.get_deployment_handle(SHARD_DEPLOYMENT, app_name="kenning-shard-00")
    shard = RemoteShard(handle, "shard-00", SHARD_TIMEOUT_S)
    assert shard.submit("generation")() >= 0
    started = time.monotonic()
    with pytest.raises(KenningError, match="unknown shard read"):
        shard.submit("close")()
    assert time.monotonic() - started < SHARD_TIMEOUT_S and shard.counters.retried == 0
    assert all(s["calls"] and not s["failed"] for s in shards), shards



def test_the_ui_is_served_through_serve(served: dict) -> None:
    """The ingress serves the web UI beside the API: in Chromium, a question asked on the Ask
    tab is answered from the shards with the answer and sources the API gives, and the Library
    lists the documents of every shard."""
    from playwright.sync_api import sync_playwright

    url = served["url"]
    asked = ((q, post(f"{url}/v1/ask", {"question": q})[1]) for q in QUESTIONS)
    question, expected = next((q, a) for q, a in asked if not a["abstained"])  # hashing embedder
    ensure_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=url)
            page.set_default_timeout(RECOVERY_TIMEOUT_S * 1000)
            page.goto("/ui/")  # the UI is built on its first visit: a reloading page until then
            box = page.locator("#kn-question").get_by_role("textbox")
            box.fill(question)
            box.press("Enter")
            shown = page.locator("#kn-answer").inner_text()
            assert not page.locator("#kn-answer.kn-abstained").count()
            first_words = " ".join(expected["answer"].split()[:6])
            assert first_words in " ".join(shown.split()), (shown, expected["answer"])
            source = page.locator("#kn-source-1").inner_text()
            assert expected["citations"][0]["title"] in source
            page.get_by_role("tab", name="Library").click()
            titles = {d["title"] for d in get(f"{url}/v1/documents?limit=100")["documents"]}
            page.wait_for_function("titles => titles.every(t => document.querySelector("
                                   "'#kn-tab-library').innerText.includes(t))",
                                   arg=sorted(titles))  # fmt: skip
            assert titles
        finally:
            browser.close()

def _replicas(app: str) -> list[str]:
    import ray

    return [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
            if a["name"].startswith(f"SERVE_REPLICA::{app}#")]  # fmt: skip


def _running(app: str) -> int:
    from ray import serve

    status = serve.status().applications[app].deployments["shard"]
    return int(status.replica_states.get("RUNNING", 0)) if status.status == "HEALTHY" else 0


def test_a_killed_shard_replica_costs_no_request(served: dict) -> None:
    """Requests go on (three clients) while a replica of shard-00 is killed (SIGKILL to its
    process) and Serve replaces it: none fails, every answer is the expected one; the shard
    calls that went to the dead replica are retried on the other."""
    import ray

    url, app = served["url"], served["apps"].shard_apps[0]
    expected = answer(post(f"{url}/v1/ask", {"question": QUESTIONS[0]})[1])
    before = get(f"{url}/v1/shards")["shards"][0]
    results: list[tuple[float, int, bool]] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            started = time.monotonic()
            status, data, _ = post(f"{url}/v1/ask", {"question": QUESTIONS[0]})
            results.append((started, status, status == 200 and answer(data) == expected))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        while len(results) < 3:
            time.sleep(0.05)
        first = set(_replicas(app))
        victim = sorted(first)[0]
        actor = ray.get_actor(victim, namespace="serve")
        pid = ray.get(actor.__ray_call__.remote(lambda _: os.getpid()))
        killed_at, recovered_at = kill_and_await_replacement(
            pid, victim, first, lambda: _replicas(app), lambda: _running(app),
            RECOVERY_TIMEOUT_S,
        )  # fmt: skip
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    after = get(f"{url}/v1/shards")["shards"][0]
    during = [r for r in results if r[0] >= killed_at]
    print(f"\nkilled a replica of {app} (pid {pid}): {len(results)} requests "
          f"({len(during)} after the kill), "
          f"{sum(not ok for _, _, ok in results)} errors or wrong answers, "
          f"{after['retried'] - before['retried']} shard calls retried, "
          f"{after['failed'] - before['failed']} failed; replaced in "
          f"{(recovered_at or time.monotonic()) - killed_at:.1f} s")  # fmt: skip
    assert recovered_at is not None, "Serve did not replace the replica"
    assert during and all(ok for _, _, ok in results), [r for r in results if not r[2]]
    assert after["failed"] == before["failed"]


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_a_call_in_flight_on_a_killed_replica_is_retried(served: dict) -> None:
    """Two slow shard reads in flight, one per replica of shard-00; the busy replica's
    process is killed: its call is sent again, to the other replica, and both answer."""
    import ray
    from ray import serve

    from kenning.distributed.serving import SHARD_DEPLOYMENT, RemoteShard

    app = served["apps"].shard_apps[0]
    handle = serve.get_deployment_handle(SHARD_DEPLOYMENT, app_name=app)
    shard = RemoteShard(handle, "shard-00", RECOVERY_TIMEOUT_S)
    pids = [ray.get(ray.get_actor(name, namespace="serve").__ray_call__.remote(
        lambda _: os.getpid())) for name in _replicas(app)]  # fmt: skip
    assert len(pids) == 2
    fetches = [shard.submit("rows", SLOW_READ, []) for _ in range(2)]
    before = {pid: _cpu_ticks(pid) for pid in pids}
    time.sleep(1.0)
    busy = max(pids, key=lambda pid: _cpu_ticks(pid) - before[pid])
    os.kill(busy, signal.SIGKILL)
    started = time.monotonic()
    assert [fetch() for fetch in fetches] == [[(SLOW_ROWS,)]] * 2
    print(f"\n{shard.counters.retried} shard call(s) retried after the kill; answered "
          f"{time.monotonic() - started:.1f} s after it")
    assert shard.counters.retried >= 1 and shard.counters.failed == 0


def test_a_missing_shard_is_a_503_naming_it_unless_partial(served: dict) -> None:
    from ray import serve

    url, apps = served["url"], served["apps"]
    serve.delete(apps.shard_apps[1])
    status, data, _ = post(f"{url}/v1/ask", {"question": QUESTIONS[0]})
    assert status == 503, data
    assert "shard-01" in data["error"]["message"]
    assert data["error"]["type"] == "ShardUnavailableError"
    status, data, headers = post(f"{url}/v1/ask?allow_partial=true", {"question": QUESTIONS[0]})
    assert status == 200, data
    assert {k.lower(): v for k, v in headers.items()}["x-kenning-missing-shards"] == "shard-01"
    with KnowledgeBase(served["shards"] / "shard-00", served["settings"]) as only:
        held = set(only.store.sources())
    assert {c["document_id"] for c in data["citations"]} <= held
    status, data, headers = post(f"{url}/v1/search?allow_partial=1", {"query": QUESTIONS[1]})
    assert status == 200 and "x-kenning-missing-shards" in {k.lower() for k in headers}
    assert data["hits"] and {h["document_id"] for h in data["hits"]} <= held
    status, data, _ = post(f"{url}/v1/search", {"query": QUESTIONS[0]})
    assert status == 503 and "shard-01" in data["error"]["message"]
