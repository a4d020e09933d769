"""People: the directory resolves identities; notes, metadata and transcripts name roles."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import GOOD, hash_settings

from kenning import KnowledgeBase
from kenning.errors import ParseError
from kenning.ingest.codeowners import find_codeowners
from kenning.ingest.directory import PeopleDirectory, load_directory_file
from kenning.ingest.parsers import parser_for
from kenning.ingest.people import (
    _line_roles,
    action_owner,
    extract_mentions,
    reads_as_names,
    speaker_shares,
)


@pytest.fixture
def directory() -> PeopleDirectory:
    return PeopleDirectory(load_directory_file(GOOD / "people/people.yaml"))


@pytest.mark.parametrize(
    "mention",
    ["Jane Doe", "jane doe", "jdoe", "@jdoe", "jane.doe@corp.example", "JD",
     "Jane Doe <jane.doe@corp.example>", "JANE.DOE@corp.example"],
)  # fmt: skip
def test_every_form_of_a_name_resolves_to_one_person(directory, mention: str) -> None:
    person = directory.resolve(mention)
    assert person is not None and person.id == "jane-doe"
    assert person.teams == ("Platform",)


def test_csv_directory_matches_yaml() -> None:
    yaml_people = load_directory_file(GOOD / "people/people.yaml")
    csv_people = load_directory_file(GOOD / "people/people.csv")
    assert [p.id for p in csv_people] == [p.id for p in yaml_people]
    assert set(csv_people[0].aliases) == set(yaml_people[0].aliases)


def test_unknown_people_are_learnt_once(directory) -> None:
    first = directory.resolve("zoe.quinn@corp.example")
    assert first is not None and first.name == "Zoe Quinn"
    assert directory.resolve("Zoe Quinn").id == first.id
    assert directory.resolve("n/a") is None


def test_directory_without_names_is_rejected(tmp_path) -> None:
    bad = tmp_path / "people.yaml"
    bad.write_text("people:\n  - emails: [x@y.example]\n")
    with pytest.raises(ParseError, match="entry 1 has no 'name'"):
        load_directory_file(bad)


def test_meeting_notes_name_attendees_facilitator_and_action_owners() -> None:
    doc = parser_for(GOOD / "meeting/planning.md")(GOOD / "meeting/planning.md")
    mentions = {(role, name) for role, name, _ in extract_mentions(doc)}
    assert {("attendee", "Jane Doe"), ("attendee", "Bob Stone"), ("attendee", "Carla Diaz"),
            ("facilitator", "Carla Diaz"), ("action_owner", "bstone"),
            ("action_owner", "Jane Doe")} <= mentions  # fmt: skip


@pytest.mark.parametrize(
    ("item", "owner"),
    [
        ("@bstone: rotate the TLS certificates by Friday", "bstone"),
        ("Jane Doe to update the cache runbook", "Jane Doe"),
        ("ACTION (Amara Okafor): benchmark the solver", "Amara Okafor"),
        ("Migrate the ledger (owner: Bob Stone)", "Bob Stone"),
        ("We should look into it", None),
        ("[2021-03-30]: Taylor to write up a summary of the ptr cast discussion", "Taylor"),
        ("Allow: Helps you retain compatibility with older versions of Rust", None),
        ("Reason to do so: it would create an inconsistency", None),
    ],
)
def test_action_item_owners(item: str, owner: str | None) -> None:
    assert action_owner(item) == owner


def test_front_matter_roles() -> None:
    doc = parser_for(GOOD / "markdown/runbook.md")(GOOD / "markdown/runbook.md")
    mentions = {(role, name) for role, name, _ in extract_mentions(doc)}
    assert {("owner", "jane.doe@corp.example"), ("author", "jdoe"), ("author", "Bob Stone"),
            ("reviewer", "Carla Diaz")} <= mentions  # fmt: skip


def test_speaker_shares_sum_to_one() -> None:
    doc = parser_for(GOOD / "vtt/standup.vtt")(GOOD / "vtt/standup.vtt")
    shares = speaker_shares(doc)
    assert set(shares) == {"Jane Doe", "Bob Stone"}
    assert sum(shares.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("docs/guide.md", ("@bstone", "carla@corp.example")),
        ("docs/api/endpoints.md", ("@cdiaz",)),
        ("notes.md", ("@jdoe",)),
    ],
)
def test_codeowners_last_matching_rule_wins(path: str, owners: tuple[str, ...]) -> None:
    rules = find_codeowners(GOOD / "codeowners")
    assert rules is not None
    assert rules.owners_of(GOOD / "codeowners" / path) == owners


def test_contact_sections_and_ask_phrases_name_who_owns_each_topic(tmp_path) -> None:
    note = tmp_path / "runbook.md"
    note.write_text(
        "# Deploying\n\nShip it with Argo CD.\n\n## Getting help\n\n"
        "Ask in `#platform-help`. For Kafka topics ask Dmitri Volkov;\n"
        "for Argo CD and Kubernetes ask Tomás Silva.\n\n## Contacts\n\n"
        "- Runbook owner: Jonas Becker (@jbecker)\n"
        "- Ledger and reconciliation: Sofia Marchetti (@smarchetti)\n",
        encoding="utf-8",
    )
    doc = parser_for(note)(note)
    found = {(role, name): detail for role, name, detail in extract_mentions(doc)}
    # Each is scoped to the line that names the topic, not to the whole document.
    assert "Argo CD and Kubernetes" in found[("item_owner", "Tomás Silva")]
    assert "Kafka topics" in found[("item_owner", "Dmitri Volkov")]
    assert "Ledger and reconciliation" in found[("item_owner", "Sofia Marchetti")]
    assert "Runbook owner" in found[("item_owner", "Jonas Becker")]
    assert not any(name.startswith("#") or name == "in" for _, name in found)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Plan: nikomatsakis as the liaison, spastorino as owner",
         {("liaison", "nikomatsakis"), ("item_owner", "spastorino")}),
        ("pnkfelix willing to serve as liaison", {("liaison", "pnkfelix")}),
        ("whether I should second (tmandry will be owner).", {("item_owner", "tmandry")}),
        ("if someone who is meant to be a liaison is busy", set()),
        ("not obvious how much person serving as liaison needs to do", set()),
        ("AI: Josh to reach out to Amanieu and prepare a report", set()),  # Josh's task
        ("For Argo CD ask Tomás Silva", {("item_owner", "Tomás Silva")}),
        ("Please ask Niko for details", {("item_owner", "Niko")}),
    ],
)  # fmt: skip
def test_roles_written_in_a_line_of_notes(line: str, expected: set[tuple[str, str]]) -> None:
    assert set(_line_roles(line, {"niko", "josh", "nikomatsakis"})) == expected


def test_a_handle_with_digits_that_speaks_in_notes_is_a_speaker(tmp_path) -> None:
    note = tmp_path / "gats.md"
    note.write_text(
        "# GATs meeting\n\n## Questions\n\n"
        "jackh726: Depends a lot, but it could easily be a year.\n"
        "jackh726: it is part of the mir-formality work, a very general piece.\n"
        "sha256: 9f2c01\nsha256: 77ab3e\n\n## Attending\n\n* Team: nikomatsakis, Josh\n"
    )
    mentions = {(role, name) for role, name, _ in extract_mentions(parser_for(note)(note))}
    assert ("speaker", "jackh726") in mentions
    assert not any(name == "sha256" for _, name in mentions)
    assert {("attendee", "nikomatsakis"), ("attendee", "Josh")} <= mentions


def test_a_full_name_run_together_with_a_table_cell_is_still_named(tmp_path) -> None:
    note = tmp_path / "review.txt"  # as a PDF table's cells come out of the PDF
    note.write_text("Remediation plan\nMapforge\nRotate production API key; move to per-service "
                    "keysMei Lin\n2026-04-30\nJimmy checked the rest\n")  # fmt: skip
    found = {(role, name): detail for role, name, detail in
             extract_mentions(parser_for(note)(note), {"Mei Lin", "Jim"})}  # fmt: skip
    assert "Rotate production API key" in found[("mentioned", "Mei Lin")]
    assert ("mentioned", "Jim") not in found  # a first name is never read inside a word


def stored_people(tmp_path, notes: dict[str, str]) -> dict[str, set[tuple[str, str]]]:
    """Ingest notes into a real knowledge base: the (role, name as written) pairs stored per
    file."""
    folder = tmp_path / "notes"
    folder.mkdir()
    for name, text in notes.items():
        (folder / name).write_text(text, encoding="utf-8")
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        assert not kb.ingest([folder]).failed
        sources = kb.store.sources()
        rows = kb.store.evidence_of(list(sources))
    found: dict[str, set[tuple[str, str]]] = {Path(s).name: set() for s in sources.values()}
    for row in rows:
        written = row["mention"] or row["name"]
        found[Path(sources[row["document_id"]]).name].add((row["role"], written))
    return found


# Shapes from the rust-lang lang-team minutes (../shared/data/minutes/rust-lang-team), and
# label lines whose value is a sentence.
RUST_PLANNING = """# Planning meeting 2021-06-01

