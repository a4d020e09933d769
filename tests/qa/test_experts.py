"""Who to ask: ranked by what people said, wrote or own; shown with a level, never as a crowd."""

from __future__ import annotations

import pytest
from support import DATA, hash_settings

from kenning import KnowledgeBase
from kenning.config import Principal
from kenning.qa.experts import (
    EXPERT_HITS,
    MIN_CONFIDENCE,
    experts_for_abstention,
    rank_all,
    rank_experts,
)
from kenning.qa.reader import ScopedReader
from kenning.qa.service import QAService
from kenning.schema import Expert, ExpertEvidence
from kenning.ui.pages import person_html
from kenning.ui.people import person_page
from kenning.ui.render import EXPERTS_SHOWN, experts_html


@pytest.fixture(scope="module")
def people_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    home = tmp_path_factory.mktemp("experts-kb")
    kb = KnowledgeBase(home, hash_settings(home))
    assert not kb.ingest([DATA / "people"]).failed
    return kb


def ask(kb: KnowledgeBase, question: str) -> list[Expert]:
    retrieval = kb.qa.retrieve(question, k=EXPERT_HITS)
    return rank_experts(retrieval, kb.store, k=5, question=question)


def test_the_owner_of_the_matched_item_comes_first(people_kb: KnowledgeBase) -> None:
    experts = ask(people_kb, "Who should I ask about cache eviction?")
    assert experts[0].name == "Mara Lind"
    assert any("cache eviction (Mara)" in r for r in experts[0].reasons)
    assert 0 < experts[0].confidence <= 1 and experts[0].level in ("strong", "possible")


def test_the_person_who_said_the_answer_outranks_attendees(people_kb: KnowledgeBase) -> None:
    ranked = rank_all(people_kb.qa.retrieve("ledger copy freeze window checksums", k=10),
                      people_kb.store, k=10, question="ledger copy freeze window checksums")
    names = [e.name for e in ranked]
    assert names[0] == "Ana Pereira"  # she said it (as "AP")
    assert any(r.startswith("spoke ") for r in ranked[0].reasons)
    # Josh Stone only attended: never above anyone who said, wrote or owns something here.
    attended_only = [e.name for e in ranked if all(r.startswith("attended") for r in e.reasons)]
    assert "Josh Stone" in attended_only and names.index("Josh Stone") >= 3
    first = min(names.index(name) for name in attended_only)
    assert all(any(not r.startswith("attended") for r in e.reasons) for e in ranked[:first])


def test_a_person_named_in_the_question_by_initials_is_found(people_kb: KnowledgeBase) -> None:
    experts = ask(people_kb, "What did AP say about the ledger copy?")
    assert experts[0].name == "Ana Pereira"
    assert experts[0].reasons[0] == "named in the question"


def test_only_people_above_the_threshold_are_returned(people_kb: KnowledgeBase) -> None:
    retrieval = people_kb.qa.retrieve("Who should I ask about cache eviction?", k=EXPERT_HITS)
    everyone = rank_all(retrieval, people_kb.store, k=10, question="cache eviction")
    shown = rank_experts(retrieval, people_kb.store, k=10, question="cache eviction")
    assert len(shown) < len(everyone)
    assert all(e.confidence >= MIN_CONFIDENCE for e in shown)
    assert rank_experts(retrieval, people_kb.store, question="cache eviction",
                        min_confidence=1.0) == []  # none is a valid answer  # fmt: skip


def test_nothing_retrieved_names_nobody(people_kb: KnowledgeBase) -> None:
    empty = people_kb.qa.retrieve("cache eviction", k=5)
    empty.hits, empty.rowids = [], []
    assert rank_experts(empty, people_kb.store, question="cache eviction") == []


def test_after_an_abstention_people_are_labelled_as_knowing_nearby_topics(
    people_kb: KnowledgeBase,
) -> None:
    experts = ask(people_kb, "Who should I ask about cache eviction?")
    nearby = experts_for_abstention(experts)
    assert nearby and len(nearby) <= 3
    assert all(e.level == "neighbouring" and e.level != "strong" for e in nearby)
    assert nearby[0].reasons[0].startswith("knows neighbouring topics (“")
    assert experts_for_abstention([]) == []


def test_the_panel_shows_levels_and_at_most_three_people() -> None:
    evidence = [ExpertEvidence(document_id="d", title="Runbook", role="owner")]
    crowd = [Expert(person_id=f"p{i}", name=f"Person {i}", score=1.0, reasons=["owner"],
                    evidence=evidence, confidence=0.7, level="strong") for i in range(6)]
    html = experts_html(crowd)
    assert html.count('class="kn-card kn-expert') == EXPERTS_SHOWN == 3
    assert "strong match" in html and "Person 3" not in html
    nearby = experts_html([Expert(person_id="p", name="P", score=1.0, reasons=["near"],
                                  evidence=evidence, level="neighbouring")])  # fmt: skip
    assert "knows nearby topics" in nearby and "No one to ask about this exactly" in nearby


