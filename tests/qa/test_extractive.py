"""The extractive answerer over answer units: the unit that answers leads, short and clean."""

from __future__ import annotations

from kenning.index.embeddings import HashEmbedder
from kenning.qa.extractive import choose_sentences, named_speakers
from kenning.schema import Hit


def hit(text: str, kind: str = "document", location: str = "", rank: int = 1) -> Hit:
    return Hit(rank=rank, score=1.0, document_id=f"d{rank}", title="Doc", source=f"/d{rank}",
               kind=kind, text=text, location=location, start=None, end=None,
               speakers=[])  # fmt: skip


RUNBOOK = hit(
    "This runbook describes how to fail over **paydb**, the PostgreSQL cluster of payments.\n\n"
    "## Before you start\n"
    "1. Declare an incident in `#inc-payments` and state the severity.\n"
    "2. Pause the capture workers:\n`kubectl -n payments scale deploy/capture-worker "
    "--replicas=0`.\n3. Check replication lag with `patronictl list`.",
    location="Payments database failover runbook",
)
HOTELS = hit(
    "## Hotels\nNightly caps, including taxes but excluding breakfast:\n"
    "| Location | Cap per night |\n|---|---|\n| Germany (except Munich) | €140 |\n"
    "| Munich, Amsterdam, Vienna | €180 |\n| London, Paris, Zurich | €230 |",
    location="Expense and travel policy > Booking travel", rank=2,
)
POST_MORTEM = hit(
    "Idempotency keys for card captures were stored in a shared Redis instance configured "
    "with `allkeys-lru`. When the processor slowed down, Redis hit its memory limit and "
    "evicted keys, so retries were charged again.",
    kind="retrospective", location="Post-mortem: customers charged twice > Root cause",
)
TIMELINE = hit(
    "- 06:30 — Morning capture batch starts; the card processor slows down.\n"
    "- 08:17 — Capture workers scaled to zero; duplicates stop.",
    kind="retrospective", location="Post-mortem: customers charged twice > Timeline", rank=2,
)
TRANSCRIPT = hit(
    "Tomás Silva: What's the catch with the new solver's memory use?\n"
    "Amara Okafor: The catch is memory. Kestrel peaks at about 11 gigabytes per solver pod.\n"
    "Mei Lin: With 15-minute buckets the memory peak drops to roughly 7.5 gigabytes.",
    kind="transcript", location="00:04:04–00:07:52",
)


def answer(question: str, hits: list[Hit]) -> list[str]:
    return [s.text for s in choose_sentences(question, hits, HashEmbedder(), 3).sentences]


def test_a_procedure_question_is_answered_with_the_numbered_steps() -> None:
    first = answer("How do we fail over the payments database?", [RUNBOOK, HOTELS])[0]
    assert first.startswith("1. Declare an incident in #inc-payments")
    assert "\n2. Pause the capture workers: kubectl -n payments scale" in first
    assert "\n3. Check replication lag" in first
    assert "`" not in first and "**" not in first


def test_an_amount_question_leads_with_the_table_row_and_its_headers() -> None:
    first = answer("What is the hotel cap per night in Munich?", [RUNBOOK, HOTELS])[0]
    assert first == "Location: Munich, Amsterdam, Vienna, Cap per night: €180"


def test_a_root_cause_question_leads_with_the_root_cause_section() -> None:
    first = answer("What was the root cause of the double charges?", [TIMELINE, POST_MORTEM])[0]
    assert first.startswith("Idempotency keys for card captures were stored in a shared Redis")
    assert "so retries were charged again." in first


def test_a_question_someone_asked_is_never_the_answer() -> None:
    said = answer("What's the catch with the new solver's memory use?", [TRANSCRIPT])
    assert said and not any("What's the catch" in s for s in said)
    assert said[0].startswith(("Amara Okafor: “", "Mei Lin: “"))


def test_the_named_speaker_leads() -> None:
    said = answer("What did Mei say about the memory peak?", [TRANSCRIPT])
    assert said[0].startswith("Mei Lin: “With 15-minute buckets")
    assert named_speakers("What did D think?", {"Grad D", "Grad A"}) == {"Grad D"}
    assert named_speakers("What did the Project Manager say?", {"Project Manager",
                          "Marketing"}) == {"Project Manager"}  # fmt: skip
    assert named_speakers("What did the manager say?", {"Project Manager"}) == set()


def test_a_long_leading_sentence_starts_where_the_answer_is() -> None:
    airport = hit("Southern California is home to many airports, among them Los Angeles "
                  "International Airport, the second-busiest airport in the United States by "
                  "passenger volume and the third by international passenger volume, and San "
                  "Diego International Airport, the busiest single runway airport.")  # fmt: skip
    first = answer("Which is the busiest single runway airport?", [airport])[0]
    assert first.startswith("… ") and len(first.split()) <= 25
    assert "San Diego International Airport, the busiest single runway airport." in first