Attendance:

* Team: Niko, Scott, Josh, Taylor, Felix
* Others: simulacrum, Mara

## Design meeting proposals

* 2021 edition lints overview (2020-02-24)
    * Author: scottmcm
    * For each idiom lint: summarize current state
"""
RUST_LIBS = """# Libs most wanted

We went through the list.

# Attendees

Lang: Niko, Josh Triplett, Felix, Taylor, Scott
Other attendees: Mark, Michael Goulet, the8472

# Discussion / Question queue

Nothing recorded.
"""
RUST_DETAILS = """# T-Lang Meeting: Current meeting

# Meeting details
- Date: 2019.10.03
- People in attendance: forgot to record :)
- Host: the team will meet again next week
"""
RUST_TRIAGE = """# T-lang meeting agenda

## Attendance

* Team members: Niko, Josh, Scott, Taylor, Felix

## Action item review

- [ ] [2021-03-17]: Taylor to close RFC 2375
    - Question though: would we want to lint on trait imports?
        - Warn by default: Keeps you compatible with the newest version
        - Allow: Helps you retain compatibility with older versions of Rust

### "Implement new lint for detecting buggy pointer-to-int casts" rust#81789

- [ ] [2021-03-30]: Taylor to write up a summary of the `ptr` cast discussion
"""
DEPOTS = """# Depot rollout

