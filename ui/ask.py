"""The Ask tab: a conversation. Each question with filters, the answer as it streams, its
sources and experts; earlier turns stay above it (kept in the browser's local storage, so the
thread survives a reload), follow-ups are asked with the thread as history, "New
conversation" starts over, and `/ui/?q=...` opens the tab with a question filled in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

import gradio as gr

from kenning.qa.service import QAService
from kenning.schema import KINDS, AskResponse, Filters
from kenning.ui.access import UserServices
from kenning.ui.catalog import build_catalog
from kenning.ui.catalogues import DEFAULT, tr
from kenning.ui.i18n import label, language
from kenning.ui.panel import TabHooks
from kenning.ui.render import (
    answer_html,
    error_note,
    esc,
    experts_html,
    message,
    sources_html,
    streaming_html,
)
from kenning.ui.style import panel

EXAMPLE_KEYS = ("example_1", "example_2", "example_3")
EXAMPLES = [tr(key) for key in EXAMPLE_KEYS]


def examples_in(lang: str = DEFAULT) -> list[list[str]]:
    """The example questions in a language, as the samples of the examples' dataset."""
    return [[tr(key, lang)] for key in EXAMPLE_KEYS]


def parse_date(text: str | None, label: str, lang: str = DEFAULT) -> str | None:
    """A `YYYY-MM-DD` date, or None when empty; ValueError naming the field otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(tr("bad_date", lang, label=label, text=repr(text))) from None


def build_filters(
    kinds: list[str] | None,
    team: str | None,
    tags: list[str] | None,
    person: str | None,
    date_from: str | None,
    date_to: str | None,
    lang: str = DEFAULT,
) -> Filters:
    """Filters from the form's values; empty fields do not restrict."""
    return Filters(
        kind=tuple(kinds or ()), tags=tuple(tags or ()), team=team or None,
        person=person or None, date_from=parse_date(date_from, tr("date_from", lang), lang),
        date_to=parse_date(date_to, tr("date_to", lang), lang),
    )  # fmt: skip


MAX_TURNS = 10  # turns kept in the browser (and sent as history: 20 messages)
THREAD_KEY = "kenning-ask-thread"


def run_question(
    service: QAService, question: str, filters: Filters, history: list[dict] | None = None,
    lang: str = DEFAULT,
) -> Iterator[tuple[str, AskResponse | None]]:
    """Answer HTML as it arrives: (partial answer, None) pieces, then (final, response)."""
    text = ""
    for event, data in service.ask_events(question, k=5, filters=filters, history=history):
        if event == "token":
            text += data
            yield streaming_html(text), None
        elif event == "answer":
            yield searched_note(question, data, lang) + answer_html(
                data.answer, data.citations, data.abstained, lang
            ), data


def searched_note(question: str, response: AskResponse, lang: str = DEFAULT) -> str:
    """"Showing results for …" when the question was corrected or made standalone."""
    shown = response.corrected_question or response.rewritten_question
    if not shown or shown == question:
        return ""
    return message(tr("showing_results", lang, question=shown))


def history_of(thread: list[dict] | None) -> list[dict]:
    """The thread's turns as the messages the service takes."""
    messages: list[dict] = []
    for turn in (thread or [])[-MAX_TURNS:]:
        messages += [{"role": "user", "content": str(turn.get("q", ""))},
                     {"role": "assistant", "content": str(turn.get("answer", ""))}]  # fmt: skip
    return messages


def thread_html(thread: list[dict] | None, lang: str = DEFAULT) -> str:
    """Earlier turns, newest last: each question, its answer, sources and who to ask."""
    if not thread:
        return ""
    parts = []
    for turn in thread:
        link = f"/ui/?q={quote(str(turn.get('standalone') or turn.get('q', '')))}"
        body = f'{turn.get("html", "")}{turn.get("sources", "")}{turn.get("experts", "")}'
        parts.append(
            f'<details class="kn-turn"><summary><b>{esc(turn.get("q", ""))}</b> '
            f'<a href="{esc(link)}" class="kn-turn-link">{esc(tr("turn_link", lang))}</a></summary>'
            + body.replace(' id="', ' data-id="')  # ids belong to the current turn only
            + "</details>"
        )
    return '<div id="kn-thread-turns">' + "".join(parts) + "</div>"


