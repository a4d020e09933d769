"""The Ask tab: a question with filters, the answer as it streams, its sources and experts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import gradio as gr

from kenning.qa.service import QAService
from kenning.schema import KINDS, AskResponse, Filters
from kenning.ui.access import UserServices
from kenning.ui.catalog import build_catalog
from kenning.ui.panel import TabHooks
from kenning.ui.render import answer_html, experts_html, message, sources_html, streaming_html
from kenning.ui.style import panel

EXAMPLES = [
    "What did Amara say about the solver's memory use?",
    "How do we fail over the payments database?",
    "What caused customers to be charged twice?",
]


def parse_date(text: str | None, label: str) -> str | None:
    """A `YYYY-MM-DD` date, or None when empty; ValueError naming the field otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"{label} must be a date like 2026-03-31, not {text!r}") from None


def build_filters(
    kinds: list[str] | None,
    team: str | None,
    tags: list[str] | None,
    person: str | None,
    date_from: str | None,
    date_to: str | None,
) -> Filters:
    """Filters from the form's values; empty fields do not restrict."""
    return Filters(
        kind=tuple(kinds or ()), tags=tuple(tags or ()), team=team or None,
        person=person or None, date_from=parse_date(date_from, "From"),
        date_to=parse_date(date_to, "To"),
    )  # fmt: skip


def run_question(
    service: QAService, question: str, filters: Filters
) -> Iterator[tuple[str, AskResponse | None]]:
    """Answer HTML as it arrives: (partial answer, None) pieces, then (final, response)."""
    text = ""
    for event, data in service.ask_events(question, k=5, filters=filters):
        if event == "token":
            text += data
            yield streaming_html(text), None
        elif event == "answer":
            yield answer_html(data.answer, data.citations, data.abstained), data


def build_ask_tab(services: UserServices) -> TabHooks:
    """Lay out the Ask tab and wire its events; call inside a `gr.Tab`."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            question = gr.Textbox(
                label="Question", placeholder="Ask anything, e.g. " + EXAMPLES[0], lines=1,
                max_lines=4, autofocus=True, elem_id="kn-question",
                max_length=services.settings.max_question_chars,
            )  # fmt: skip
            with gr.Row():
                ask = gr.Button("Ask", variant="primary", elem_id="kn-ask", scale=0,
                                min_width=120)  # fmt: skip
                gr.Markdown("Press Enter to ask.",
                            elem_classes="kn-hint")  # fmt: skip
            gr.Examples(EXAMPLES, inputs=question, label="Try")
        with gr.Column(scale=2, min_width=280), gr.Accordion("Filters", open=False):
            kinds = gr.CheckboxGroup(list(KINDS), label="Kind")
            team = gr.Dropdown([("Any team", "")], label="Team", value="")
            tags = gr.Dropdown([], label="Tags", multiselect=True, value=[])
            person = gr.Dropdown([("Anyone", "")], label="Person", value="")
            with gr.Row():
                date_from = gr.Textbox(label="From", placeholder="YYYY-MM-DD", min_width=120)
                date_to = gr.Textbox(label="To", placeholder="YYYY-MM-DD", min_width=120)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            answer = panel(message("Ask a question to see an answer with its sources."),
                             elem_id="kn-answer-box")  # fmt: skip
            with gr.Row(visible=False, elem_id="kn-feedback") as feedback_row:
                up = gr.Button("Helpful answer", size="md", elem_id="kn-helpful", min_width=140)
                down = gr.Button("Not helpful", size="md", elem_id="kn-unhelpful", min_width=140)
                comment = gr.Textbox(show_label=False, placeholder="Optional comment on the answer",
                                     container=False, scale=2, label="Comment")  # fmt: skip
            thanks = panel("", visible=False)
            sources = panel("", elem_id="kn-sources")
        with gr.Column(scale=2, min_width=280):
            experts = panel("", elem_id="kn-experts", person_links=True)
    asked = gr.State("")

    def on_ask(
        text: str,
        kinds_: list[str] | None,
        team_: str | None,
        tags_: list[str] | None,
        person_: str | None,
        from_: str | None,
        to_: str | None,
        request: gr.Request,
    ) -> Iterator[Any]:
        hidden = gr.Row(visible=False)
        no_thanks = gr.HTML(visible=False)
        service = services(request)
        try:
            question_ = service.validate_question(text)
            filters = build_filters(kinds_, team_, tags_, person_, from_, to_)
            yield message("Searching the knowledge base…"), "", "", hidden, no_thanks, ""
            for html, response in run_question(service, question_, filters):
                if response is None:
                    yield html, "", "", hidden, no_thanks, question_
                    continue
                cited = sources_html(response.citations, question_)
                people = experts_html(response.experts)
                yield html, cited, people, gr.Row(visible=True), no_thanks, question_
        except ValueError as exc:
            yield message(str(exc), "error"), "", "", hidden, no_thanks, ""

    outputs = [answer, sources, experts, feedback_row, thanks, asked]
    inputs = [question, kinds, team, tags, person, date_from, date_to]
    gr.on([ask.click, question.submit], on_ask, inputs, outputs, show_progress="minimal")

    def on_feedback(helpful: bool) -> Any:
        def store(question_: str, note: str, request: gr.Request) -> tuple[Any, Any, str]:
            if not question_:
                shown = gr.HTML(message("Ask a question first.", "error"), visible=True)
                return shown, gr.Row(visible=False), note
            services(request).add_feedback(question_, helpful, (note or "").strip())
            shown = gr.HTML(message("Thanks, your feedback was recorded."), visible=True)
            return shown, gr.Row(visible=False), ""

        return store

    up.click(on_feedback(True), [asked, comment], [thanks, feedback_row, comment])
    down.click(on_feedback(False), [asked, comment], [thanks, feedback_row, comment])

    def on_refresh(request: gr.Request) -> list[Any]:
        found = build_catalog(services(request))
        return [gr.Dropdown(choices=[("Any team", "")] + [(t, t) for t in found.teams]),
                gr.Dropdown(choices=found.tags),
                gr.Dropdown(choices=[("Anyone", "")] + found.people)]  # fmt: skip

    return TabHooks(on_refresh, [team, tags, person], person_links=[experts])