## Status

- Owner: coordinates the rollout with the depots and drivers
- Presenter: Ana Pereira will walk through the migration
- Facilitator: Carla Diaz (CD)
- Owner: Jane Doe <jane.doe@corp.example>, @bstone and ops.lead@corp.example
- **Shepherd:** coordinates and then reports back to the steering group
"""


def test_dated_action_items_name_their_owner_and_option_labels_name_nobody(tmp_path) -> None:
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        note = tmp_path / "notes" / "2021-04-20.md"
        note.parent.mkdir()
        note.write_text(RUST_TRIAGE, encoding="utf-8")
        assert not kb.ingest([note.parent]).failed
        rows = kb.store.evidence_of(list(kb.store.sources()))
    actions = {(r["name"], r["detail"]) for r in rows if r["role"] == "action_owner"}
    # The detail is the item as a passage's anchors are compared (no markup), so that
    # ranking finds it in the passage that holds it.
    assert ("Taylor", "[2021-03-30]: Taylor to write up a summary of the ptr cast discussion"
            ) in actions  # fmt: skip
    assert not {r["name"] for r in rows} & {"Allow", "Warn", "Question", "Reason"}


def test_label_lines_store_the_people_they_list_and_nobody_for_a_sentence(tmp_path) -> None:
    found = stored_people(tmp_path, {"2021-06-02-planning-meeting.md": RUST_PLANNING,
                                     "2022-02-16-libs-most-wanted.md": RUST_LIBS,
                                     "2019-10-03.md": RUST_DETAILS, "depots.md": DEPOTS})
    planning = found["2021-06-02-planning-meeting.md"]
    # "Attendance:" alone on its line opens a list of who was there.
    assert {("attendee", n) for n in ("Niko", "Scott", "Josh", "Taylor", "Felix", "simulacrum",
                                      "Mara")} <= planning  # fmt: skip
    assert ("item_owner", "scottmcm") in planning  # "* Author: scottmcm" under an agenda item
    libs = found["2022-02-16-libs-most-wanted.md"]
    assert {("attendee", n) for n in ("Josh Triplett", "Michael Goulet", "the8472")} <= libs
    # A sentence after the label names nobody.
    assert found["2019-10-03.md"] == set()
    # Only the lines that list people name anyone: no "coordinates", "drivers", "Ana Pereira".
    assert found["depots.md"] == {
        ("facilitator", "Carla Diaz"), ("owner", "Jane Doe <jane.doe@corp.example>"),
        ("owner", "@bstone"), ("owner", "ops.lead@corp.example"),
    }


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("Jane Doe, Bob Stone and Carla Diaz", True),
        ("Amara Okafor (AO)", True),
        ("scottmcm", True),
        ("@bstone & jane.doe@corp.example", True),
        ("Ludwig van Beethoven / Niko", True),
        ("Dmitri Volkov (Platform). Contributors: Mei Lin", True),
        ("coordinates the rollout with the depots", False),
        ("the team will meet again next week", False),
        ("Priya will look into it", False),
        ("The Platform Team", False),
        ("forgot to record :)", False),
    ],
)
def test_a_label_value_reads_as_names_or_as_a_sentence(value: str, names: bool) -> None:
    assert reads_as_names(value) is names


# An encyclopedia article's shapes that read like people: a "(ABBR)" after a capitalised
# phrase, "written by Hall Of Fame guitarist ...", a country in a title's parentheses.
ARTICLES = {
    "Fresno.md": "# Fresno, California\n\nIn the 1970s, the city was the subject of a song, "
                 "\"Walking Into Fresno\", written by Hall Of Fame guitarist Bill Aken. Its high "
                 "schools play in the California Interscholastic Federation (CIF).\n",
    "Victoria.md": "# Victoria (Australia)\n\nVictoria is a state in the south-east of "
                   "Australia. The Australian Labor Party (ALP) and the Australian Football "
                   "League (AFL) are based there.\n",
    "Southern_California.md": "# Southern California\n\nSouthern California, often "
                              "abbreviated SoCal, is a geographic and cultural region that "
                              "generally comprises California's southernmost 10 counties.\n",
}


def test_organisations_and_countries_in_an_article_are_nobody(tmp_path: Path) -> None:
    found = stored_people(tmp_path, {**ARTICLES, "notes.md": (
        "# Sync 2020-11-02\n\nAttendance: Diggory Blake, Niko\n\n"
        "## Naming (Ana Pereira)\n\nAna Pereira (AP) proposed the rename.\n")})
    assert found["Fresno.md"] == found["Victoria.md"] == found["Southern_California.md"] == set()
    # Listed as present, or an item's owner with initials: people, whatever the model says.
    assert {("attendee", "Diggory Blake"), ("item_owner", "Ana Pereira")} <= found["notes.md"]


def test_a_question_about_a_place_is_not_steered_to_an_organisation_named_after_it(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        kb.ingest([folder])
        assert kb.store.people() == []
        hits = kb.search("What is Southern California often abbreviated as?", k=1)
    assert hits[0].title == "Southern California"
