"""The People tab: find who knows a topic, the directory, and each person's page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from kenning.qa.service import QAService
from kenning.ui import catalog
from kenning.ui.pages import directory_html, person_html
from kenning.ui.panel import TabHooks
from kenning.ui.render import experts_html, message
from kenning.ui.style import panel

EXPERTS_SHOWN = 6


@dataclass
class PeopleTab:
    """The tab's refresh, and how to open one person's page (for `/ui/?person=ID`)."""

    hooks: TabHooks
    open_person: Callable[[str], list[Any]]
    person_outputs: list[Any]


def find_people(service: QAService, topic: str) -> str:
    """Cards for the people who know most about a topic, or a notice saying what is wrong."""
    try:
        experts = service.experts(topic, k=EXPERTS_SHOWN)
    except ValueError as exc:
        return message(str(exc), "error")
    return experts_html(experts, f"Who knows about “{topic.strip()}”")


def build_people_tab(service: QAService) -> PeopleTab:
    """Lay out the People tab and wire its events; call inside a `gr.Tab`."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=300):
            topic = gr.Textbox(
                label="Find people by topic", placeholder="e.g. Kafka consumer lag",
                elem_id="kn-topic",
            )  # fmt: skip
            find = gr.Button("Find people", variant="primary", elem_id="kn-find")
            found = panel("", elem_id="kn-found", person_links=True)
            directory = panel("", elem_id="kn-directory", person_links=True)
        with gr.Column(scale=3, min_width=360):
            person = gr.Dropdown([("Choose a person", "")], value="", label="Person",
                                 elem_id="kn-person")  # fmt: skip
            page = panel(person_html(None), elem_id="kn-person-page")

    def on_find(text: str) -> str:
        return find_people(service, text)

    gr.on([find.click, topic.submit], on_find, topic, found, show_progress="minimal")

    def on_person(person_id: str | None) -> str:
        if not person_id:
            return person_html(None)
        profile = catalog.person_profile(service.kb, person_id)
        return person_html(profile) if profile else message("No such person.", "error")

    person.change(on_person, person, page)

    def choices() -> list[tuple[str, str]]:
        return [("Choose a person", "")] + catalog.build_catalog(service.kb).people

    def on_refresh() -> list[Any]:
        return [gr.Dropdown(choices=choices()),
                directory_html(service.kb.store.people_with_counts())]  # fmt: skip

    def open_person(person_id: str) -> list[Any]:
        if service.kb.store.person(person_id) is None:
            return [gr.Dropdown(choices=choices(), value=""),
                    message(f"No person with id “{person_id}”.", "error")]  # fmt: skip
        return [gr.Dropdown(choices=choices(), value=person_id), on_person(person_id)]

    hooks = TabHooks(on_refresh, [person, directory], person_links=[found, directory])
    return PeopleTab(hooks, open_person, [person, page])
