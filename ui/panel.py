"""What each tab hands the app: how to refresh its panels from the knowledge base."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Refresh:
    """A function that recomputes a tab's panels, with the components it reads and writes.

    The app runs it when the page loads and whenever the tab is opened, so a document
    uploaded in the Library shows up everywhere without restarting anything.
    """

    fn: Callable[..., Any]
    outputs: list[Any]
    inputs: list[Any] = field(default_factory=list)
