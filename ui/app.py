"""The Gradio app: four tabs over one `QAService`, mounted on the API server at `/ui`.

Example:
    ```python
    app = create_api(kb)
    mount_ui(app, app.state.service)   # the UI at /ui, the API beside it
    ```
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from fastapi import FastAPI

from kenning.qa.service import QAService
from kenning.ui.ask import build_ask_tab
from kenning.ui.explore import build_explore_tab
from kenning.ui.library import build_library_tab
from kenning.ui.panel import Refresh
from kenning.ui.people import build_people_tab
from kenning.ui.style import CSS, theme

UI_PATH = "/ui"
HEADER = """
<div id="kn-header">
  <h1>Kenning</h1>
  <p>Answers from your organisation's own knowledge, with the passages they rest on and the
  people who know. <a href="/docs">HTTP API</a></p>
</div>"""


def _wire(refresh: Refresh, *triggers: Any) -> None:
    """Run a tab's refresh on each trigger (page load, the tab being opened, an upload)."""
    for trigger in triggers:
        trigger(refresh.fn, refresh.inputs, refresh.outputs, show_progress="hidden")


def build_ui(service: QAService) -> gr.Blocks:
    """The Blocks of the UI: Ask, Explore, People and Library tabs.

    Args:
        service: the answering service; its knowledge base backs every tab.

    Returns:
        The Blocks, ready for `gr.mount_gradio_app` (see `mount_ui`).
    """
    with gr.Blocks(title="Kenning", analytics_enabled=False) as blocks:
        gr.HTML(HEADER, js_on_load=None)
        with gr.Tabs(selected="ask") as tabs:
            with gr.Tab("Ask", id="ask", elem_id="kn-tab-ask") as ask_tab:
                ask = build_ask_tab(service)
            with gr.Tab("Explore", id="explore", elem_id="kn-tab-explore") as explore_tab:
                explore = build_explore_tab(service)
            with gr.Tab("People", id="people", elem_id="kn-tab-people") as people_tab:
                people = build_people_tab(service)
            with gr.Tab("Library", id="library", elem_id="kn-tab-library") as library_tab:
                library = build_library_tab(service)
        _wire(ask, blocks.load, ask_tab.select)
        _wire(explore, blocks.load, explore_tab.select)
        _wire(people.refresh, blocks.load, people_tab.select)
        _wire(library, blocks.load, library_tab.select)

        def open_link(request: gr.Request) -> list[Any]:
            """`/ui/?person=ID` opens that person's page in the People tab."""
            person_id = (request.query_params.get("person") or "").strip()
            if not person_id:
                return [gr.skip()] * (1 + len(people.person_outputs))
            return [gr.Tabs(selected="people"), *people.open_person(person_id)]

        blocks.load(open_link, None, [tabs, *people.person_outputs], show_progress="hidden")
    return blocks


def mount_ui(app: FastAPI, service: QAService, path: str = UI_PATH) -> FastAPI:
    """Mount the UI on an API app, with Kenning's theme, stylesheet and upload limit."""
    return gr.mount_gradio_app(
        app, build_ui(service), path=path, theme=theme(), css=CSS, footer_links=[],
        run_history=False, max_file_size=f"{int(service.settings.max_file_mb * 1024)}kb",
    )  # fmt: skip
