"""A real Ray cluster on loopback for the distributed tests: a head and one worker node,
one CPU each, started once and stopped afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import free_port

pytest.importorskip("ray")

RAY = Path(sys.executable).parent / "ray"
NODE_OPTIONS = ["--num-cpus", "1", "--object-store-memory", str(200 * 1024 * 1024),
                "--node-ip-address", "127.0.0.1", "--block"]  # fmt: skip
START_TIMEOUT = 120
STOP_GRACE = 5


SESSIONS: dict[str, list[int]] = {}  # by address: the session ids of the cluster's nodes


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(RAY_USAGE_STATS_ENABLED="0", HF_HUB_OFFLINE="1", DO_NOT_TRACK="true",
               GRADIO_ANALYTICS_ENABLED="False")  # fmt: skip
    return env


def _nodes_alive(address: str) -> int:
    result = subprocess.run([str(RAY), "status", "--address", address], capture_output=True,
                            text=True, env=_env(), timeout=60)  # fmt: skip
    if result.returncode != 0 or "Active:" not in result.stdout:
        return 0
    return result.stdout.split("Active:")[1].split("Pending:")[0].count("node_")


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address (127.0.0.1:PORT) of a two-node Ray cluster; the nodes run as `ray start
    --block` children of the tests, so stopping them stops only this cluster (`ray stop`
    would stop every Ray process of the machine)."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("ray")
    head_options = ["--head", "--port", str(port), "--disable-usage-stats",
                    "--include-dashboard=false", "--ray-client-server-port", str(free_port()),
                    "--dashboard-agent-listen-port", str(free_port())]  # fmt: skip
    nodes: list[subprocess.Popen[bytes]] = []
    try:
        with (logs / "head.log").open("wb") as log:
            nodes.append(subprocess.Popen([str(RAY), "start", *head_options, *NODE_OPTIONS],
                                          stdout=log, stderr=subprocess.STDOUT, env=_env(),
                                          start_new_session=True))
        _wait_for_port(port, nodes, logs)
        worker_options = ["--address", address, "--dashboard-agent-listen-port", str(free_port())]
        with (logs / "worker.log").open("wb") as log:
            nodes.append(subprocess.Popen([str(RAY), "start", *worker_options, *NODE_OPTIONS],
                                          stdout=log, stderr=subprocess.STDOUT, env=_env(),
                                          start_new_session=True))
        _wait(address, 2, nodes, logs)
        SESSIONS[address] = [node.pid for node in nodes]
        yield address
    finally:
        import ray

        ray.shutdown()
        # Each node is a process group of its own (`start_new_session`): its `ray start` and
        # the daemons it started. They get a moment to stop, then are killed: a graceful
        # stop takes half a minute per node, and nothing of a test cluster needs keeping.
        for node in nodes:
            os.killpg(node.pid, signal.SIGTERM)
        for node in nodes:
            try:
                node.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                os.killpg(node.pid, signal.SIGKILL)
                node.wait()


@pytest.fixture(scope="session")
def ray_sessions(ray_cluster: str) -> list[int]:
    """The session ids of the test cluster's nodes: each node's processes, its workers
    included, run in the session its `ray start` opened (`start_new_session`)."""
    return SESSIONS[ray_cluster]


def _wait_for_port(port: int, nodes: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.time() + START_TIMEOUT
    while time.time() < deadline and nodes[0].poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    _fail(logs, "the head's port never opened")


def _wait(address: str, count: int, nodes: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.time() + START_TIMEOUT
    while time.time() < deadline:
        if any(node.poll() is not None for node in nodes):
            break
        if _nodes_alive(address) >= count:
            return
        time.sleep(1)
    _fail(logs, f"{count} nodes did not come up")


def _fail(logs: Path, why: str) -> None:
    text = "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(logs.glob("*.log")))
    pytest.fail(f"the Ray cluster did not start: {why}\n{text}")
