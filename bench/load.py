"""A bounded load test on loopback: N clients asking (locust) while an ingest runs.

The server is the real `kenning serve`; the ingest is a separate `kenning ingest` process
writing into the same knowledge base, as a nightly ingest would while people ask. Reports
requests, failures, requests/s and latency percentiles per endpoint, and whether the
ingest finished cleanly. Exit code 1 on any failed request or a failed ingest.

Usage:
    python -m kenning.bench.load --kb DIR --corpus PATH --ingest PATH
        [--users 20] [--seconds 120] [--questions FILE] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from kenning.bench.server import serving

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
DEFAULT_QUESTIONS = [
    "How do we fail over the payments database?",
    "What caused customers to be charged twice?",
    "What did Amara say about the solver's memory use?",
    "Who owns the on-call rota?",
    "What was decided about the release train?",
    "What went wrong in the last incident?",
    "How do we rotate credentials?",
    "What are the action items from the planning meeting?",
]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kenning serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("kenning serve did not become healthy")


def _rows(stats_csv: Path) -> list[dict[str, Any]]:
    with stats_csv.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def run(
    kb: Path, ingest: list[Path], users: int = 20, seconds: int = 120,
    questions: list[str] | None = None, env: dict[str, str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Serve `kb`, start ingesting `ingest` into it, and run `users` locust users for
    `seconds`. Returns per-endpoint rows and the ingest's outcome."""
    env = {**os.environ, **(env or {})}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "questions.txt").write_text("\n".join(questions or DEFAULT_QUESTIONS), "utf-8")
        with serving(kb, env=env) as (url, server, _):
            _wait_healthy(url, server)
            writer_started = time.monotonic()
            writer = subprocess.Popen(
                [sys.executable, "-m", "kenning", "ingest", *map(str, ingest), "--kb", str(kb),
                 "-q"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
            finished: dict[str, float] = {}
            waiter = threading.Thread(
                target=lambda: (writer.wait(), finished.setdefault("at", time.monotonic())),
                daemon=True,
            )
            waiter.start()
            locust_started = time.monotonic()
            locust = subprocess.run(
                [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
                 "--users", str(users), "--spawn-rate", str(max(1, users // 4)),
                 "--run-time", f"{seconds}s", "--host", url, "--csv", str(folder / "load"),
                 "--only-summary", "--stop-timeout", "30"],
                env={**env, "KENNING_LOAD_QUESTIONS": str(folder / "questions.txt")},
                capture_output=True, text=True,
            )  # fmt: skip
            load_seconds = time.monotonic() - locust_started
            ingest_running_at_end = writer.poll() is None
            ingest_output, _ = writer.communicate(timeout=3600)
            waiter.join()
            ingest_seconds = finished["at"] - writer_started
            server_alive = server.poll() is None
        stats = folder / "load_stats.csv"
        if not stats.exists():
            raise RuntimeError(f"locust wrote no statistics:\n{locust.stderr[-2000:]}")
        return {
            "rows": _rows(stats),
            "failures": _rows(folder / "load_failures.csv"),
            "ingest_exit": writer.returncode,
            "ingest_summary": ingest_output.strip().splitlines()[-1:] or [""],
            "ingest_seconds": round(ingest_seconds, 1),
            "ingest_overlapped_whole_run": ingest_running_at_end,
            "load_seconds": round(load_seconds, 1),
            "server_alive": server_alive,
            "users": users,
            "seconds": seconds,
        }


def table(result: dict[str, Any]) -> str:
    """The result as a Markdown table plus a line on the ingest."""
    lines = [
        f"{result['users']} clients for {result['seconds']} s on loopback while "
        f"`kenning ingest` ran ({result['ingest_seconds']} s, exit {result['ingest_exit']}"
        f"{', still running when the load ended' if result['ingest_overlapped_whole_run'] else ''}"
        f"; {result['ingest_summary'][0]})",
        "",
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
            f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} | "
            f"{float(row['Max Response Time']):.0f} |"
        )
    for failure in result["failures"]:
        lines.append(f"\nfailure: {failure['Method']} {failure['Name']}: {failure['Error']} "
                     f"({failure['Occurrences']}×)")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, required=True, help="Knowledge base folder.")
    parser.add_argument("--corpus", type=Path, nargs="*", default=[],
                        help="Ingested first (before the load), if given.")
    parser.add_argument("--ingest", type=Path, nargs="+", required=True,
                        help="Ingested while the clients ask.")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--questions", type=Path, help="One question a line.")
    parser.add_argument("--out", type=Path, help="Also write the table here.")
    args = parser.parse_args(argv)
    if args.corpus:
        subprocess.run([sys.executable, "-m", "kenning", "ingest", *map(str, args.corpus),
                        "--kb", str(args.kb), "-q"], check=False)  # fmt: skip
    questions = (
        [q for q in args.questions.read_text("utf-8").splitlines() if q.strip()]
        if args.questions else None
    )  # fmt: skip
    result = run(args.kb, args.ingest, args.users, args.seconds, questions)
    report = table(result)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")
    failed = any(int(r["Failure Count"]) for r in result["rows"])
    # `kenning ingest` exits 1 when some files were refused; anything else is a crash.
    crashed = result["ingest_exit"] not in (0, 1) or not result["server_alive"]
    return 1 if failed or crashed else 0


if __name__ == "__main__":
    sys.exit(main())
