"""`kenning serve` as a real server: uvicorn in a subprocess on a free loopback port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support import GOOD, served


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("served")
    env = {**os.environ, "KENNING_EMBEDDING_MODEL": "hash", "KENNING_GIT_HISTORY": "false",
           "KENNING_ABSTAIN_THRESHOLD": "0.05",
           "KENNING_MAX_QUESTION_CHARS": "20000"}  # the LLM-path test sends whole prompts
    subprocess.run([sys.executable, "-m", "kenning", "ingest", str(GOOD), "--kb", str(home)],
                   env=env, check=True, capture_output=True)  # fmt: skip
    with served(home, env, home / "server.log") as base:
        yield base


def test_ask_over_http(server: str) -> None:
    reply = httpx.post(f"{server}/v1/ask", json={"question": "What did Bob say about pelican?"},
                       timeout=30).json()  # fmt: skip
    assert reply["citations"] and reply["experts"][0]["name"] == "Bob Stone"


def test_stream_over_http(server: str) -> None:
    with httpx.stream("POST", f"{server}/v1/ask", json={"question": "wombat", "stream": True},
                      timeout=30) as response:  # fmt: skip
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert "citations" in json.loads(lines[-1][6:])


def test_upload_then_search_over_http(server: str, tmp_path: Path) -> None:
    note = tmp_path / "osprey.md"
    note.write_text("# Osprey rollout\nThe osprey rollout starts in week 12.\n")
    with note.open("rb") as handle:
        report = httpx.post(f"{server}/v1/documents", files={"files": handle}, timeout=60).json()
    assert report["counts"]["added"] == 1
    hits = httpx.post(f"{server}/v1/search", json={"query": "osprey rollout"}, timeout=30)
    assert hits.json()["hits"][0]["title"] == "Osprey rollout"


def test_root_redirects_to_docs(server: str) -> None:
    response = httpx.get(server, follow_redirects=False, timeout=10)
    assert response.status_code in (302, 307)


def test_llm_answerer_through_an_openai_compatible_server(server: str, good_kb) -> None:
    """LangChain's init_chat_model + ChatOpenAI against a real OpenAI-compatible server:
    here another Kenning's /v1/chat/completions, on loopback."""
    kb, _ = good_kb
    kb.settings.llm = "openai:kenning"
    kb.settings.llm_base_url = f"{server}/v1"
    kb.settings.abstain_threshold = 0.05
    response = kb.ask("Why did the wombat batch job fail?", answerer="llm")
    assert response.answerer == "llm"
    assert response.citations and not response.abstained
    markers = {int(n) for n in __import__("re").findall(r"\[(\d+)\]", response.answer)}
    assert markers == {c.n for c in response.citations}


def test_the_api_answers_while_the_ui_starts(tmp_path: Path) -> None:
    """`kenning serve` builds the UI after the server starts: until then /ui answers 503 with
    a page that reloads itself, and the API already answers; then the real UI replaces it."""
    import time

    from fastapi.testclient import TestClient

    from kenning.api.app import create_app
    from kenning.config import load_settings

    settings = load_settings(home=tmp_path / "kb", embedding_model="hash", git_history=False)
    app = create_app(settings, ui_in_background=True)
    app.state.kb.ingest([GOOD])
    client = TestClient(app)  # no lifespan yet: the server has not started
    waiting = client.get("/ui/")
    assert waiting.status_code == 503 and waiting.headers["retry-after"] == "2"
    assert 'http-equiv="refresh"' in waiting.text and "starting" in waiting.text
    assert client.post("/v1/search", json={"query": "wombat"}).json()["hits"]
    with TestClient(app) as started:  # start-up runs: the UI is built in a thread
        deadline = time.time() + 120
        while (page := started.get("/ui/")).status_code == 503 and time.time() < deadline:
            time.sleep(0.2)
        assert page.status_code == 200 and "gradio" in page.text.lower()
        config = started.get("/ui/config").json()
        assert config["title"] == "Kenning"
