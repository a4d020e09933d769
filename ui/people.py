"""The People tab: find who knows a topic, the directory, and each person's page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from kenning.qa.service import QAService
from kenning.ui import catalog
from kenning.ui.access import UserServices
from kenning.ui.catalogues import DEFAULT, tr
from kenning.ui.i18n import label, language
from kenning.ui.pages import directory_html, person_html
from kenning.ui.panel import TabHooks
from kenning.ui.render import EXPERTS_SHOWN, error_note, experts_html, message
from kenning.ui.style import panel


@dataclass
class PeopleTab:
    """The tab's refresh, and how to open one person's page (for `/ui/?person=ID`)."""

    hooks: TabHooks
    open_person: Callable[[str, gr.Request], list[Any]]
    person_outputs: list[Any]


def find_people(service: QAService, topic: str, lang: str = DEFAULT) -> str:
    """Cards for the people who know most about a topic, or a notice saying what is wrong."""
    try:
        experts = service.experts(topic, k=EXPERTS_SHOWN)
    except ValueError as exc:
        return error_note(exc, lang)
    return experts_html(experts, tr("who_knows", lang, topic=topic.strip()), lang=lang)


def person_page(service: QAService, person_id: str) -> dict[str, Any] | None:
    """A person's page as the user may see it (`catalog.person_profile`, read through the
    user's `ScopedReader`), with the date they were last active in a readable document."""
    profile = catalog.person_profile(service, person_id)
    if profile is None:
        return None
    dates = [row["updated"] for row in [*profile["owned"], *profile["meetings"]]
             if row.get("updated")]  # fmt: skip
    return {**profile, "last_active": max(dates, default=None)}


def build_people_tab(services: UserServices) -> PeopleTab:
    """Lay out the People tab and wire its events; call inside a `gr.Tab`."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=300):
            topic = gr.Textbox(
                label=label("find_people_by_topic"), placeholder=label("topic_placeholder"),
                elem_id="kn-topic",
            )  # fmt: skip
            find = gr.Button(label("find_people"), variant="primary", elem_id="kn-find")
            found = panel("", elem_id="kn-found", person_links=True)
            directory = panel("", elem_id="kn-directory", person_links=True)
        with gr.Column(scale=3, min_width=360):
            person = gr.Dropdown([(tr("choose_a_person"), "")], value="", label=label("person"),
                                 elem_id="kn-person")  # fmt: skip
            page = panel(person_html(None), elem_id="kn-person-page")

    def on_find(text: str, request: gr.Request) -> str:
        return find_people(services(request), text, language(request))

    gr.on([find.click, topic.submit], on_find, topic, found, show_progress="minimal")

    def on_person(person_id: str | None, request: gr.Request) -> str:
        lang = language(request)
        if not person_id:
            return person_html(None, lang)
        profile = person_page(services(request), person_id)
        return person_html(profile, lang) if profile else message(tr("no_such_person", lang),
                                                                   "error")  # fmt: skip

    person.change(on_person, person, page)

    def choices(service: QAService, lang: str) -> list[tuple[str, str]]:
        return [(tr("choose_a_person", lang), "")] + catalog.build_catalog(service).people

    def on_refresh(request: gr.Request) -> list[Any]:
        service = services(request)
        lang = language(request)
        return [gr.Dropdown(choices=choices(service, lang)),
                directory_html(service.reader.people(), lang)]  # fmt: skip

    def open_person(person_id: str, request: gr.Request) -> list[Any]:
        """The person's page; with no id, the page's starting notice (in the reader's
        language), the choice left as it is."""
        lang = language(request)
        if not person_id:
            return [gr.skip(), person_html(None, lang)]
        service = services(request)
        if person_page(service, person_id) is None:
            return [gr.Dropdown(choices=choices(service, lang), value=""),
                    message(tr("no_person_with_id", lang, id=person_id), "error")]  # fmt: skip
        return [gr.Dropdown(choices=choices(service, lang), value=person_id),
                on_person(person_id, request)]  # fmt: skip

    hooks = TabHooks(on_refresh, [person, directory], person_links=[found, directory])
    return PeopleTab(hooks, open_person, [person, page])
