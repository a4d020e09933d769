"""Answer units: passages (as ingest stores them) split along their structure, in clean text."""

from __future__ import annotations

import pytest

from kenning.qa.units import (
    UnitKind,
    clean_text,
    heading_of,
    plain_headings,
    sentences_of,
    split_units,
    trim_fragments,
)

RUNBOOK = """\
## Before you start
1. Declare an incident in `#inc-payments` and state the severity
(a primary outage is always SEV1, see *Incident severity levels*).
2. Pause the capture workers so no new card captures are attempted:
`kubectl -n payments scale deploy/capture-worker --replicas=0`.
3. Check replication lag. Do not promote a replica with more than
16 MB of lag without approval from the **payments lead**.
"""

HOTELS = """\
## Hotels
Nightly caps, including taxes but excluding breakfast:
| Location                      | Cap per night |
|-------------------------------|---------------|
| Germany (except Munich)       | €140          |
| Munich, Amsterdam, Vienna     | €180          |
"""

TRANSCRIPT = """\
Priya Raman: How many solver pods do we run at peak?
Mei Lin: Between 04:30 and 05:15 we autoscale to about 28 pods. One pod per depot job.
Tomás Silva: Six to eight percent of distance is a lot of diesel. What's the catch?"""

MEETING = """\
## Decisions
- The payments ledger will be migrated from PostgreSQL 13 to **PostgreSQL 16**
using logical replication, with the cutover completed **by 14 March 2026**.
- The cutover happens in the Tuesday maintenance window (05:00–06:00 CET).

## Action items
- [ ] @jbecker: migrate the ledger to Postgres 16 by March 14
- Tomás Silva to provision the new paydb cluster by February 27
"""

ROOT_CAUSE = """\
Idempotency keys for card captures were stored in a shared Redis instance
configured with `maxmemory-policy allkeys-lru`. When the card processor
slowed down, Redis hit its memory limit and began evicting keys. The capture
worker treated a missing key as "never attempted" and charged again.
Contributing factors:
- No alert fired on Redis evictions for the payments cache.
"""


def by_kind(units: list, kind: UnitKind) -> list[str]:
    return [u.text for u in units if u.kind is kind]


def test_numbered_list_is_one_procedure_with_every_step_in_order() -> None:
    units = split_units(RUNBOOK, "document", "Payments database failover runbook")
    (procedure,) = by_kind(units, UnitKind.procedure)
    steps = procedure.split("\n")
    assert [s[:3] for s in steps] == ["1. ", "2. ", "3. "]
    assert steps[1].endswith("kubectl -n payments scale deploy/capture-worker --replicas=0.")
    assert "`" not in procedure and "**" not in procedure and "*Incident" not in procedure
    assert all(u.heading == "Before you start" for u in units)
    # Each step is also a unit of its own, after the whole procedure.
    assert len(by_kind(units, UnitKind.item)) == 3 and units[0].kind is UnitKind.procedure


def test_table_rows_carry_their_column_headers() -> None:
    units = split_units(HOTELS, "document", "Expense and travel policy > Booking travel")
    assert by_kind(units, UnitKind.table_row) == [
        "Location: Germany (except Munich), Cap per night: €140",
        "Location: Munich, Amsterdam, Vienna, Cap per night: €180",
    ]
    assert all("|" not in u.text for u in units)
    assert units[-1].heading == "Hotels"


def test_transcript_turns_keep_speakers_and_mark_questions() -> None:
    units = split_units(TRANSCRIPT, "transcript", "00:04:04–00:07:52")
    turns = [u for u in units if u.kind is UnitKind.turn]
    assert [(t.speaker, t.question) for t in turns] == [
        ("Priya Raman", True), ("Mei Lin", False), ("Tomás Silva", True),
    ]  # fmt: skip
    assert turns[1].text.startswith("Between 04:30 and 05:15")
    sentences = [u for u in units if u.kind is UnitKind.sentence and u.speaker == "Mei Lin"]
    assert [s.text for s in sentences] == [
        "Between 04:30 and 05:15 we autoscale to about 28 pods.", "One pod per depot job.",
    ]  # fmt: skip


