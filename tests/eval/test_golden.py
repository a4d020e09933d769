"""The golden-set format: what it accepts, and errors that name the line and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kenning.eval.golden import GoldenError, load_golden

HERE = Path(__file__).parent
DEMO_QUESTIONS = HERE.parents[1] / "demo" / "questions.jsonl"


def test_example_files_load() -> None:
    questions = load_golden(HERE / "data" / "golden.jsonl")
    assert [q.id for q in questions] == ["vpn", "flush", "wombat", "toucan", "volcano"]
    wombat = questions[2]
    assert (wombat.evidence[0].start, wombat.evidence[0].end) == (30.0, 36.0)
    assert wombat.filters == {"source_prefix": "vtt/"}
    assert questions[3].evidence[0].source_only
    assert questions[4].must_abstain and not questions[4].evidence
    demo = load_golden(DEMO_QUESTIONS)  # the documented example over the bundled demo
    assert all(q.question for q in demo) and any(q.experts for q in demo)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"question": "ok"', "line 2: not valid JSON"),
        ('["question"]', "line 2: expected a JSON object"),
        ('{"answer": "no question"}', "line 2: field 'question' is missing"),
        ('{"question": "q", "evidnce": []}', "line 2: unknown field 'evidnce'"),
        ('{"question": "q", "evidence": {"source": "a"}}', "field 'evidence' must be a list"),
        ('{"question": "q", "evidence": [{"text": "t"}]}', "field 'evidence[0]': 'source'"),
        ('{"question": "q", "evidence": [{"source": "a", "start": 3}]}',
         "'start' and 'end' go together"),
        ('{"question": "q", "evidence": [{"source": "a", "start": 5, "end": 2}]}',
         "'end' (2) is before 'start' (5)"),
        ('{"question": "q", "evidence": [{"source": "a", "quote": "x"}]}',
         "field 'evidence[0]': unknown key 'quote'"),
        ('{"question": "q", "experts": "Jane"}', "field 'experts' must be a list of names"),
        ('{"question": "q", "must_abstain": "yes"}', "field 'must_abstain' must be true or false"),
        ('{"question": "q", "filters": ["kind"]}', "field 'filters' must be an object"),
        ('{"question": "q", "answer": 42}', "field 'answer' must be a str"),
        ('{"id": "a", "question": "q"}', "field 'id': 'a' is repeated"),
    ],
)
def test_bad_line_names_line_and_field(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "golden.jsonl"
    path.write_text(json.dumps({"id": "a", "question": "fine"}) + "\n" + line + "\n")
    with pytest.raises(GoldenError) as caught:
        load_golden(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_empty_golden_set_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "golden.jsonl"
    path.write_text("\n// a comment\n")
    with pytest.raises(GoldenError, match="no questions"):
        load_golden(path)
