"""The UI's HTML: everything from a document is escaped, markers link only to real sources."""

from __future__ import annotations

import pytest

from kenning.errors import ForbiddenError, InvalidRequest
from kenning.schema import Citation, Expert, ExpertEvidence, FileReport, IngestReport
from kenning.ui.catalog import is_stale
from kenning.ui.catalogues import best_language, request_language, tr
from kenning.ui.library import feedback_html, gap_match, report_rows, report_summary
from kenning.ui.login import login_page
from kenning.ui.pages import directory_html, document_item, person_html
from kenning.ui.passage import excerpt, passage_html
from kenning.ui.render import (
    answer_html,
    error_note,
    experts_html,
    passage_url,
    query_terms,
    sources_html,
    term_pattern,
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
    assert "&lt;script&gt;" in html or '&lt;<mark class="kn-term">script</mark>&gt;' in html


def test_escaped_answer_and_speakers() -> None:
    assert "<script" not in answer_html(EVIL, [])
    assert "<img" not in sources_html([citation(speakers=[EVIL], kind="transcript")], "q")


def test_question_terms_marked_in_escaped_pieces() -> None:
    terms = term_pattern(query_terms("solver memory"))
    html = passage_html("a < b & the solver's memory", [], terms)
    assert html == ('<p>a &lt; b &amp; the <mark class="kn-term">solver</mark>&#x27;s '
                    '<mark class="kn-term">memory</mark></p>\n')  # fmt: skip
    assert passage_html("x & y", [], term_pattern(["amp"])) == "<p>x &amp; y</p>\n"


TRAVEL = """## Hotels
Nightly caps, including taxes but excluding breakfast:
| Location                  | Cap per night |
|---------------------------|---------------|
| Germany (except Munich)   | €140          |
| Munich, Amsterdam, Vienna | €180          |

- Rail is the default for journeys under **five hours**.
- Private car use is reimbursed at **€0.30 per kilometre**.
"""


def test_passage_markdown_is_rendered_with_the_quoted_span_in_bold() -> None:
    row = "| Munich, Amsterdam, Vienna | €180          |"
    assert row in TRAVEL
    html = sources_html([citation(text=TRAVEL, highlights=[row])], "hotel cap in Munich")
    assert "<table>" in html and "<th>Cap per night</th>" in html and "<li>" in html
    assert "<h2>Hotels</h2>" in html and "<strong>five hours</strong>" in html
    assert '<td><mark class="kn-quote">Munich, Amsterdam, Vienna</mark></td>' in html
    assert '<td><mark class="kn-quote">€180</mark></td>' in html
    assert "|" not in html and "**" not in html and "##" not in html
    assert "kn-term" not in html, "with a quote, the question's words are not marked too"


def test_a_quote_across_markup_stays_well_nested() -> None:
    text = "- Acknowledge within **5\nminutes** for SEV1."
    html = passage_html(text, ["Acknowledge within **5\nminutes**"])
    assert html == ('<ul>\n<li><mark class="kn-quote">Acknowledge within </mark><strong>'
                    '<mark class="kn-quote">5</mark>\n<mark class="kn-quote">minutes</mark>'
                    "</strong> for SEV1.</li>\n</ul>\n")  # fmt: skip


@pytest.mark.parametrize("evil", [EVIL, "[x](javascript:alert(1))", "![x](http://tracker/x.png)",
                                  '<a href="javascript:alert(1)">x</a>'])  # fmt: skip
def test_passage_markup_cannot_reach_the_page(evil: str) -> None:
    html = passage_html(f"# Title\n\n{evil}\n\n| a | b |\n|---|---|\n| {evil} | x |", [evil])
    assert "<script" not in html and "<img" not in html and "<a href=\"javascript" not in html
    assert "http://tracker" not in html or "<img" not in html


def test_excerpt_keeps_whole_lines_and_the_table_header() -> None:
    rows = "\n".join(f"| r{i} | v{i} |" for i in range(40))
    text = "intro line\n" * 50 + "| A | B |\n|---|---|\n" + rows
    shown, _, _ = excerpt(text, text.index("| r30 |"), width=200)
    assert shown.startswith("…\n\n| A | B |\n|---|---|\n") and "| r30 | v30 |" in shown
    html = passage_html(text, ["| r30 | v30 |"], width=200)
    assert "<th>A</th>" in html and '<mark class="kn-quote">r30</mark>' in html


def test_no_raw_scores_in_the_sources_panel() -> None:
    html = sources_html([citation(1, rank=1, score=0.0328), citation(2, rank=4, score=0.0291)], "q")
    assert "0.03" not in html and "0.02" not in html
    assert "best match" in html and "related" in html
    assert gap_match(None, 0.25) == "none" and gap_match(0.31, 0.25) == "partial"


def test_ui_words_follow_the_language() -> None:
    assert best_language("fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert best_language("de-DE,en;q=0.5,fr;q=0.7") == "fr"
    assert best_language("de-DE") == "en" and best_language(None) == "en"
    assert request_language({"accept-language": "fr"}, {"kenning_lang": "en"}) == "en"
    html = sources_html([citation()], "q", lang="fr")
    assert "<h3>Sources</h3>" in html and "Ouvrir la source" in html
    assert "meilleure correspondance" in html
    assert tr("who_to_ask", "fr") == "Qui consulter"
    expert = Expert(person_id="p", name="P", score=1.0, reasons=["r"], evidence=[], level="strong")
    assert "forte correspondance" in experts_html([expert], lang="fr")
    assert "Qui consulter" in experts_html([expert], lang="fr")
    assert "Personne ne se distingue" in experts_html([], lang="fr")


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


def test_pages_in_french() -> None:
    row = {"id": "d", "title": "Runbook", "kind": "meeting", "updated": "2026-01-20",
           "review_by": "2020-01-01", "roles": ["speaker"]}  # fmt: skip
    item = document_item(row, on="2026-01-01", lang="fr")
    assert "réunion" in item and "mis à jour le 2026-01-20" in item
    assert "revue en retard" in item and "a pris la parole" in item
    profile = {"id": "p", "name": "Ana", "aliases": ["AP"], "teams": [], "topics": [],
               "owned": [], "meetings": [], "last_active": "2026-01-20"}  # fmt: skip
    page = person_html(profile, "fr")
    assert "Équipe : aucune équipe connue" in page and "Autres noms : AP" in page
    assert "Dernière activité : 2026-01-20" in page and "Aucun document possédé" in page
    assert "Choisissez une personne" in person_html(None, "fr")
    people = [{"id": "p", "name": "Ana", "teams": ["ops"], "documents": 2}]
    assert "<caption>Annuaire</caption>" in directory_html(people, "fr")
    assert "<caption>People directory</caption>" in directory_html(people)
    report = IngestReport(files=[FileReport(path="/a.md", status="added", chunks=3)], chunks=3)
    assert "1 ajouté · 3 passages" in report_summary(report, 1.0, "fr")
    assert "1 added · 3 passages" in report_summary(report, 1.0)
    assert report_rows(report.files, "fr")[0][1] == "ajouté"
    assert "1 avis" in feedback_html({"total": 1, "helpful": 1, "unhelpful": 0}, "fr")
    assert feedback_html({"total": 2, "helpful": 1, "unhelpful": 1}) == (
        '<p class="kn-overview">2 ratings: 1 helpful, 1 not helpful.</p>')
    evidence = [ExpertEvidence(document_id="d", title="T", role="action_owner")]
    expert = Expert(person_id="p", name="P", score=1.0, reasons=[], evidence=evidence,
                    level="possible")  # fmt: skip
    assert "responsable d&#x27;action" in experts_html([expert], lang="fr")
    assert "action owner" in experts_html([expert])


def test_sign_in_page_follows_the_language() -> None:
    english = login_page("/ui/")
    assert '<html lang="en">' in english and "<title>Sign in · Kenning</title>" in english
    assert "Sign in with your API key." in english and ">Sign in</button>" in english
    french = login_page("/ui/", tr("key_not_valid", "fr"), "fr")
    assert '<html lang="fr">' in french and ">Se connecter</button>" in french
    assert "Cette clé n&#x27;est pas valide." in french and "Clé d&#x27;API" in french


def test_open_source_links_go_to_the_passage_not_the_top_of_the_file() -> None:
    base = "/v1/documents/doc-1/source"
    pdf = citation(source="/docs/review.pdf", location="page 2", text="Mapforge (High risk)")
    assert passage_url(pdf) == f"{base}#page=2"
    recording = citation(source="/rec/sync.m4a", kind="transcript", start=121.6, end=180.0,
                         location="00:02:01–00:03:00", text="Hannah: Agents never delete.")
    assert passage_url(recording) == f"{base}#t=121"
    # Text: the first words of what the answer quotes (else of the passage), as a text
    # fragment the browser scrolls to; a transcript cue without its speaker label.
    quoted = citation(highlights=["Fail over the payments database, then fence it"])
    words = "Fail%20over%20the%20payments%20database%2C%20then"
    assert passage_url(quoted) == f"{base}#:~:text={words}"
    vtt = citation(source="/t/review.vtt", kind="transcript", start=3.0,
                   text="Mei Lin: The catch is memory, again.")  # fmt: skip
    assert passage_url(vtt) == f"{base}#:~:text=The%20catch%20is%20memory%2C%20again."
    assert 'href="/v1/documents/doc-1/source#page=2"' in sources_html([pdf], "risk")


def test_errors_are_shown_in_the_reader_s_language_and_escaped() -> None:
    refused = ForbiddenError(key="admin_to_delete", action="deleting documents")
    assert "Supprimer des documents demande une clé" in error_note(refused, "fr")
    assert "Deleting documents needs an admin API key" in error_note(refused, "en")
    assert 'role="alert"' in error_note(refused, "fr")
    odd = InvalidRequest(key="file_name_unusable", name=EVIL)
    assert "<script>" not in error_note(odd, "fr") and "inutilisable" in error_note(odd, "fr")
    assert error_note(ValueError("plain words"), "fr").count("Plain words") == 1
