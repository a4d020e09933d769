"""The who-to-ask data sets: KEPs (authors from kep.yaml) and hand-written minutes topics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kenning.eval.datasets import keps, minutes
from kenning.eval.golden import load_golden

KEP_YAML = """title: KEP Template
kep-number: 85
authors:
  - "@bsalamat"
  - “@mortent”
reviewers:
  - "@janetkuo"
owning-sig: sig-apps
creation-date: 2018-03-01
"""


def test_a_kep_becomes_a_readme_with_its_people_and_a_question(tmp_path: Path) -> None:
    folder = tmp_path / "keps" / "sig-apps" / "85-pdb"
    folder.mkdir(parents=True)
    (folder / "kep.yaml").write_text(KEP_YAML, encoding="utf-8")
    (folder / "README.md").write_text("# KEP-85: Graduate PodDisruptionBudget to stable\n\nText.")
    golden = keps.prepare(tmp_path / "keps", tmp_path / "out")
    [question] = load_golden(golden)
    # The template's title is replaced by the README's; curly quotes are not part of a handle.
    assert question.question == "Who should I ask about Graduate PodDisruptionBudget to stable?"
    assert question.experts == ("bsalamat", "mortent")
    readme = (tmp_path / "out/corpus/sig-apps/85-pdb/README.md").read_text(encoding="utf-8")
    assert "- '@mortent'" in readme and "reviewers:\n- '@janetkuo'" in readme


def test_minutes_copy_the_series_and_check_the_golden_evidence(tmp_path: Path) -> None:
    source = tmp_path / "minutes"
    (source / "weekly").mkdir(parents=True)
    (source / "weekly/2026-01-05.md").write_text("**inline assembly (Amanieu, Josh)**\n")
    golden = tmp_path / "topics.jsonl"
    line = {"question": "Who should I ask about inline assembly?", "experts": ["Amanieu"],
            "evidence": [{"source": "weekly/2026-01-05.md", "text": "inline assembly"}]}
    golden.write_text(json.dumps(line) + "\n")
    written = minutes.prepare(source, tmp_path / "out", golden)
    assert (tmp_path / "out/corpus/weekly/2026-01-05.md").is_file()
    assert load_golden(written)[0].experts == ("Amanieu",)
    line["evidence"][0]["source"] = "weekly/missing.md"
    golden.write_text(json.dumps(line) + "\n")
    with pytest.raises(FileNotFoundError, match="missing.md"):
        minutes.prepare(source, tmp_path / "out2", golden)


def test_the_bundled_minutes_golden_set_has_thirty_topics_or_more() -> None:
    questions = load_golden(minutes.GOLDEN)
    assert len(questions) >= 30 and all(q.experts and q.evidence for q in questions)
