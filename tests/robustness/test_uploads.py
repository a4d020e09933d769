"""Uploads: size limits (per file and per request, even without a declared length), an
allow-list of types, safe file names, and nothing already stored lost on a bad upload."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kenning.api.app import create_app


@pytest.fixture
def client(good_kb):
    kb, _ = good_kb
    kb.settings.max_file_mb = 0.05  # 50 KB: big enough for notes, small for the tests
    kb.settings.max_upload_files = 3
    with TestClient(create_app(kb=kb, ui=False)) as test_client:
        yield test_client, kb


def _statuses(report: dict) -> dict[str, tuple[str, str]]:
    return {Path(f["path"]).name: (f["status"], f.get("reason") or "") for f in report["files"]}


def test_names_are_made_safe_and_types_allow_listed(client) -> None:
    api, kb = client
    before = kb.stats()["documents"]
    files = [
        ("files", ("../../../etc/cron.d/evil.md", b"# Evil\nThe walrus protocol.\n", "text/plain")),
        ("files", ("script.sh", b"#!/bin/sh\nrm -rf /\n", "text/x-sh")),
        ("files", ("..", b"# Dots\n", "text/plain")),
    ]  # fmt: skip
    response = api.post("/v1/documents", files=files)
    assert response.status_code == 200, response.text
    statuses = _statuses(response.json())
    assert statuses["evil.md"][0] == "added"
    assert statuses["script.sh"][0] == "failed" and "not accepted" in statuses["script.sh"][1]
    assert statuses[".."][0] == "failed" and "unusable file name" in statuses[".."][1]
    uploads = Path(kb.settings.home) / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == ["evil.md"], "only the safe file lands"
    assert kb.stats()["documents"] == before + 1
    assert not (Path("/etc/cron.d/evil.md")).exists()


def test_a_file_over_the_limit_is_refused_and_the_rest_kept(client) -> None:
    api, kb = client
    files = [
        ("files", ("big.txt", b"word " * 20_000, "text/plain")),  # 100 KB > 50 KB
        ("files", ("small.md", b"# Small\nThe narwhal rota.\n", "text/markdown")),
    ]  # fmt: skip
    statuses = _statuses(api.post("/v1/documents", files=files).json())
    assert statuses["big.txt"][0] == "failed" and "limit" in statuses["big.txt"][1]
    assert statuses["small.md"][0] == "added"
    assert any("narwhal" in h.text for h in kb.search("narwhal rota"))


def test_too_many_files_and_oversized_bodies_get_clear_errors(client) -> None:
    api, kb = client
    before = kb.stats()
    many = [("files", (f"n{i}.md", b"# N\ntext\n", "text/markdown")) for i in range(4)]
    response = api.post("/v1/documents", files=many)
    assert response.status_code == 422 and "at most 3" in response.json()["error"]["message"]

    # Declared too large: refused before the body is read.
    huge = [("files", ("huge.txt", b"x" * (1 << 20), "text/plain"))]
    response = api.post("/v1/documents", files=huge)
    assert response.status_code == 413, response.text
    assert "limit" in response.json()["error"]["message"]

    # No declared length (chunked): stopped while streaming.
    def stream():
        for _ in range(40):
            yield b"y" * 65536

    response = api.post(
        "/v1/search", content=stream(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert kb.stats() == before, "a refused upload must not change what is stored"
