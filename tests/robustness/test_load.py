"""A short, bounded version of the load test (`python -m kenning.bench.load`): 20 clients
asking a real server on loopback while a real ingest writes into the same knowledge base."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from robustness.test_crash import _assert_consistent, _write_corpus
from support import GOOD

from kenning.bench.load import run, table

ENV = {"KENNING_EMBEDDING_MODEL": "hash", "KENNING_GIT_HISTORY": "false",
       "KENNING_ABSTAIN_THRESHOLD": "0.05"}  # fmt: skip


@pytest.mark.slow
def test_twenty_clients_while_an_ingest_runs_see_no_errors(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    subprocess.run([sys.executable, "-m", "kenning", "ingest", str(GOOD), "--kb", str(kb)],
                   env={**os.environ, **ENV}, check=True, capture_output=True)  # fmt: skip
    later = tmp_path / "later"
    _write_corpus(later, 3000)
    result = run(kb, [later], users=20, seconds=20, env=ENV,
                 questions=["Why did the wombat batch job fail?", "How do I flush the cache?",
                            "Note5marker ledger", "Who owns the runbook?"])  # fmt: skip
    print(table(result))
    rows = {row["Name"]: row for row in result["rows"]}
    # The load ran (a count, not a speed: speed is measured by `kenning bench`).
    assert int(rows["Aggregated"]["Request Count"]) > 20
    assert int(rows["Aggregated"]["Failure Count"]) == 0, result["failures"]
    assert result["server_alive"] and result["ingest_exit"] == 0
    assert result["ingest_seconds"] > 5, "the ingest must overlap the load"
    _assert_consistent(kb)