def test_meeting_decisions_and_action_items() -> None:
    units = split_units(MEETING, "meeting", "Payments ledger planning — 18 February 2026")
    decisions = by_kind(units, UnitKind.decision)
    assert decisions[0] == ("The payments ledger will be migrated from PostgreSQL 13 to "
                            "PostgreSQL 16 using logical replication, with the cutover "
                            "completed by 14 March 2026.")  # fmt: skip
    assert by_kind(units, UnitKind.action_item) == [
        "@jbecker: migrate the ledger to Postgres 16 by March 14",
        "Tomás Silva to provision the new paydb cluster by February 27",
    ]


def test_a_discussion_heading_that_mentions_a_follow_up_holds_no_action_items() -> None:
    text = "## 1. Double-charge follow-up\nSofia reported that the keys now live in Postgres."
    assert split_units(text, "meeting")[0].kind is UnitKind.sentence


def test_post_mortem_root_cause_is_a_section_unit() -> None:
    units = split_units(ROOT_CAUSE, "retrospective", "Post-mortem: charged twice > Root cause")
    (section,) = by_kind(units, UnitKind.section)
    assert section.startswith("Idempotency keys for card captures were stored in a shared Redis")
    assert section.endswith('treated a missing key as "never attempted" and charged again.')
    assert "Contributing" not in section and "`" not in section


def test_chunk_edges_lose_cut_sentences() -> None:
    text = ("ber of pending retries grew. Redis hit its memory limit.\n"
            "The worker treated a missing key as never attempted and sent a capt")  # fmt: skip
    assert trim_fragments(text).split() == "Redis hit its memory limit.".split()
    units = split_units(text, "document")
    assert [u.text for u in units] == ["Redis hit its memory limit."]


def test_short_lines_without_a_full_stop_are_kept() -> None:
    units = split_units("Facilitator: Jonas Becker\nNote taker: Sofia Marchetti", "meeting")
    assert [u.text for u in units] == ["Facilitator: Jonas Becker", "Note taker: Sofia Marchetti"]


