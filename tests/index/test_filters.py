"""Filters and access rules as SQL (index/filters.py), run against a real store."""

from __future__ import annotations

import pytest

from kenning.index.filters import asker_clause, filter_clause
from kenning.index.store import Store
from kenning.schema import Filters

ALL = {"runbook", "payroll", "sync", "retro"}


def allowed(store: Store, filters: Filters) -> set[str]:
    where, params = filter_clause(filters)
    rows = store.conn.execute(f"SELECT d.id FROM documents d WHERE 1 = 1 {where}", params)
    return {row[0] for row in rows}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), ALL),
        (Filters(kind=("meeting", "transcript")), {"payroll", "sync"}),
        (Filters(tags=("RUNBOOK",)), {"runbook"}),  # tags compare without case
        (Filters(team="platform"), {"runbook"}),
        (Filters(person="p-bob"), {"payroll", "sync"}),
        (Filters(person="jane doe"), {"runbook", "payroll", "sync"}),  # by name, any case
        (Filters(date_from="2024-01-01"), {"runbook", "sync"}),  # updated, else created
        (Filters(date_to="2023-12-31"), {"payroll", "retro"}),
        (Filters(source_prefix="/corp/100%_done"), {"retro"}),
        (Filters(source_prefix="/corp/r_"), set()),  # % and _ are literal, not wildcards
        (Filters(source_prefix="/corp/%"), set()),
        (Filters(groups=()), {"runbook", "retro"}),  # no groups: public documents only
        (Filters(groups=("eng",)), {"runbook", "retro", "sync"}),
        (Filters(groups=("hr",)), ALL),
        (Filters(groups=("sales",)), {"runbook", "retro"}),
        (Filters(kind=("meeting", "transcript"), groups=("eng",)), {"sync"}),
        (Filters(tags=("payroll",), groups=()), set()),
    ],
)
def test_filters_allow_the_documents_they_describe(store: Store, filters, expected) -> None:
    assert allowed(store, filters) == expected


def test_no_filter_is_no_condition() -> None:
    assert filter_clause(Filters()) == ("", [])


def test_filter_values_are_parameters_not_sql(store: Store) -> None:
    hostile = "x' OR 1 = 1 --"
    where, params = filter_clause(Filters(team=hostile, groups=(hostile,), tags=(hostile,)))
    assert hostile not in where and hostile in params
    assert allowed(store, Filters(team=hostile)) == set()


ASKERS = {"anyone": None, "nobody": (), "hr": ("hr",), "eng+hr": ("eng", "hr")}


@pytest.mark.parametrize(
    ("viewer", "seen"),
    [
        (None, set(ASKERS)),  # reads everything: sees every question
        ((), {"nobody"}),
        (("hr",), {"nobody", "hr"}),
        (("eng",), {"nobody"}),
        (("eng", "hr", "sales"), {"nobody", "hr", "eng+hr"}),
    ],
)
def test_a_viewer_sees_questions_of_askers_who_read_no_more(store: Store, viewer, seen) -> None:
    """A question is shown only to viewers who may read everything its asker could; one
    asked by an unrestricted caller only to unrestricted viewers."""
    for question, groups in ASKERS.items():
        store.log_question(question, False, 0.9, 1.0, "extractive", groups)
    where, params = asker_clause(viewer)
    rows = store.conn.execute(f"SELECT question FROM questions WHERE 1 = 1 {where}", params)
    assert {row[0] for row in rows} == seen