def test_a_person_page_shows_roles_last_activity_and_aliases(people_kb: KnowledgeBase) -> None:
    service = people_kb.qa
    ana = next(p for p in people_kb.store.people() if p.name == "Ana Pereira")
    page = person_page(service, ana.id)
    assert page is not None and page["last_active"] == "2026-01-20"
    assert {"AP", "apereira"} <= set(page["aliases"])
    html = person_html(page)
    assert "Last active: 2026-01-20" in html and "owns an agenda item" in html
    assert "spoke" in html and "Platform sync 2026-01-12" in html


def test_a_person_page_hides_what_the_reader_may_not_read(people_kb: KnowledgeBase) -> None:
    ana = next(p for p in people_kb.store.people() if p.name == "Ana Pereira")
    ops = QAService(people_kb.qa.parts, Principal("ops", frozenset({"ops"})))
    assert isinstance(ops.reader, ScopedReader)
    page = person_page(ops, ana.id)
    assert page is not None
    assert "AP" in page["aliases"] and "apereira" not in page["aliases"]  # learnt in finance
    assert page["last_active"] == "2026-01-12"
    assert "Finance sync" not in person_html(page)
    quentin = next(p for p in people_kb.store.people() if p.name == "Quentin Moss")
    assert person_page(ops, quentin.id) is None


def test_the_contact_a_document_names_for_the_topic_outranks_its_owner(tmp_path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "runbook.md").write_text(
        "---\ntitle: Ledger database runbook\nowner: Jonas Becker\n---\n# Ledger database runbook\n"
        "\n## Failover\n\nPromote the replica with Patroni, then fence the old primary.\n"
        "\n## Backups\n\nNightly base backups go to object storage and are checked weekly.\n"
        "\n## Contacts\n\n- Runbook owner: Jonas Becker\n"
        "- Database platform and Patroni upgrades: Tomás Silva\n",
        encoding="utf-8",
    )
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        kb.ingest([docs])
        experts = ask(kb, "Who should I ask about Patroni upgrades?")
        assert experts[0].name == "Tomás Silva"
        assert any("Patroni upgrades" in r for r in experts[0].reasons)
        # The owner still answers for the runbook as a whole.
        assert ask(kb, "Who owns the ledger database runbook?")[0].name == "Jonas Becker"


def test_a_ranking_reads_what_the_store_holds_now(tmp_path) -> None:
    # Passages and evidence are remembered between rankings until the store changes.
    docs = tmp_path / "docs"
    docs.mkdir()
    page = "---\ntitle: Ledger database runbook\nowner: {owner}\n---\n# Ledger runbook\n\n{text}"
    runbook = docs / "runbook.md"
    runbook.write_text(page.format(owner="Jonas Becker", text="Promote the replica."))
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        kb.ingest([docs])
        question = "Who owns the ledger database runbook?"
        assert [e.name for e in ask(kb, question)] == ["Jonas Becker"]
        assert [e.name for e in ask(kb, question)] == ["Jonas Becker"]  # remembered
        runbook.write_text(page.format(owner="Tomás Silva", text="Promote the new replica."))
        kb.ingest([docs])
        assert [e.name for e in ask(kb, question)] == ["Tomás Silva"]


def test_the_person_an_action_item_assigns_outranks_a_document_owner(tmp_path) -> None:
    docs = tmp_path / "docs"
    (docs / "runbooks").mkdir(parents=True)
    (docs / "meetings").mkdir()
    (docs / "runbooks" / "paydb.md").write_text(
        "---\ntitle: Payments database runbook\nowner: Jonas Becker\n---\n"
        "# Payments database runbook\n\n## Cluster\n\n"
        "paydb runs Postgres 16 on a three node cluster managed by Patroni. To provision a\n"
        "new paydb cluster node, bootstrap it from the latest base backup.\n"
    )
    (docs / "meetings" / "2026-02-18-planning.md").write_text(
        "# Payments planning\n\nFacilitator: Jonas Becker\n\n## Action items\n\n"
        "- Tomás Silva to provision the new paydb cluster (3 nodes, Postgres 16) by Feb 27\n"
        "- Jonas Becker to migrate the ledger by March 14\n"
    )
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        kb.ingest([docs])
        experts = ask(kb, "Who provisions the new paydb cluster?")
    assert experts[0].name == "Tomás Silva"
    assert any("provision the new paydb cluster" in r for r in experts[0].reasons)


