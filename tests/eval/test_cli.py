"""`kenning eval run` and `compare` end to end, through the CLI, on the fixture files."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from support import GOOD
from typer.testing import CliRunner

from kenning.cli import app

DATA = Path(__file__).parent / "data"
ENV = {"KENNING_EMBEDDING_MODEL": "hash", "KENNING_GIT_HISTORY": "false"}


def invoke(*args: str, **env: str) -> object:
    result = CliRunner().invoke(app, ["eval", *args], env={**ENV, **env})
    return result


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two runs over the same golden set: defaults, and one that always abstains."""
    root = tmp_path_factory.mktemp("eval-runs")
    corpus = root / "corpus"
    for folder in ("markdown", "text", "vtt", "meeting", "srt"):  # quick to ingest
        shutil.copytree(GOOD / folder, corpus / folder)
    a = invoke("run", str(DATA / "golden.jsonl"), "--corpus", str(corpus), "--out",
               str(root / "a"), "--no-progress")  # fmt: skip
    assert a.exit_code == 0, a.output
    b = invoke("run", str(DATA / "golden.jsonl"), "--corpus", str(corpus), "--out",
               str(root / "b"), "--systems", "kenning", "--kb", str(root / "a" / "kb"),
               "--no-progress", KENNING_ABSTAIN_THRESHOLD="0.99")  # fmt: skip
    assert b.exit_code == 0, b.output
    return {"a": root / "a", "b": root / "b", "corpus": corpus}


def test_run_scores_every_system_and_writes_reports(runs: dict[str, Path]) -> None:
    results = json.loads((runs["a"] / "results.json").read_text())
    assert results["systems"] == ["kenning", "kenning-dense", "kenning-bm25", "langchain",
                                  "langchain-sentence", "bm25"]  # fmt: skip
    rows = {row["id"]: row for row in results["questions"]}
    kenning = rows["flush"]["systems"]["kenning"]
    # "cachectl flush" is only in the runbook: the top passage holds the quoted command.
    assert kenning["passages"][0]["source"] == "markdown/runbook.md"
    assert kenning["passages"][0]["relevant"] is True
    assert kenning["scores"]["hit@1"] == 1.0 and kenning["scores"]["mrr@10"] == 1.0
    assert kenning["scores"]["citation_precision"] > 0
    assert 0.0 < kenning["scores"]["rouge1"] <= 1.0
    # Extractive answers copy passage sentences: every sentence is supported.
    assert kenning["scores"]["groundedness"] == 1.0
    # The transcript question is judged by time overlap, within the vtt/ folder only.
    wombat = rows["wombat"]["systems"]["kenning"]
    assert all(p["source"].startswith("vtt/") for p in wombat["passages"])
    assert wombat["scores"]["hit@1"] == 1.0
    # must_abstain questions are asked only of systems that can abstain.
    assert set(rows["volcano"]["systems"]) == {"kenning"}
    summary = results["summary"]["kenning"]
    assert summary["questions"] == 5.0 and "abstain_recall" in summary
    assert summary["latency_p95_ms"] >= summary["latency_p50_ms"] > 0
    report = (runs["a"] / "report.md").read_text()
    assert "| kenning | 1.000 |" in report and "## By tag (kenning)" in report
    assert "baselines read no text from 1 file(s) of types ['.srt']" in report
    assert "match no file in the corpus" not in report


def test_html_report_is_self_contained_with_failures_first(runs: dict[str, Path]) -> None:
    page = (runs["b"] / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 2
    assert not re.search(r"(src|href)=['\"](https?:)?//", page)  # nothing fetched
    assert "<script" not in page
    # Run B abstains on everything: the answerable questions are its failures and come first,
    # the one it should abstain on comes last.
    ids = re.findall(r"<tr><td>([a-z]+)</td>", page.split("failures first")[1])
    assert ids[-1] == "volcano" and len(ids) == 5


def test_compare_shows_deltas_with_a_paired_test(runs: dict[str, Path]) -> None:
    result = invoke("compare", str(runs["a"]), str(runs["b"]), "--resamples", "199")
    assert result.exit_code == 0, result.output
    rows = {tuple(c.strip() for c in line.split("|")[1:3]): line
            for line in result.output.splitlines() if line.startswith("| kenning")}  # fmt: skip
    abstained = rows[("kenning", "abstained")].split("|")
    # Run B abstains on every question; run A at most on the off-topic one (1 of 5: with the
    # hashing embedder its similarities sit near the line).
    before, after, delta = (float(abstained[i]) for i in (4, 5, 6))
    assert after == 1.0 and before in (0.0, 0.2)
    assert delta == pytest.approx(after - before)
    assert rows[("kenning", "hit@5")].split("|")[6].strip() == "+0.000"  # retrieval unchanged
    assert ("kenning-dense", "hit@5") not in rows  # only in run A


def test_bad_golden_line_is_a_clear_cli_error(tmp_path: Path) -> None:
    golden = tmp_path / "golden.jsonl"
    golden.write_text('{"question": "fine"}\n{"question": "q", "experts": "Jane Doe"}\n')
    result = invoke("run", str(golden), "--corpus", str(GOOD / "text"), "--out",
                    str(tmp_path / "out"))  # fmt: skip
    assert result.exit_code == 2
    assert "line 2: field 'experts' must be a list of names" in result.output
    assert not (tmp_path / "out").exists()


def test_evidence_naming_no_corpus_file_is_reported(tmp_path: Path) -> None:
    golden = tmp_path / "golden.jsonl"
    golden.write_text('{"question": "How do I connect to the VPN?", '
                      '"evidence": [{"source": "text/faq.md"}]}\n')  # fmt: skip
    result = invoke("run", str(golden), "--corpus", str(GOOD / "text"), "--out",
                    str(tmp_path / "out"), "--systems", "kenning-bm25", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "1 evidence source(s) match no file in the corpus" in result.output
    assert "text/faq.md" in result.output


def test_beir_prepare_then_run(tmp_path: Path) -> None:
    result = invoke("prepare", "beir", str(DATA / "beir"), str(tmp_path / "beir"))
    assert result.exit_code == 0, result.output
    assert "Wrote 2 questions" in result.output
    result = invoke("run", str(tmp_path / "beir" / "golden.jsonl"), "--out",
                    str(tmp_path / "run"), "--systems", "kenning-bm25,bm25", "--no-progress")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "results.json").read_text())["summary"]
    # Both questions name their document's rare words; BM25 finds each at rank 1.
    assert summary["kenning-bm25"]["hit@1"] == 1.0
    assert summary["bm25"]["hit@1"] == 1.0
