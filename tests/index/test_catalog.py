"""Listings for the API and the UI (index/catalog.py), against a real store."""

from __future__ import annotations

import pytest

from kenning.index.catalog import mention_keys, name_key, shown_aliases
from kenning.index.store import Store
from kenning.schema import Chunk, Filters, Person

PUBLIC = Filters(groups=())


def test_list_documents_pages_newest_first_with_owners(store: Store) -> None:
    total, page = store.list_documents(Filters(), limit=2, offset=0)
    assert total == 4
    assert [d["id"] for d in page] == ["sync", "runbook"]  # updated, else created: newest first
    runbook = page[1]
    assert runbook == {
        "id": "runbook", "title": "Runbook", "source": "/corp/runbook.md", "kind": "document",
        "created": None, "updated": "2024-05-01", "review_by": "2024-01-01",
        "tags": ["Runbook", "cache"], "team": "Platform", "groups": [], "chunks": 2,
        "owners": ["Jane Doe"],
    }  # fmt: skip
    total, rest = store.list_documents(Filters(), limit=2, offset=2)
    assert total == 4 and [d["id"] for d in rest] == ["payroll", "retro"]
    assert rest[0]["groups"] == ["hr"] and rest[0]["owners"] == ["Bob Stone"]


def test_list_documents_counts_only_what_the_caller_reads(store: Store) -> None:
    total, page = store.list_documents(PUBLIC, limit=10, offset=0)
    assert total == 2 and {d["id"] for d in page} == {"runbook", "retro"}


def test_stats_count_what_the_filters_allow(store: Store) -> None:
    assert store.stats() == {
        "documents": 4, "chunks": 6, "people": 2,
        "documents_by_kind": {"document": 1, "meeting": 1, "retrospective": 1, "transcript": 1},
    }  # fmt: skip
    assert store.stats(PUBLIC) == {
        "documents": 2, "chunks": 3, "people": 1,
        "documents_by_kind": {"document": 1, "retrospective": 1},
    }  # fmt: skip
    assert store.stats(Filters()) == store.stats()
    assert store.count_chunks() == 6


def test_stale_documents_are_past_their_review_date(store: Store) -> None:
    assert [d["id"] for d in store.stale_documents("2024-02-01")] == ["payroll", "runbook"]
    assert store.stale_documents("2023-07-01") == [
        {"id": "payroll", "title": "Payroll", "source": "/corp/payroll.md",
         "review_by": "2023-06-01"}
    ]  # fmt: skip
    assert [d["id"] for d in store.stale_documents("2024-02-01", PUBLIC)] == ["runbook"]


def test_a_document_is_none_for_a_caller_who_may_not_read_it(store: Store) -> None:
    payroll = store.document("payroll")
    assert payroll is not None
    assert payroll["groups"] == ["hr"] and payroll["tags"] == ["payroll"]
    assert payroll["meta"] == {} and payroll["kind"] == "meeting" and "groups_" not in payroll
    assert store.document("payroll", PUBLIC) is None
    assert store.document("payroll", Filters(groups=("hr",))) == payroll
    assert store.document("nope") is None


def test_chunks_of_a_document_come_in_order(store: Store) -> None:
    chunks = store.chunks_of("sync")
    assert [c.ord for c in chunks] == [0, 1] and all(isinstance(c, Chunk) for c in chunks)
    assert chunks[1] == Chunk(id="sync-1", document_id="sync", ord=1,
                              text="Bob: I will rotate them.", location="Sync",
                              speakers=("Bob",))  # fmt: skip
    assert store.chunks_of("nope") == []


def test_texts_of_a_document_come_in_order_unless_there_are_too_many(store: Store) -> None:
    assert store.texts_of("sync", 2) == [c.text for c in store.chunks_of("sync")]
    assert store.texts_of("sync", 1) is None  # more than asked for: not read
    assert store.texts_of("nope", 2) == []


