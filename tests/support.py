"""Paths and helpers shared by the tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from kenning.config import Settings, load_settings

DATA = Path(__file__).parent / "data"
GOOD = DATA / "good"
BAD = DATA / "bad"
ROOT = Path(__file__).parent.parent
DEMO = ROOT / "demo"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def ensure_chromium() -> None:
    """Install Debian's chromium when it is missing (CI starts from a fresh machine)."""
    if CHROMIUM.exists():
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "chromium"],
                   check=True, env=env)  # fmt: skip
    assert CHROMIUM.exists(), "apt-get installed chromium but /usr/bin/chromium is missing"


def hash_settings(home: Path, **overrides: object) -> Settings:
    """Settings for a fast knowledge base: the hashing embedder, no git history."""
    return load_settings(home=home, embedding_model="hash", git_history=False, **overrides)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(home: Path, env: dict[str, str], log: Path, timeout: float = 180) -> Iterator[str]:
    """`kenning serve` on a free loopback port, its output in `log`; yields the base URL once
    /healthz answers and the UI has started (it loads after the API), and stops the server
    afterwards."""
    port = free_port()
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "kenning", "serve", "--kb", str(home), "--port", str(port)],
            env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + timeout
        while time.time() < deadline and process.poll() is None:
            try:
                if (
                    httpx.get(f"{base}/healthz", timeout=2).status_code == 200
                    and httpx.get(f"{base}/ui/config", timeout=10).status_code != 503
                ):
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        else:
            process.kill()
            pytest.fail(f"server did not start:\n{log.read_text()}")
        try:
            yield base
        finally:
            process.terminate()
            process.wait(timeout=20)


def post(url: str, body: dict[str, Any], timeout: float = 60) -> tuple[int, dict, dict]:
    """Status, JSON body and headers of a POST (a plain-text error body as {"text": ...})."""
    request = urllib.request.Request(url, json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        text = exc.read()
        try:
            return exc.code, json.loads(text or b"{}"), dict(exc.headers)
        except ValueError:  # e.g. Ray Serve's own plain-text error
            return exc.code, {"text": text.decode(errors="replace")}, dict(exc.headers)


def get(url: str) -> dict[str, Any]:
    """The JSON body of a GET."""
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


def kill_and_await_replacement(
    pid: int, victim: str, first: set[str], replicas: Callable[[], list[str]],
    running: Callable[[], int], timeout: float,
) -> tuple[float, float | None]:  # fmt: skip
    """Kill a Serve replica's process, then wait until its deployment runs two replicas again,
    one of them new and the victim gone: (when it was killed, when it was replaced or None)."""
    killed_at = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    while time.monotonic() - killed_at < timeout:
        now = set(replicas())
        if victim not in now and now - first and running() == 2:
            return killed_at, time.monotonic()
        time.sleep(0.2)
    return killed_at, None