def test_someone_a_page_names_for_what_was_asked_comes_before_its_author(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "platform").mkdir(parents=True)
    (corpus / "people.yaml").write_text(
        "people:\n  - name: Kwame Mensah\n    team: Support\n  - name: Tomás Silva\n"
    )
    (corpus / "platform" / "incident-roles.md").write_text(
        "---\nauthor: Tomás Silva\n---\n# Incident roles\n\n"
        "Incident commander – coordinates, decides and keeps the timeline.\n\n"
        "Communications lead: someone from Support (usually Kwame Mensah) who writes the "
        "status page updates and merchant emails.\n"
    )
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        kb.ingest([corpus])
        ranked = rank_all(kb.qa.retrieve("Who writes the status page updates?", k=EXPERT_HITS),
                          kb.store, k=5, question="Who writes the status page updates?")
    assert [e.name for e in ranked[:2]] == ["Kwame Mensah", "Tomás Silva"]
    assert "usually Kwame Mensah" in ranked[0].reasons[0]


def test_a_role_speaker_is_named_only_when_written_as_a_name(tmp_path) -> None:
    meetings = tmp_path / "meetings"
    meetings.mkdir()
    turns = [
        ("Project Manager", "Let us start with the remote control buttons today."),
        ("Industrial Designer", "The user interface buttons should be large and rubber, with "
         "the volume buttons on the side and the channel buttons in the middle."),
        ("User Interface", "Fine, large buttons are easier to find in the dark."),
        ("Industrial Designer", "Rubber buttons on the user interface also survive drops."),
    ]  # fmt: skip
    cues = [f"00:00:{2 * i:02d}.000 --> 00:00:{2 * i + 2:02d}.000\n<v {who}>{text}\n"
            for i, (who, text) in enumerate(turns)]  # fmt: skip
    (meetings / "design.vtt").write_text("WEBVTT\n\n" + "\n".join(cues))
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        kb.ingest([meetings])
        about = "What was said about user interface buttons?"
        ranked = rank_all(kb.qa.retrieve(about, k=EXPERT_HITS), kb.store, k=3, question=about)
        assert ranked[0].name == "Industrial Designer" and not ranked[0].reasons[0].startswith(
            "named in the question")
        asked = "What did the User Interface say about the buttons?"
        ranked = rank_all(kb.qa.retrieve(asked, k=EXPERT_HITS), kb.store, k=3, question=asked)
        assert ranked[0].name == "User Interface"


def test_an_item_owner_in_a_passage_below_the_tenth_is_found(tmp_path) -> None:
    """Fourteen meetings discuss the ledger freeze; the one that names its owner ranks 15th."""
    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(14):
        (notes / f"2026-02-{i + 1:02d}-sync.md").write_text(
            f"# Platform sync {i + 1}\n\n## Ledger freeze\n\n"
            "Bob Stone: the ledger freeze window slipped again, the freeze checks are slow.\n"
            "Carla Diaz: the ledger freeze window needs the freeze checks before the ledger copy.\n"
            "Bob Stone: agreed, the ledger freeze stays on the agenda.\n"
        )
    (notes / "2026-01-05-planning.md").write_text(
        "# Planning\n\n## Shepherded items\n\n**ledger freeze window (Mara Lind)**\n\n"
        "- Mara drafted the runbook for the window; next step is a dry run in staging.\n\n"
        "**cache eviction (Ana Pereira)**\n\n- No progress this week.\n"
    )
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        assert not kb.ingest([notes]).failed
        question = "Who should I ask about the ledger freeze window?"
        retrieval = kb.qa.retrieve(question, k=EXPERT_HITS)
        ranks = [i for i, h in enumerate(retrieval.hits) if h.source.endswith("planning.md")]
        assert ranks and ranks[0] >= 10  # below the first ten passages
        names = [e.name for e in rank_all(retrieval, kb.store, k=3, question=question)]
    assert "Mara Lind" in names[:2] and "Ana Pereira" not in names[:2]


def test_reasons_are_written_in_the_question_language(people_kb: KnowledgeBase) -> None:
    retrieval = people_kb.qa.retrieve("ledger copy freeze window checksums", k=10)
    english = rank_all(retrieval, people_kb.store, k=10,
                       question="What was said about the ledger copy freeze window checksums?")
    french = rank_all(retrieval, people_kb.store, k=10,
                      question="Qu'est-ce qui a été dit sur la fenêtre de gel des checksums ?")
    assert [e.name for e in french] == [e.name for e in english]  # the same people
    assert english[0].reasons[0].startswith("spoke ")
    assert french[0].reasons[0].startswith("a dit ") and "du passage de « " in french[0].reasons[0]
    assert not any(r.startswith(("spoke", "attended", "owner of")) for e in french
                   for r in e.reasons)  # fmt: skip
    nearby = experts_for_abstention(french, question="Qui connaît la fenêtre de gel ?")
    assert nearby[0].reasons[0].startswith("connaît des sujets voisins (« ")
