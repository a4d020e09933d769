"""SQuAD: the adapter, the short-answer metrics, and `kenning eval prepare/run` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kenning.cli import app
from kenning.eval import metrics
from kenning.eval.datasets import squad
from kenning.eval.golden import GoldenQuestion, load_golden
from kenning.eval.short_answers import short_answer_golds

DATA = Path(__file__).parent / "data" / "squad"
ENV = {"KENNING_EMBEDDING_MODEL": "hash", "KENNING_GIT_HISTORY": "false"}


def test_articles_become_markdown_and_questions_a_golden_set(tmp_path: Path) -> None:
    golden = load_golden(squad.prepare(DATA, tmp_path))
    files = sorted(p.name for p in (tmp_path / "corpus").iterdir())
    assert files == ["Prime_number.md", "Rhine.md", "Sky_United_Kingdom.md"]  # + distractor
    sky = (tmp_path / "corpus" / "Sky_United_Kingdom.md").read_text()
    assert sky.startswith("# Sky (United Kingdom)\n\nSky UK Limited is a British")
    rhine = (tmp_path / "corpus" / "Rhine.md").read_text()
    assert rhine.count("\n\n") == 2  # heading, then one paragraph per context
    by_id = {q.id: q for q in golden}
    assert len(golden) == 6
    length = by_id["r1"]
    assert length.answer == "about 1,230 km" and not length.must_abstain
    # Every distinct gold answer is quoted as evidence in its article, once.
    assert [(e.source, e.text) for e in length.evidence] == [
        ("Rhine.md", "about 1,230 km"), ("Rhine.md", "1,230 km"),
    ]  # fmt: skip
    assert length.tags == ("squad", "answerable", "Rhine")
    impossible = by_id["r3"]
    assert impossible.must_abstain and not impossible.evidence and impossible.answer is None
    assert impossible.tags == ("squad", "unanswerable", "Rhine")
    only_first = load_golden(squad.prepare(DATA, tmp_path / "one", limit=1))
    assert {q.tags[-1] for q in only_first} == {"Rhine"}


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="dev-4-articles.json"):
        squad.prepare(tmp_path, tmp_path / "out")


@pytest.mark.parametrize(
    ("answer", "golds", "words", "expected"),
    [
        ("It is about 1,230 km long. [1]", ["about 1,230 km"], 25, 1.0),
        ("The Rhine [1] is long.", ["the rhine"], 25, 1.0),  # articles and case ignored
        ("It has 100 tributaries.", ["10"], 25, 0.0),  # whole words only
        ("Sky serves the U.K. and Ireland.", ["U.K."], 25, 1.0),  # punctuation ignored
        ("one two three four five Cologne", ["Cologne"], 5, 0.0),  # beyond the first 5 words
        ("one two [1] three four Cologne", ["Cologne"], 5, 1.0),  # markers are not words
        ("Cologne", ["Berlin", "Cologne, Germany", "Cologne"], 25, 1.0),  # any gold answer
    ],
)
def test_contains_within(answer: str, golds: list[str], words: int, expected: float) -> None:
    assert metrics.contains_within(answer, golds, words) == expected


def test_short_answer_scores_and_summary() -> None:
    answered = metrics.short_answer_scores("The biggest city is Cologne. [1]", ["Cologne"], False)
    assert answered == {"contains@25w": 1.0, "contains@60w": 1.0, "answer_words": 5.0,
                        "wrong_abstention": 0.0}  # fmt: skip
    abstained = metrics.short_answer_scores("I could not find it.", ["Cologne"], True)
    assert abstained == {"contains@25w": 0.0, "contains@60w": 0.0, "wrong_abstention": 1.0}
    late = metrics.short_answer_scores(" ".join(["word"] * 30) + " Cologne", ["Cologne"], False)
    assert late["contains@25w"] == 0.0 and late["contains@60w"] == 1.0
    summary = metrics.short_answer_summary([answered, abstained, late])
    assert summary["contains@25w"] == pytest.approx(1 / 3)
    assert summary["wrong_abstention"] == pytest.approx(1 / 3)
    assert summary["answer_words_p50"] == 18.0  # median of 5 and 31; abstentions have none


def test_short_answer_golds_only_for_span_answers() -> None:
    span = GoldenQuestion("a", "How long?", answer="1,230 km")
    assert short_answer_golds(span) == ("1,230 km",)
    summary = GoldenQuestion("b", "What was discussed?", answer=" ".join(["word"] * 40))
    assert short_answer_golds(summary) == ()
    assert short_answer_golds(GoldenQuestion("c", "Menu?", must_abstain=True)) == ()


def test_prepare_then_run_reports_short_answers(tmp_path: Path) -> None:
    runner = CliRunner()
    prepared = runner.invoke(app, ["eval", "prepare", "squad", str(DATA), str(tmp_path)],
                             env=ENV)  # fmt: skip
    assert prepared.exit_code == 0, prepared.output
    assert "Wrote 6 questions" in prepared.output
    run = runner.invoke(app, ["eval", "run", str(tmp_path / "golden.jsonl"), "--out",
                              str(tmp_path / "run"), "--systems",
                              "kenning,langchain,langchain-sentence", "--no-progress"],
                        env=ENV)  # fmt: skip
    assert run.exit_code == 0, run.output
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    summary = results["summary"]
    for name in ("kenning", "langchain", "langchain-sentence"):
        assert 0.0 <= summary[name]["contains@25w"] <= summary[name]["contains@60w"] <= 1.0
        assert summary[name]["answer_words_p50"] > 0
    assert "wrong_abstention" in summary["kenning"]
    assert "wrong_abstention" not in summary["langchain"]  # it cannot abstain
    # The best-sentence baseline answers with one sentence: shorter than three.
    assert summary["langchain-sentence"]["answer_words_p50"] < summary["langchain"][
        "answer_words_p50"]  # fmt: skip
    rows = {row["id"]: row for row in results["questions"]}
    assert "contains@25w" in rows["r2"]["systems"]["kenning"]["scores"]
    assert "contains@25w" not in rows["r3"]["systems"]["kenning"]["scores"]  # must abstain
    assert "contains@25w" in results["by_tag"]["Rhine"]["kenning"]
    report = (tmp_path / "run" / "report.md").read_text()
    assert "## Short answers" in report and "| langchain-sentence |" in report
