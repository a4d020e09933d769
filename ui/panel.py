"""What each tab hands the app: how to refresh it, and which of its panels link to people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr


@dataclass
class TabHooks:
    """A tab's refresh function with the components it reads and writes, and its people links.

    The app runs `refresh` when the page loads and whenever the tab is opened, so a document
    uploaded in the Library shows up everywhere without restarting anything. A click on a
    person's name in any of `person_links` opens that person's page in the People tab.
    `localise`, when given, runs once as the page loads and puts the words Gradio cannot
    translate in the browser (table headings, example questions) into the reader's language,
    in the components `localised`.
    """

    refresh: Callable[..., Any]
    outputs: list[Any]
    inputs: list[Any] = field(default_factory=list)
    person_links: list[gr.HTML] = field(default_factory=list)
    localise: Callable[..., Any] | None = None
    localised: list[Any] = field(default_factory=list)
