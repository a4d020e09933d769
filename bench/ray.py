"""`kenning bench --ray ADDRESS`: the same files ingested on this machine and on a Ray
cluster.

Both ingests run as `kenning ingest ... --json` in child processes (the Ray one with `--ray`),
so each is timed by its own report (`seconds`: from the ingest's start to its end, the model
loaded inside both), then once more unchanged. The Ray one also pays for starting its workers
and its Ray Data jobs; on one machine its gain is parsing on the workers while the driver
embeds. Search through shards and Ray Serve is measured in docs/scale.md.

The benchmark never imports Ray itself (the embedded mode must not): it drives the CLI and
reads the cluster's size from `ray status`. With questions, the Ray-ingested knowledge base
is then split into shards (`kenning shard`) and served through Ray Serve (`kenning serve --ray
ADDRESS --shards DIR`), and concurrent clients ask and search it as they do the same
knowledge base served here (`kenning serve --kb`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def _kenning(*args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run `kenning ARGS --json` in a child process; its JSON output."""
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "KENNING_GIT_HISTORY": "false"}
    result = subprocess.run([sys.executable, "-m", "kenning", *args, "--json"],
                            capture_output=True, text=True, env=env, timeout=timeout)  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"kenning {' '.join(args[:2])} failed: {result.stderr[-800:]}")
    return json.loads(result.stdout)


def cluster_nodes(address: str) -> int | None:
    """How many nodes the cluster at `address` has alive (`ray status`), or None if unknown."""
    ray = Path(sys.executable).parent / "ray"
    command = [str(ray), "status"] + ([] if address == "auto" else ["--address", address])
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0 or "Active:" not in result.stdout:
        return None
    return result.stdout.split("Active:")[1].split("Pending:")[0].count("node_")


def ingest_both(files: list[Path], workdir: Path, address: str) -> dict[str, dict[str, Any]]:
    """Ingest `files` locally and on the cluster, each twice (the second unchanged)."""
    names = [str(f) for f in files]
    out: dict[str, dict[str, Any]] = {}
    for label, extra in (("local", []), ("ray", ["--ray", address])):
        home = workdir / f"kb-{label}"
        first = _kenning("ingest", *names, "--kb", str(home), *extra)
        again = _kenning("ingest", *names, "--kb", str(home), *extra)
        out[label] = {"home": home, "seconds": first["seconds"], "chunks": first["chunks"],
                      "failed": sum(1 for f in first["files"] if f["status"] == "failed"),
                      "again": again["seconds"]}  # fmt: skip
    return out


def serve_both(
    home: Path, workdir: Path, address: str, asked: list[str], clients: int = 8,
    seconds: float = 30.0, shards: int = 2,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Concurrent clients against `home` served here and against its shards served through
    Ray Serve (`bench.server.concurrent_load` on both)."""
    from kenning.bench.server import concurrent_load

    out = workdir / "shards"
    _kenning("shard", "--kb", str(home), "--shards", str(shards), "--out", str(out))
    return {
        "local": concurrent_load(home, asked, clients, seconds),
        "ray": concurrent_load(None, asked, clients, seconds,
                               serve_args=["--ray", address, "--shards", str(out)]),
    }  # fmt: skip


def serve_section(address: str, served: dict[str, dict[str, Any]], shards: int = 2) -> str:
    """The Markdown of the served comparison."""
    from kenning.bench.runner import _table

    rows = [[label, r["clients"], r["requests_per_s"], r["errors"], r["search"].get("p50", "–"),
             r["ask"].get("p50", "–"), r["ask"].get("p95", "–"), r["start_to_first_answer_s"]]
            for label, r in (("`kenning serve` here", served["local"]),
                             (f"{shards} shards through Ray Serve at {address}",
                              served["ray"]))]  # fmt: skip
    return _table(["served", "clients", "requests/s", "errors", "search p50 ms", "ask p50 ms",
                   "ask p95 ms", "first answer s"], rows)  # fmt: skip


def section(address: str, nodes: int | None, files: int,
            ingested: dict[str, dict[str, Any]]) -> str:  # fmt: skip
    """The Markdown of this step."""
    from kenning.bench.runner import _table

    named = f"{nodes} node{'' if nodes == 1 else 's'}" if nodes else "nodes unknown"
    rows = [[label, r["chunks"], r["failed"], f"{r['seconds']:.1f}", f"{r['again']:.2f}"]
            for label, r in (("this machine", ingested["local"]),
                             (f"Ray at {address} ({named})", ingested["ray"]))]
    local, ray = ingested["local"]["seconds"], ingested["ray"]["seconds"]
    text = _table(["ingest", "chunks", "failed", "seconds", "re-ingest s"], rows)
    text += (f"\n\n{files} files. Ray took {ray / local:.2f}x the time of the local ingest "
             "(its workers and Ray Data jobs start inside the timed ingest).")
    return text
