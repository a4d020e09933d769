"""The real server on loopback: time to the first answer after start, and latency and
requests/s under concurrent clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from kenning.bench.latency import percentiles

START_TIMEOUT_S = 300  # a loaded machine can take minutes to import torch and Gradio
STOP_TIMEOUT_S = 60  # a server on Ray Serve deletes its applications before it exits


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(
    home: Path | None, env: dict[str, str] | None = None, serve_args: Sequence[str] = (),
) -> Iterator[tuple[str, subprocess.Popen, float]]:  # fmt: skip
    """`kenning serve` on a free port, on `home` (with `serve_args` added: `--ray ADDRESS
    --shards DIR` serves shards through Ray Serve instead): (base URL, process, time it was
    started)."""
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    started = time.perf_counter()
    served = ["--kb", str(home)] if home is not None else []
    process = subprocess.Popen(
        [sys.executable, "-m", "kenning", "serve", *served, *serve_args, "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}", process, started
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()


def first_answer_seconds(home: Path, question: str) -> float:
    """Seconds from `kenning serve` starting to its first answer to `question`."""
    with serving(home) as (url, process, started), httpx.Client(timeout=30) as client:
        while time.perf_counter() - started < START_TIMEOUT_S:
            if process.poll() is not None:
                raise RuntimeError(f"kenning serve exited: {process.stderr.read().decode()[-500:]}")
            try:
                response = client.post(f"{url}/v1/ask", json={"question": question})
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            response.raise_for_status()
            return time.perf_counter() - started
    raise TimeoutError(f"no answer within {START_TIMEOUT_S} s")


def concurrent_load(
    home: Path | None, asked: list[str], clients: int = 8, seconds: float = 30.0,
    operations: tuple[str, ...] = ("search", "ask"), serve_args: Sequence[str] = (),
) -> dict[str, Any]:
    """`clients` threads, each going round `operations` (/v1/search and /v1/ask by default)
    for `seconds`, against `kenning serve` on `home` (see `serving` for `serve_args`)."""
    with serving(home, serve_args=serve_args) as (url, process, started):
        first_answer = None
        with httpx.Client(timeout=60) as client:
            while time.perf_counter() - started < START_TIMEOUT_S and first_answer is None:
                if process.poll() is not None:
                    raise RuntimeError("kenning serve exited: "
                                       f"{process.stderr.read().decode()[-500:]}")  # fmt: skip
                try:
                    response = client.post(f"{url}/v1/ask", json={"question": asked[0]})
                except httpx.TransportError:
                    time.sleep(0.1)
                    continue
                if response.status_code in (404, 502, 503):  # Ray Serve still deploying
                    time.sleep(0.5)
                    continue
                response.raise_for_status()
                first_answer = time.perf_counter() - started
        samples: dict[str, list[float]] = {"search": [], "ask": []}
        errors: list[str] = []
        lock = threading.Lock()
        deadline = time.perf_counter() + seconds

        def client_loop(offset: int) -> None:
            with httpx.Client(timeout=60) as http:
                n = offset
                while time.perf_counter() < deadline:
                    question = asked[n % len(asked)]
                    operation = operations[n % len(operations)]
                    body = {"query": question} if operation == "search" else {"question": question}
                    began = time.perf_counter()
                    response = http.post(f"{url}/v1/{operation}", json=body)
                    elapsed = (time.perf_counter() - began) * 1000
                    with lock:
                        if response.status_code == 200:
                            samples[operation].append(elapsed)
                        else:
                            errors.append(f"{response.status_code} {response.text[:100]}")
                    n += clients

        threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(clients)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    done = len(samples["search"]) + len(samples["ask"])
    return {
        "clients": clients, "seconds": round(elapsed, 1),
        "requests_per_s": round(done / elapsed, 1),
        "answers_per_s": round(len(samples["ask"]) / elapsed, 1), "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "search": percentiles(samples["search"]), "ask": percentiles(samples["ask"]),
        "start_to_first_answer_s": round(first_answer, 2) if first_answer else None,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """`python -m kenning.bench.server KB`: concurrent clients against `kenning serve` on a
    knowledge base (QMSum val questions from `--data`), printed as JSON; `--ask-only` sends
    nothing but /v1/ask, so requests/s is answers/s."""
    import argparse
    import json

    from kenning.bench.latency import questions

    parser = argparse.ArgumentParser(description=main.__doc__.split("\n\n")[0])
    parser.add_argument("kb", type=Path)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--ask-only", action="store_true")
    args = parser.parse_args(argv)
    operations = ("ask",) if args.ask_only else ("search", "ask")
    result = concurrent_load(args.kb, questions(args.data, args.questions), args.clients,
                             args.seconds, operations)  # fmt: skip
    print(json.dumps({**result, "load_average": os.getloadavg()}))


if __name__ == "__main__":
    main()
