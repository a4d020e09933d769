"""Identity without a people directory: initials, handles and first names learnt from notes."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import DATA, hash_settings

from kenning import KnowledgeBase
from kenning.ingest.directory import PeopleDirectory
from kenning.ingest.identity import Roster, declared_aliases
from kenning.schema import Person

SERIES = DATA / "people" / "series"


@pytest.fixture(scope="module")
def people_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    home = tmp_path_factory.mktemp("people-kb")
    kb = KnowledgeBase(home, hash_settings(home))
    report = kb.ingest([DATA / "people"])
    assert not report.failed
    return kb


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("Attendees: Ana Pereira (AP), Bruno Costa", ("AP", "Ana Pereira")),
        ("* Bruno Costa (@bcosta)", ("@bcosta", "Bruno Costa")),
        ("@mara (Mara Lind) will present", ("@mara", "Mara Lind")),
        ("Owner: Carla Diaz <carla.diaz@corp.example>", ("carla.diaz@corp.example", "Carla Diaz")),
        ("| Name | Handle |\n| --- | --- |\n| Carla Diaz | cdiaz |", ("cdiaz", "Carla Diaz")),
    ],
)  # fmt: skip
def test_declared_aliases_are_read_from_lists_and_tables(text: str, pair: tuple[str, str]) -> None:
    assert pair in declared_aliases(text)


def test_a_team_in_parentheses_is_not_an_alias() -> None:
    assert declared_aliases("Ana Pereira (Payments), Bruno Costa (BC)") == [("BC", "Bruno Costa")]


def test_short_forms_expand_only_when_one_person_fits() -> None:
    roster = Roster(["Ana Pereira", "Josh Triplett", "Josh Stone", "Niko", "nikomatsakis",
                     "Ryan Levick"])  # fmt: skip
    assert roster.expand("AP") == "Ana Pereira"
    assert roster.expand("apereira") == "Ana Pereira"
    assert roster.expand("ana") == "Ana Pereira"
    assert roster.expand("rylev") == "Ryan Levick"
    assert roster.expand("Niko") == "nikomatsakis"
    assert roster.expand("Josh") is None  # two Joshes: never merged on a first name


def test_a_first_name_two_people_share_is_not_resolved_by_the_directory() -> None:
    directory = PeopleDirectory([
        Person("josh-stone", "Josh Stone", aliases=("Josh",)),
        Person("josh-triplett", "Josh Triplett", aliases=("Josh", "joshtriplett")),
    ])  # fmt: skip
    assert directory.lookup("Josh") is None
    assert directory.lookup("joshtriplett").id == "josh-triplett"
    assert directory.lookup("Josh Stone").id == "josh-stone"


def test_labels_with_notes_and_quotes_name_one_person() -> None:
    directory = PeopleDirectory()
    first = directory.resolve("Hon. Deb Schulte (Minister of Seniors)")
    assert first is not None and first.name == "Hon. Deb Schulte"
    assert directory.resolve("Hon. Deb Schulte").id == first.id
    assert directory.resolve("Deb Schulte").id == first.id
    assert directory.resolve("“@mortent”").name == "mortent"


def test_a_series_merges_initials_handles_and_first_names(people_kb: KnowledgeBase) -> None:
    people = {p.name: p for p in people_kb.store.people()}
    assert "AP" in people["Ana Pereira"].aliases
    assert {"bcosta", "Bruno"} <= set(people["Bruno Costa"].aliases)
    assert "Mara" in people["Mara Lind"].aliases
    # A folder with two Joshes keeps a bare "Josh" apart from both.
    assert {"Josh", "Josh Stone", "Josh Triplett"} <= set(people)
    assert not {"AP", "bcosta", "Bruno", "Mara"} & set(people)


def test_speakers_in_notes_and_item_owners_become_evidence(people_kb: KnowledgeBase) -> None:
    rows = people_kb.store.evidence_of([d for d, s in people_kb.store.sources().items()
                                        if s.endswith("2026-01-05-platform-sync.md")])  # fmt: skip
    roles = {(r["name"], r["role"]) for r in rows}
    assert {("Ana Pereira", "speaker"), ("Ana Pereira", "item_owner"),
            ("Mara Lind", "item_owner"), ("Bruno Costa", "action_owner"),
            ("Josh Stone", "attendee")} <= roles  # fmt: skip
    owned = next(r for r in rows if r["name"] == "Mara Lind" and r["role"] == "item_owner")
    assert owned["detail"] == "cache eviction (Mara)"  # scoped to its agenda item


def test_a_table_of_handles_names_people_from_another_file(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "team.md").write_text("| Name | Handle |\n|---|---|\n| Carla Diaz | cdiaz |\n")
    (folder / "sync.md").write_text("# Sync\n\n## Attendance\n\n* cdiaz, Bob\n\n"
                                    "## Notes\n\ncdiaz: the refund queue is empty again.\n")
    kb = KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb"))
    kb.ingest([folder])
    names = {p.name: p for p in kb.store.people()}
    assert "cdiaz" in names["Carla Diaz"].aliases and "cdiaz" not in names


@pytest.mark.parametrize(
    ("names", "mention", "expected"),
    [
        (["Felix", "pnkfelix"], "Felix", "pnkfelix"),  # the handle ends with the name
        (["simulacrum", "mark-simulacrum"], "simulacrum", "mark-simulacrum"),
        (["Mark", "mark-simulacrum", "mark-i-m"], "Mark", "mark-simulacrum"),  # "im" is no name
        (["Felix", "pnkfelix", "felixklock"], "Felix", None),  # two handles fit: neither
        (["Ana", "bigana"], "Ana", None),  # three letters are too few to end a handle with
    ],
)  # fmt: skip
def test_a_name_links_to_the_one_handle_that_starts_or_ends_with_it(
    names: list[str], mention: str, expected: str | None
) -> None:
    assert Roster(names).expand(mention) == expected


def test_a_first_name_and_the_handle_ending_with_it_are_one_person(tmp_path: Path) -> None:
    notes = tmp_path / "minutes"
    notes.mkdir()
    (notes / "2024-01-09.md").write_text(
        "# Triage 2024-01-09\n\n## Attending\n\n* Team: pnkfelix, scottmcm\n\n"
        "## Borrow checker diagnostics\n\n* **Liaison:** pnkfelix\n"
        "* The rewrite of the region error messages is half done\n"
    )
    (notes / "2024-01-16.md").write_text(
        "# Triage 2024-01-16\n\n## Attending\n\n* Team: Felix, Scott\n\n"
        "## Borrow checker diagnostics\n\n"
        "* Felix: the region error rewrite lands next week, reviews welcome\n"
        "* Scott: thanks, I will review it\n"
    )
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        kb.ingest([notes])
        people = {p.name: p for p in kb.store.people()}
    assert "Felix" in people["pnkfelix"].aliases and "Felix" not in people
    assert "Scott" in people["scottmcm"].aliases and "Scott" not in people


def test_a_name_from_the_people_directory_is_found_in_any_folder(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "platform").mkdir(parents=True)
    (corpus / "people.yaml").write_text(
        "people:\n  - name: Kwame Mensah\n    team: Support\n  - name: Tomás Silva\n"
    )
    (corpus / "platform" / "incidents.md").write_text(
        "---\nauthor: Tomás Silva\n---\n# Incident roles\n\n"
        "Communications lead: someone from Support (usually Kwame Mensah) who writes the\n"
    )
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        kb.ingest([corpus])
        rows = kb.store.evidence_of(list(kb.store.sources()))
    assert ("Kwame Mensah", "mentioned") in {(r["name"], r["role"]) for r in rows}