def build_ask_tab(services: UserServices) -> TabHooks:
    """Lay out the Ask tab and wire its events; call inside a `gr.Tab`."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            question = gr.Textbox(
                label=label("question"), placeholder=label("question_placeholder"), lines=1,
                max_lines=4, autofocus=True, elem_id="kn-question",
                max_length=services.settings.max_question_chars,
            )  # fmt: skip
            with gr.Row():
                ask = gr.Button(label("ask"), variant="primary", elem_id="kn-ask", scale=0,
                                min_width=120)  # fmt: skip
                gr.Markdown(label("press_enter"),
                            elem_classes="kn-hint")  # fmt: skip
            examples = gr.Examples(EXAMPLES, inputs=question, label=label("try"))
        with gr.Column(scale=2, min_width=280), gr.Accordion(label("filters"), open=False):
            kinds = gr.CheckboxGroup([(label(f"kind_{k}"), k) for k in KINDS], label=label("kind"))
            team = gr.Dropdown([(tr("any_team"), "")], label=label("team"), value="")
            tags = gr.Dropdown([], label=label("tags"), multiselect=True, value=[])
            person = gr.Dropdown([(tr("anyone"), "")], label=label("person"), value="")
            with gr.Row():
                date_from = gr.Textbox(label=label("date_from"),
                                       placeholder=label("date_placeholder"),
                                       min_width=120)  # fmt: skip
                date_to = gr.Textbox(label=label("date_to"), placeholder=label("date_placeholder"),
                                     min_width=120)  # fmt: skip
    thread = gr.BrowserState([], storage_key=THREAD_KEY)
    with gr.Row():
        thread_box = panel("", elem_id="kn-thread")
    new_conversation = gr.Button(label("new_conversation"), size="sm",
                                 elem_id="kn-new-conversation",
                                 scale=0, min_width=160)  # fmt: skip
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            answer = panel("", elem_id="kn-answer-box")  # the start notice comes on load
            with gr.Row(visible=False, elem_id="kn-feedback") as feedback_row:
                up = gr.Button(label("helpful"), size="md", elem_id="kn-helpful", min_width=140)
                down = gr.Button(label("not_helpful"), size="md", elem_id="kn-unhelpful",
                                 min_width=140)  # fmt: skip
                comment = gr.Textbox(show_label=False, placeholder=label("comment_placeholder"),
                                     container=False, scale=2, label=label("comment"))  # fmt: skip
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
        thread_: list[dict] | None,
        request: gr.Request,
    ) -> Iterator[Any]:
        hidden = gr.Row(visible=False)
        no_thanks = gr.HTML(visible=False)
        service = services(request)
        lang = language(request)
        turns = list(thread_ or [])[-MAX_TURNS:]
        earlier = thread_html(turns, lang)
        try:
            question_ = service.validate_question(text)
            filters = build_filters(kinds_, team_, tags_, person_, from_, to_, lang)
            yield (message(tr("searching", lang)), "", "", hidden, no_thanks, "",
                   earlier, turns)  # fmt: skip
            history = history_of(turns)
            for html, response in run_question(service, question_, filters, history, lang):
                if response is None:
                    yield html, "", "", hidden, no_thanks, question_, earlier, turns
                    continue
                cited = sources_html(response.citations, question_, lang)
                people = experts_html(response.experts, lang=lang)
                turn = {"q": question_, "answer": response.answer, "html": html,
                        "sources": cited, "experts": people,
                        "standalone": response.rewritten_question or question_}  # fmt: skip
                yield (html, cited, people, gr.Row(visible=True), no_thanks, question_, earlier,
                       [*turns, turn][-MAX_TURNS:])  # fmt: skip
        except ValueError as exc:
            yield error_note(exc, lang), "", "", hidden, no_thanks, "", earlier, turns

    outputs = [answer, sources, experts, feedback_row, thanks, asked, thread_box, thread]
    inputs = [question, kinds, team, tags, person, date_from, date_to, thread]
    gr.on([ask.click, question.submit], on_ask, inputs, outputs, show_progress="minimal")

    def on_new_conversation(request: gr.Request) -> list[Any]:
        start = message(tr("ask_start", language(request)))
        return [[], "", start, "", "", gr.Row(visible=False), ""]

    new_conversation.click(
        on_new_conversation, [], [thread, thread_box, answer, sources, experts, feedback_row,
                                  question],
    )  # fmt: skip

    def on_feedback(helpful: bool) -> Any:
        def store(question_: str, note: str, request: gr.Request) -> tuple[Any, Any, str]:
            lang = language(request)
            if not question_:
                shown = gr.HTML(message(tr("ask_first", lang), "error"), visible=True)
                return shown, gr.Row(visible=False), note
            services(request).reader.add_feedback(question_, helpful, (note or "").strip())
            shown = gr.HTML(message(tr("thanks", lang)), visible=True)
            return shown, gr.Row(visible=False), ""

        return store

    up.click(on_feedback(True), [asked, comment], [thanks, feedback_row, comment])
    down.click(on_feedback(False), [asked, comment], [thanks, feedback_row, comment])

    def on_refresh(thread_: list[dict] | None, shown: str | None,
                   request: gr.Request) -> list[Any]:  # fmt: skip
        found = build_catalog(services(request))
        lang = language(request)
        shared = (request.query_params.get("q") or "").strip() if request else ""
        limit = services.settings.max_question_chars
        return [gr.Dropdown(choices=[(tr("any_team", lang), "")] + [(t, t) for t in found.teams]),
                gr.Dropdown(choices=found.tags),
                gr.Dropdown(choices=[(tr("anyone", lang), "")] + found.people),
                thread_html(thread_, lang),
                shared[:limit] if shared else gr.skip(),
                gr.skip() if shown else message(tr("ask_start", lang))]  # fmt: skip

    def on_load(request: gr.Request) -> Any:
        """The example questions in the reader's language."""
        return gr.Dataset(samples=examples_in(language(request)))

    return TabHooks(on_refresh, [team, tags, person, thread_box, question, answer],
                    inputs=[thread, answer], person_links=[experts, thread_box],
                    localise=on_load, localised=[examples.dataset])  # fmt: skip
