"""The UI's HTML: everything from a document is escaped, markers link only to real sources."""

from __future__ import annotations

import pytest

from kenning.schema import Citation, Expert, ExpertEvidence
from kenning.ui.catalog import is_stale
from kenning.ui.pages import document_item, person_html
from kenning.ui.render import (
    answer_html,
    experts_html,
    highlight,
    query_terms,
    snippet,
    sources_html,
)

EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def citation(n: int = 1, **fields: object) -> Citation:
    values: dict[str, object] = {
        "rank": n, "score": 0.9, "document_id": "doc-1", "title": "Runbook", "source": "/x.md",
        "kind": "document", "text": "Fail over the payments database with patronictl.",
        "location": "Runbook > Failover", "start": None, "end": None, "speakers": [], "n": n,
    }  # fmt: skip
    values.update(fields)
    return Citation(**values)  # type: ignore[arg-type]


def test_answer_markers_link_to_known_sources_only() -> None:
    html = answer_html("Use patronictl [1]. Nothing backs this [7].", [citation(1)])
    assert '<a class="kn-cite" href="#kn-source-1"' in html
    assert "[7]" in html and "#kn-source-7" not in html


@pytest.mark.parametrize("field", ["title", "text", "location"])
def test_document_text_is_escaped_in_source_cards(field: str) -> None:
    html = sources_html([citation(**{field: EVIL})], "script alert img")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html or "&lt;<mark>script</mark>&gt;" in html


def test_escaped_answer_and_speakers() -> None:
    assert "<script" not in answer_html(EVIL, [])
    assert "<img" not in sources_html([citation(speakers=[EVIL], kind="transcript")], "q")


def test_highlight_wraps_escaped_pieces() -> None:
    html = highlight("a < b & the solver's memory", query_terms("solver memory use"))
    assert html == "a &lt; b &amp; the <mark>solver</mark>&#x27;s <mark>memory</mark>"


def test_highlight_never_matches_inside_entities() -> None:
    assert highlight("x & y", ["amp"]) == "x &amp; y"


def test_snippet_starts_near_the_first_match() -> None:
    text = "filler " * 200 + "the memory peak " + "tail " * 200
    cut = snippet(text, ["memory"], width=300)
    assert "memory" in cut and cut.startswith("…") and cut.endswith("…") and len(cut) <= 302


def test_experts_and_people_pages_escape_names() -> None:
    evidence = [ExpertEvidence(document_id="d", title=EVIL, role="owner")]
    expert = Expert(person_id='p"1', name=EVIL, score=1.0, reasons=[EVIL], evidence=evidence)
    html = experts_html([expert])
    assert "<script" not in html and "<img" not in html and 'p"1' not in html
    profile = {"id": "p", "name": EVIL, "aliases": [EVIL], "teams": [EVIL], "topics": [(EVIL, 1)],
               "owned": [], "meetings": []}  # fmt: skip
    assert "<script" not in person_html(profile)


def test_document_item_flags_overdue_reviews() -> None:
    row = {"id": "d", "title": EVIL, "kind": "document", "review_by": "2020-01-01"}
    html = document_item(row, on="2026-01-01")
    assert "review overdue" in html and "<script" not in html
    assert not is_stale({"review_by": None}, on="2026-01-01")