def test_people_and_one_person(store: Store) -> None:
    assert [p.name for p in store.people()] == ["Bob Stone", "Carla Diaz", "Jane Doe"]
    assert store.person("p-bob") == Person(
        id="p-bob", name="Bob Stone", aliases=("@bstone", "Bob", "bob@corp.example")
    )
    assert store.person("nope") is None


def test_people_with_counts_show_only_names_the_caller_may_learn(store: Store) -> None:
    everyone = store.people_with_counts()
    assert [(p["id"], p["documents"]) for p in everyone] == [("p-jane", 3), ("p-bob", 2)]
    assert everyone[0]["aliases"] == ["jane@corp.example", "JD", "Jane"]
    assert everyone[0]["teams"] == ["Platform"]
    # The public runbook names Jane as "Jane Doe <jane@corp.example>"; "JD" and "Jane" come
    # from documents a public caller may not read, and Bob has no public evidence.
    public = store.people_with_counts(PUBLIC)
    assert public == [{"id": "p-jane", "name": "Jane Doe", "aliases": ["jane@corp.example"],
                       "teams": ["Platform"], "documents": 1}]  # fmt: skip
    hr = {p["id"]: p["aliases"] for p in store.people_with_counts(Filters(groups=("hr",)))}
    assert hr == {"p-jane": ["jane@corp.example", "JD", "Jane"], "p-bob": ["@bstone", "Bob"]}


def test_known_names_come_from_the_directory_and_readable_documents(store: Store) -> None:
    assert store.known_names(Filters()) is None  # an unrestricted caller: every name
    known = store.known_names(PUBLIC)
    assert known is not None
    assert known["p-carla"] == {"carla diaz", "cdiaz"}  # the people directory lists her
    assert known["p-jane"] == {"jane doe", "jane@corp.example"}
    assert known["p-bob"] == set()  # named only in documents a public caller may not read


def test_evidence_of_documents_and_of_a_person(store: Store) -> None:
    rows = store.evidence_of(["payroll", "runbook"])
    assert {(r["document_id"], r["name"], r["role"]) for r in rows} == {
        ("payroll", "Bob Stone", "owner"), ("payroll", "Jane Doe", "attendee"),
        ("runbook", "Jane Doe", "owner"),
    }  # fmt: skip
    assert set(rows[0]) == {"document_id", "person_id", "name", "role", "weight", "share",
                            "mention", "detail"}  # fmt: skip
    assert {r["document_id"] for r in store.evidence_of(["payroll", "runbook"], PUBLIC)} == {
        "runbook"
    }
    assert store.evidence_of([]) == []
    jane = store.evidence_of_person("p-jane")
    assert [(r["document_id"], r["role"]) for r in jane] == [
        ("sync", "speaker"), ("runbook", "owner"), ("payroll", "attendee"),
    ]  # fmt: skip
    assert jane[0] == {"document_id": "sync", "title": "Sync", "kind": "transcript",
                       "source": "/corp/sync.md", "updated": "2025-03-01", "tags": [],
                       "role": "speaker", "share": 0.6, "detail": ""}  # fmt: skip
    assert [r["document_id"] for r in store.evidence_of_person("p-jane", PUBLIC)] == ["runbook"]


@pytest.mark.parametrize(
    ("mention", "keys"),
    [
        ("Jane Doe <jane@corp.example>", {"jane doe", "jane@corp.example"}),
        ("@bstone", {"bstone"}),
        ("  Jane   DOE ", {"jane doe"}),
    ],
)
def test_mention_keys(mention: str, keys: set[str]) -> None:
    assert mention_keys(mention) == keys


def test_shown_aliases() -> None:
    aliases = ["@JDoe", "Jane", "jane@corp.example"]
    assert shown_aliases(aliases, None) == aliases
    assert shown_aliases(aliases, {name_key("jdoe"), "jane@corp.example"}) == [
        "@JDoe", "jane@corp.example",
    ]  # fmt: skip
    assert shown_aliases(aliases, set()) == []