def test_wrapped_markdown_lines_are_joined_but_exported_elements_are_not() -> None:
    wrapped = ("It serves 41 depots in Germany, the Netherlands and Austria and plans\n"
               "roughly 380,000 stops on a typical weekday. The Routing team, led by Amara\n"
               "Okafor, owns every component described here.")  # fmt: skip
    assert [u.text for u in split_units(wrapped)][-1] == (
        "The Routing team, led by Amara Okafor, owns every component described here."
    )
    exported = ("Page owner: Tomás Silva (Platform) · Last edited 30 January 2026 · Exported "
                "from Confluence\nEvery incident gets a severity level when it is declared.")
    assert len(split_units(exported)) == 2


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("**Kestrel** (new) uses `contraction hierarchies`.", "Kestrel (new) uses contraction "
                                                            "hierarchies."),  # fmt: skip
        ("## Root cause", "Root cause"),
        ("See the [runbook](https://wiki/runbook) first.", "See the runbook first."),
        ("- [x] @jbecker: schedule the test", "- @jbecker: schedule the test"),
        ("Total €21,600\nPage 2 of 3\nApproved.", "Total €21,600 Approved."),
        ("| Munich | €180 |", "Munich €180"),
        ("keep snake_case_names and 2*3*4 as they are", "keep snake_case_names and 2*3*4 as "
                                                        "they are"),  # fmt: skip
        ("Run `lark promote <service> --to production`", "Run lark promote <service> --to "
                                                         "production"),  # fmt: skip
        ("A <b>bold</b> move<br/>then <span class='x'>this</span>", "A bold move then this"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_page_footers_never_reach_a_unit() -> None:
    text = "The vendor could not provide a SOC 2 report.\nPage 1 of 3\nIts keys cannot be rotated."
    assert [u.text for u in split_units(text)] == [
        "The vendor could not provide a SOC 2 report.", "Its keys cannot be rotated.",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("location", "heading"),
    [
        ("Runbook > Before you start", "Before you start"),
        ("Vendor security review 2026, page 2", "Vendor security review 2026"),
        ("Roadmap > Q3 rollout, slide 3", "Q3 rollout"),
        ("00:04:04–00:07:52", ""),
        ("", ""),
    ],
)
def test_heading_of_location(location: str, heading: str) -> None:
    assert heading_of(location) == heading


def test_numbered_headings_are_one_procedure_numbered_as_the_document_numbers_them() -> None:
    # A chunk of a deploy guide that starts at its second step.
    text = ("## 2. Promote to staging\nCI opens a merge request. Merge it; Argo CD syncs staging."
            "\n\n## 3. Promote to production\nRun:\n```\nlark promote <service> --to production"
            "\n```\nThis opens a second merge request.\n\n## 4. Watch the canary\nThe rollout "
            "aborts by itself if errors rise.")  # fmt: skip
    procedure = split_units(text, location="Deploying > Steps")[0]
    assert procedure.kind is UnitKind.procedure
    assert procedure.text.splitlines() == [
        "2. Promote to staging: CI opens a merge request. Merge it; Argo CD syncs staging.",
        "3. Promote to production: Run: lark promote <service> --to production",
        "4. Watch the canary: The rollout aborts by itself if errors rise.",
    ]


def test_underlined_plain_text_headings_head_their_paragraphs() -> None:
    # A plain-text FAQ: each question underlined, its answer a paragraph below.
    faq = ("-" * 40 + "\n3. A customer was charged twice.\n" + "-" * 40 + "\nLook up both "
           "captures in the admin tool. Do not refund manually: the reconciliation job does.\n\n"
           + "-" * 40 + "\n4. Why did the ETA change?\n" + "-" * 40 + "\nETAs are recalculated "
           "every two minutes.")  # fmt: skip
    units = split_units(faq)
    paragraph = next(u for u in units if u.kind is UnitKind.paragraph)
    assert paragraph.heading == "3. A customer was charged twice."
    assert paragraph.text.startswith("Look up both captures") and "---" not in paragraph.text
    assert not any("---" in u.text for u in units)
    # Numbered questions are headings, not the steps of a procedure.
    assert not any(u.kind is UnitKind.procedure for u in units)


def test_plain_line_headings_head_their_sentences_instead_of_opening_them() -> None:
    """A help article pasted as text: its headings are short lines without punctuation."""
    sheet = ("Le PEL d'une durée initiale de moins de 10 ans est prolongé automatiquement.\n"
             "Taux d'intérêt\nTaux d'intérêt\n"
             "Le taux de rémunération est fixé à l'ouverture du PEL.\n"
             "La durée de la période d'essai varie selon la durée du contrat :\n"
             "Contrat de 1 mois maximum\n"
             "La période d'essai est fixée, à défaut, à 2 jours maximum.\n"
             "Il faut fournir à la mairie les documents suivants :\n"
             "Justificatif d'identité\nJustificatif de domicile récent")  # fmt: skip
    units = {u.text: u.heading for u in split_units(sheet, "document", "Plan épargne logement")}
    assert units["Le taux de rémunération est fixé à l'ouverture du PEL."] == "Taux d'intérêt"
    assert units["La période d'essai est fixée, à défaut, à 2 jours maximum."] == (
        "Contrat de 1 mois maximum")
    # Short lines after a colon that no sentence follows are the list it announces.
    assert units["Il faut fournir à la mairie les documents suivants : Justificatif d'identité "
                 "Justificatif de domicile récent"] == "Contrat de 1 mois maximum"
    assert not any(text.startswith(("Taux d'intérêt", "Contrat de 1")) for text in units)


def test_short_lines_that_are_not_headings_stay_in_their_paragraph() -> None:
    wrapped = "The payments service handles all card\ncaptures for the three regions."
    assert [u.text for u in split_units(wrapped)] == [
        "The payments service handles all card captures for the three regions."]
    after_prose = ("Failed captures are retried by the worker on the standby cluster and then by\n"
                   "Stripe Radar\nSupport sees the failure in the admin tool within a minute.")
    assert plain_headings(after_prose) == after_prose  # the line before ends no sentence
    pairs = "Owner: Priya Patel\nStatus: the migration is done and verified by QA."
    assert plain_headings(pairs) == pairs


def test_french_sentences_split_at_accented_capitals_and_keep_abbreviations() -> None:
    text = ("La demande est traitée par M. Dupont. État des lieux : le formulaire change. "
            "À partir du 1er mars, écrivez au service ! « Nouveau » formulaire en ligne.")
    assert sentences_of(text) == [
        "La demande est traitée par M. Dupont.",
        "État des lieux : le formulaire change.",
        "À partir du 1er mars, écrivez au service !",
        "« Nouveau » formulaire en ligne.",
    ]