def test_a_long_sentence_that_opens_with_its_condition_is_shown_whole() -> None:
    """Cut after its first clause, the sentence would promise what only holds under it."""
    lep = hit("Lorsque vos revenus dépassent ces plafonds au cours d'une année, vous pourrez "
              "conserver votre livret d'épargne populaire si vos revenus de l'année suivante "
              "repassent en dessous des plafonds fixés pour son ouverture.")  # fmt: skip
    first = answer("Puis-je conserver mon livret d'épargne populaire si mes revenus dépassent "
                   "les plafonds ?", [lep])[0]  # fmt: skip
    assert first.startswith("Lorsque vos revenus dépassent ces plafonds"), first
    replica = hit("If the standby replica lags the primary by more than thirty seconds during "
                  "the maintenance window, the on-call engineer promotes the other standby "
                  "replica and pages the database owners.")  # fmt: skip
    first = answer("Who promotes the other standby replica and pages the database owners?",
                   [replica])[0]  # fmt: skip
    assert first.startswith("If the standby replica lags"), first


def test_an_answer_from_two_passages_passes_the_citation_check_whole() -> None:
    from kenning.qa.citations import check_answer

    hits = [hit("The delta is delimited in the West by the Alter Rhein and in the East by a "
                "canal."), hit("The other third of the water flows through the Pannerdens "
                               "Kanaal.", rank=2)]  # fmt: skip
    reply = ("The other third of the water flows through the Pannerdens Kanaal. [2] The delta "
             "is delimited in the West by the Alter Rhein. [1]")  # fmt: skip
    checked = check_answer(reply, hits, HashEmbedder(), threshold=0.5)
    assert not checked.dropped and checked.cited == [2, 1]


def test_a_procedure_question_skips_the_list_of_what_to_do_afterwards() -> None:
    # "failover" in the headings is the question's "fail over"; the aftermath list's "failed"
    # is not, and a list under "After the failover" is not how to fail over.
    after = hit(
        "## After the failover\n- Scale capture-worker back to 12 replicas.\n"
        "- Rebuild the failed node as a replica with `patronictl reinit paydb paydb-1`.\n"
        "- Write a post-mortem within five working days.",
        location="Payments database failover runbook", rank=2,
    )
    first = answer("How do we fail over the payments database?", [after, RUNBOOK])[0]
    assert first.startswith("1. Declare an incident in #inc-payments")


def test_a_comparison_of_times_leads_with_the_turn_that_gives_them() -> None:
    review = hit(
        "Priya Raman: What do the numbers look like?\n"
        "Mei Lin: We replayed all of January offline. Dortmund goes from nine minutes to three "
        "minutes forty seconds with Kestrel instead of Pathwise.",
        kind="transcript", location="00:00:05–00:03:49",
    )
    overview = hit("Kestrel replaced Pathwise at the Dortmund depot after the review of 12 "
                   "March 2026.", location="Routing", rank=2)
    first = answer("How much faster was Kestrel than Pathwise at planning Dortmund?",
                   [overview, review])[0]  # fmt: skip
    assert "three minutes forty seconds" in first


def test_a_section_heading_the_question_names_in_full_is_recognised() -> None:
    from kenning.qa.extractive import _names_heading, candidate_units
    from kenning.qa.question import stems_of

    cause = hit("Idempotency keys were evicted from a shared Redis instance.",
                location="Post-mortem > Root cause")  # fmt: skip
    steps = hit("1. Merge to main.\n2. Watch the rollout.", location="Deploying > Steps")
    asked = stems_of("What was the root cause of the January incident?")
    assert all(_names_heading(asked, cause, c) for c in candidate_units([cause]))
    # A one-word heading is named by too many questions; an unnamed one not at all.
    how = stems_of("What are the steps to deploy?")
    assert not any(_names_heading(how, steps, c) for c in candidate_units([steps]))
    assert not any(_names_heading(stems_of("Who was paged?"), cause, c)
                   for c in candidate_units([cause]))  # fmt: skip


def test_the_next_sentence_leads_when_only_it_holds_the_expected_value() -> None:
    passage = hit("The last attempt, the Pico Act of 1859, was approved by the State Legislature "
                  "and put to the voters of the southern counties. It passed overwhelmingly, "
                  "with nearly 75%. The act then stalled in Congress.")  # fmt: skip
    units = answer("What percentage of voters approved the Pico Act of 1859?", [passage])
    assert units[0].startswith("It passed overwhelmingly, with nearly 75%")
    assert units[1].startswith("The last attempt, the Pico Act of 1859")


def test_a_how_to_answer_starts_with_the_first_close_procedure_of_the_document() -> None:
    def section(heading: str, steps: str, rank: int) -> Hit:
        return Hit(rank=rank, score=1.0, document_id="runbook", title="Failover runbook",
                   source="/runbook.md", kind="document", text=steps,
                   location=f"Failover runbook > {heading}", start=None, end=None,
                   speakers=[])  # fmt: skip

    cross_region = section("Cross-region failover", "1. Fail over the database to paydb-3.\n"
                           "2. Switch the database DNS record.", rank=1)  # fmt: skip
    before = section("Before you start", "1. Declare an incident before you fail over.\n"
                     "2. Pause the capture workers of the database.", rank=2)  # fmt: skip
    question = "How do we fail over the database?"
    hits = [cross_region, before]
    # Stored in document order: "Before you start" (rowid 10) comes before (rowid 14).
    led = choose_sentences(question, hits, HashEmbedder(), 3, positions=[14, 10])
    assert led.sentences[0].text.startswith("1. Declare an incident")
    unordered = choose_sentences(question, hits, HashEmbedder(), 3)
    assert unordered.sentences[0].text.startswith("1. Fail over the database to paydb-3")
