"""Locust users for `python -m kenning.bench.load`: people asking questions and searching.

Questions come from the file named by KENNING_LOAD_QUESTIONS (one per line); an API key, if
the server needs one, from KENNING_LOAD_API_KEY.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from locust import HttpUser, between, task

QUESTIONS = [
    line.strip()
    for line in Path(os.environ["KENNING_LOAD_QUESTIONS"]).read_text("utf-8").splitlines()
    if line.strip()
]
HEADERS = (
    {"Authorization": f"Bearer {os.environ['KENNING_LOAD_API_KEY']}"}
    if os.environ.get("KENNING_LOAD_API_KEY")
    else {}
)


class Employee(HttpUser):
    """Asks a question, reads, sometimes searches instead."""

    wait_time = between(0.5, 2.0)

    @task(3)
    def ask(self) -> None:
        self.client.post(
            "/v1/ask", json={"question": random.choice(QUESTIONS)}, headers=HEADERS,
            name="/v1/ask",
        )  # fmt: skip

    @task(1)
    def search(self) -> None:
        self.client.post(
            "/v1/search", json={"query": random.choice(QUESTIONS), "k": 5}, headers=HEADERS,
            name="/v1/search",
        )  # fmt: skip
