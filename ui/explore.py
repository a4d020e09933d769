"""The Explore tab, for new hires: start here, recently updated, topics, browse by filters."""

from __future__ import annotations

from typing import Any

import gradio as gr

from kenning.qa.service import QAService
from kenning.schema import KINDS, Filters
from kenning.ui import catalog
from kenning.ui.access import UserServices
from kenning.ui.catalogues import DEFAULT, EN, tr, tr_or, trn
from kenning.ui.i18n import label, language
from kenning.ui.pages import document_list, topics_html
from kenning.ui.panel import TabHooks
from kenning.ui.render import esc
from kenning.ui.style import panel

START_HERE_TAG = "onboarding"
RECENT = 6


def kind_count(kind: str, n: int, lang: str = DEFAULT) -> str:
    """How many documents of a kind: "1 meeting", "3 transcripts"."""
    fallback = f"{n} {kind}{'' if n == 1 else 's'}"
    if f"kind_count_{kind}_one" not in EN:
        return fallback
    return trn(f"kind_count_{kind}", n, lang)


def overview_html(service: QAService, lang: str = DEFAULT) -> str:
    """One line of counts: readable documents by kind, chunks, people."""
    stats = service.reader.counts()
    kinds = ", ".join(kind_count(kind, n, lang)
                      for kind, n in stats["documents_by_kind"].items())  # fmt: skip
    line = tr("overview", lang, documents=stats["documents"], kinds=kinds or tr("none_yet", lang),
              passages=stats["chunks"], people=stats["people"])  # fmt: skip
    return f'<p class="kn-overview">{esc(line)}</p>'


def kind_choices(lang: str = DEFAULT) -> list[tuple[str, str]]:
    """The browse filter's kinds, named in the reader's language."""
    return [(tr("any_kind", lang), "")] + [(tr_or(f"kind_{k}", k, lang), k) for k in KINDS]


def browse_html(
    service: QAService, kind: str | None, team: str | None, tag: str | None, lang: str = DEFAULT
) -> str:
    """The documents that match the browse filters, newest first."""
    filters = Filters(kind=(kind,) if kind else (), team=team or None,
                      tags=(tag,) if tag else ())  # fmt: skip
    rows = catalog.documents(service, filters)
    heading = trn("count_documents", len(rows), lang)
    return document_list(rows, heading, tr("nothing_matches", lang), lang)


def refresh(
    service: QAService, kind: str | None, team: str | None, tag: str | None, lang: str = DEFAULT
) -> list[Any]:
    """New values for every panel of the tab, from the knowledge base as it is now."""
    found = catalog.build_catalog(service)
    start = catalog.documents(service, Filters(tags=(START_HERE_TAG,)))
    return [
        overview_html(service, lang),
        document_list(start, tr("start_here", lang),
                      tr("no_start_here", lang, tag=START_HERE_TAG), lang),  # fmt: skip
        document_list(catalog.documents(service, limit=RECENT), tr("recently_updated", lang),
                      tr("no_documents", lang), lang),  # fmt: skip
        topics_html(catalog.topics(service), lang),
        gr.Dropdown(choices=kind_choices(lang)),
        gr.Dropdown(choices=[(tr("any_team", lang), "")] + [(t, t) for t in found.teams]),
        gr.Dropdown(choices=[(tr("any_tag", lang), "")] + [(t, t) for t in found.tags]),
        browse_html(service, kind, team, tag, lang),
    ]


def build_explore_tab(services: UserServices) -> TabHooks:
    """Lay out the Explore tab and wire its events; call inside a `gr.Tab`."""
    overview = panel("")
    with gr.Row(equal_height=False):
        start_here = panel("", elem_id="kn-start-here")
        recent = panel("", elem_id="kn-recent")
    topics = panel("", elem_id="kn-topics", person_links=True)
    gr.Markdown(label("browse"), elem_classes="kn-subheading")
    with gr.Row():
        kind = gr.Dropdown(kind_choices(), value="", label=label("kind"))
        team = gr.Dropdown([(tr("any_team"), "")], value="", label=label("team"))
        tag = gr.Dropdown([(tr("any_tag"), "")], value="", label=label("tag"))
    listing = panel("", elem_id="kn-browse")

    def on_browse(
        kind_: str | None, team_: str | None, tag_: str | None, request: gr.Request
    ) -> str:
        return browse_html(services(request), kind_, team_, tag_, language(request))

    gr.on([kind.change, team.change, tag.change], on_browse, [kind, team, tag], listing)

    def on_refresh(
        kind_: str | None, team_: str | None, tag_: str | None, request: gr.Request
    ) -> list[Any]:
        return refresh(services(request), kind_, team_, tag_, language(request))

    outputs = [overview, start_here, recent, topics, kind, team, tag, listing]
    return TabHooks(on_refresh, outputs, [kind, team, tag], person_links=[topics])
