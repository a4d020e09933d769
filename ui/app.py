"""The Gradio app: four tabs over one `QAService`, mounted on the API server at `/ui`, in
English or French (`kenning.ui.i18n`).

Mounted by `kenning.ui.mount.mount_ui`, which imports this module (and Gradio) only when
the UI is built, so the API can start without waiting for Gradio.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from fastapi import FastAPI

from kenning.access import Authenticator
from kenning.qa.service import QAService
from kenning.ui.access import UserServices
from kenning.ui.ask import build_ask_tab
from kenning.ui.catalogues import DEFAULT, tr
from kenning.ui.explore import build_explore_tab
from kenning.ui.i18n import I18N, SWITCH_JS, header_html, label, language, locale_js
from kenning.ui.library import build_library_tab
from kenning.ui.panel import TabHooks
from kenning.ui.people import build_people_tab
from kenning.ui.style import CSS, panel, theme

READERS = 4
# Files uploaded to the UI wait in Gradio's temporary folder until they are ingested (which
# copies them into the knowledge base); every 10 minutes those older than an hour are
# deleted, and all of them when the server stops.
UPLOAD_SWEEP_SECONDS = 600
UPLOAD_MAX_AGE_SECONDS = 3600
FAVICON_LINK = '<link rel="icon" type="image/svg+xml" href="/favicon.ico">'


def _wire(hooks: TabHooks, *triggers: Any) -> None:
    """Run a tab's refresh on each trigger (the page loading, the tab being opened)."""
    for trigger in triggers:
        trigger(hooks.refresh, hooks.inputs, hooks.outputs, show_progress="hidden")


def build_ui(services: UserServices) -> gr.Blocks:
    """The Blocks of the UI: Ask, Explore, People and Library tabs, in English or French.

    Args:
        services: the answering service of each signed-in user; every tab reads through it.

    Returns:
        The Blocks, ready for `gr.mount_gradio_app` (see `attach_gradio`).
    """
    with gr.Blocks(
        title="Kenning", analytics_enabled=False, fill_width=True,
        delete_cache=(UPLOAD_SWEEP_SECONDS, UPLOAD_MAX_AGE_SECONDS),
    ) as blocks:  # fmt: skip
        header = panel(header_html(DEFAULT), script=SWITCH_JS, elem_id="kn-header-panel")
        user = panel("", elem_id="kn-user")
        with gr.Tabs(selected="ask") as tabs:
            with gr.Tab(label("tab_ask"), id="ask", elem_id="kn-tab-ask") as ask_tab:
                ask = build_ask_tab(services)
            with gr.Tab(label("tab_explore"), id="explore",
                        elem_id="kn-tab-explore") as explore_tab:  # fmt: skip
                explore = build_explore_tab(services)
            with gr.Tab(label("tab_people"), id="people", elem_id="kn-tab-people") as people_tab:
                people = build_people_tab(services)
            with gr.Tab(label("tab_library"), id="library",
                        elem_id="kn-tab-library") as library_tab:  # fmt: skip
                library = build_library_tab(services)
        hooks = [(ask, ask_tab), (explore, explore_tab), (people.hooks, people_tab),
                 (library, library_tab)]  # fmt: skip
        person_outputs = [tabs, *people.person_outputs]
        for tab_hooks, tab in hooks:
            _wire(tab_hooks, blocks.load, tab.select)
            if tab_hooks.localise is not None:
                blocks.load(tab_hooks.localise, None, tab_hooks.localised,
                            show_progress="hidden")  # fmt: skip

        def show_person(event: gr.EventData, request: gr.Request) -> list[Any]:
            """A click on a person's name: their page, in the People tab."""
            person_id = str(getattr(event, "person", "") or "")
            return [gr.Tabs(selected="people"), *people.open_person(person_id, request)]

        for tab_hooks, _ in hooks:
            for links in tab_hooks.person_links:
                links.click(show_person, None, person_outputs, show_progress="hidden")

        def open_link(request: gr.Request) -> list[Any]:
            """`/ui/?person=ID` opens that person's page in the People tab."""
            person_id = (request.query_params.get("person") or "").strip()
            if not person_id:
                return [gr.skip(), *people.open_person("", request)]
            return [gr.Tabs(selected="people"), *people.open_person(person_id, request)]

        blocks.load(open_link, None, person_outputs, show_progress="hidden")
        blocks.load(services.signed_in_html, None, user, show_progress="hidden")

        named = [(ask_tab, "tab_ask"), (explore_tab, "tab_explore"), (people_tab, "tab_people"),
                 (library_tab, "tab_library")]  # fmt: skip

        def show_header(request: gr.Request) -> list[Any]:
            """The header, and the tabs' names, in the reader's language. Gradio names the
            tabs once, as the page is built, in the browser's language: a language chosen
            with the switch reaches them only through this update."""
            lang = language(request)
            return [header_html(lang), *(gr.Tab(label=tr(key, lang)) for _, key in named)]

        blocks.load(show_header, None, [header, *(tab for tab, _ in named)], show_progress="hidden")
    # Several people may ask at once; reads are safe to run side by side (as the API does).
    blocks.queue(default_concurrency_limit=READERS)
    return blocks


def attach_gradio(app: FastAPI, service: QAService, auth: Authenticator, path: str) -> Any:
    """Build the UI and mount it at `path` with Kenning's theme, stylesheet and upload limit;
    returns Gradio's app. Each request is authenticated through `auth` (the API's keys)."""
    limit_kb = int(service.settings.max_file_mb * 1024)
    services = UserServices(service, auth)
    gr.mount_gradio_app(
        app, build_ui(services), path=path, theme=theme(), css=CSS, head=FAVICON_LINK,
        footer_links=[], run_history=False, max_file_size=f"{limit_kb}kb",
        auth_dependency=services.user, i18n=I18N, js=locale_js(path),
    )  # fmt: skip
    return app.router.routes[-1].app
