"""The Explore tab, for new hires: start here, recently updated, topics, browse by filters."""

from __future__ import annotations

from typing import Any

import gradio as gr

from kenning.qa.service import QAService
from kenning.schema import KINDS, Filters
from kenning.ui import catalog
from kenning.ui.access import UserServices
from kenning.ui.catalogues import DEFAULT, tr
from kenning.ui.i18n import label, language
from kenning.ui.pages import document_list, topics_html
from kenning.ui.panel import TabHooks
from kenning.ui.render import esc
from kenning.ui.style import panel

START_HERE_TAG = "onboarding"
RECENT = 6


def overview_html(service: QAService) -> str:
    """One line of counts: readable documents by kind, chunks, people."""
    stats = service.reader.counts()
    kinds = ", ".join(f"{n} {esc(kind)}{'' if n == 1 else 's'}"
                      for kind, n in stats["documents_by_kind"].items())  # fmt: skip
    return (f'<p class="kn-overview">{stats["documents"]} documents ({kinds or "none yet"}), '
            f'{stats["chunks"]} passages, {stats["people"]} people.</p>')  # fmt: skip


def browse_html(
    service: QAService, kind: str | None, team: str | None, tag: str | None, lang: str = DEFAULT
) -> str:
    """The documents that match the browse filters, newest first."""
    filters = Filters(kind=(kind,) if kind else (), team=team or None,
                      tags=(tag,) if tag else ())  # fmt: skip
    rows = catalog.documents(service, filters)
    heading = f"{len(rows)} document{'s' if len(rows) != 1 else ''}"
    return document_list(rows, heading, tr("nothing_matches", lang))


def refresh(
    service: QAService, kind: str | None, team: str | None, tag: str | None, lang: str = DEFAULT
) -> list[Any]:
    """New values for every panel of the tab, from the knowledge base as it is now."""
    found = catalog.build_catalog(service)
    start = catalog.documents(service, Filters(tags=(START_HERE_TAG,)))
    return [
        overview_html(service),
        document_list(start, tr("start_here", lang),
                      tr("no_start_here", lang, tag=START_HERE_TAG)),  # fmt: skip
        document_list(catalog.documents(service, limit=RECENT), tr("recently_updated", lang),
                      tr("no_documents", lang)),  # fmt: skip
        topics_html(catalog.topics(service), lang),
        gr.Dropdown(choices=[("Any team", "")] + [(t, t) for t in found.teams]),
        gr.Dropdown(choices=[("Any tag", "")] + [(t, t) for t in found.tags]),
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
        kind = gr.Dropdown([("Any kind", "")] + [(k, k) for k in KINDS], value="",
                           label=label("kind"))  # fmt: skip
        team = gr.Dropdown([("Any team", "")], value="", label=label("team"))
        tag = gr.Dropdown([("Any tag", "")], value="", label=label("tag"))
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

    outputs = [overview, start_here, recent, topics, team, tag, listing]
    return TabHooks(on_refresh, outputs, [kind, team, tag], person_links=[topics])
