"""The MCP server, driven by the `mcp` SDK's own client: over stdio (`kenning mcp`) and over
streamable HTTP at `/mcp` on a real server on loopback, with the API's keys and groups."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from security.restricted import (
    API_KEYS,
    FINANCE_MARKER,
    FINANCE_TITLE,
    HR_MARKER,
    KEYS,
    SECRET_OWNER,
    add_restricted,
)
from support import GOOD, ROOT, free_port, hash_settings

from kenning import KnowledgeBase
from kenning.api.app import create_app

TOOLS = {"search", "ask", "experts", "get_document"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The good fixtures plus restricted documents, ingested (hashing embedder)."""
    root = tmp_path_factory.mktemp("mcp-kb")
    corpus = root / "corpus"
    shutil.copytree(GOOD, corpus)
    add_restricted(corpus)
    with KnowledgeBase(root / "kb", hash_settings(root / "kb")) as base:
        assert not base.ingest([corpus]).failed
    return root / "kb"


@pytest.fixture(scope="module")
def finance_id(home: Path) -> str:
    with KnowledgeBase(home, hash_settings(home)) as base:
        hits = base.search(f"Project {FINANCE_MARKER} acquisition", k=10)
    return next(h.document_id for h in hits if h.title == FINANCE_TITLE)


@contextmanager
def serving(home: Path) -> Iterator[str]:
    """The API (no UI) over the knowledge base, with the test keys, on a loopback port."""
    settings = hash_settings(home, api_keys=API_KEYS, abstain_threshold=0.05)
    kb = KnowledgeBase(home, settings)
    port = free_port()
    config = uvicorn.Config(create_app(kb=kb, ui=False), host="127.0.0.1", port=port,
                            log_level="warning")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        kb.close()


@pytest.fixture(scope="module")
def base_url(home: Path) -> Iterator[str]:
    with serving(home) as url:
        yield url


def http_client(base_url: str, who: str) -> Client:
    key = {"Authorization": f"Bearer {KEYS[who]}"}
    http = httpx2.AsyncClient(headers=key, timeout=60)
    return Client(streamable_http_client(f"{base_url}/mcp", http_client=http))


async def _session(client: Client, finance_id: str) -> dict[str, Any]:
    """What one caller sees: tools, search, ask, experts, the finance document, resources."""
    seen: dict[str, Any] = {}
    async with client:
        seen["tools"] = {tool.name: tool for tool in (await client.list_tools()).tools}
        query = f"Project {FINANCE_MARKER} acquisition price"
        result = await client.call_tool("search", {"query": query, "k": 10})
        seen["search"] = result.structured_content["hits"]
        result = await client.call_tool("ask", {"question": f"What did the board approve for "
                                                            f"{FINANCE_MARKER}?"})  # fmt: skip
        seen["ask"] = result.structured_content
        result = await client.call_tool("experts", {"topic": query})
        seen["experts"] = result.structured_content["experts"]
        seen["document"] = await client.call_tool("get_document", {"document_id": finance_id})
        listed = await client.list_resources()
        seen["resources"] = {str(r.uri) for r in listed.resources}
        uri = f"kenning://documents/{finance_id}"
        try:
            contents = (await client.read_resource(uri)).contents
            seen["resource"] = contents[0].text
        except Exception as exc:  # noqa: BLE001 (the SDK raises the server's error)
            seen["resource"] = exc
        result = await client.call_tool("search", {"query": f"{HR_MARKER} review", "k": 10})
        seen["hr"] = result.structured_content["hits"]
    return seen


def _texts(seen: dict[str, Any]) -> str:
    """What the server told the caller (not the caller's own question echoed back)."""
    shown = {k: v for k, v in seen.items() if k not in ("tools", "ask")}
    shown["ask"] = {k: seen["ask"][k] for k in ("answer", "citations", "experts")}
    return repr(shown)


def test_stdio_serves_every_tool_to_the_local_user(home: Path, finance_id: str) -> None:
    env = {**os.environ, "KENNING_EMBEDDING_MODEL": "hash", "KENNING_GIT_HISTORY": "false"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "kenning", "mcp", "--kb",
                                   str(home)], env=env, cwd=str(ROOT))  # fmt: skip
    seen = asyncio.run(_session(Client(params), finance_id))

    assert set(seen["tools"]) == TOOLS
    for tool in seen["tools"].values():
        assert tool.description and tool.input_schema["properties"]
    assert seen["tools"]["search"].input_schema["properties"]["k"]["maximum"] == 50
    # Whoever runs `kenning mcp` holds the files: every document is theirs to read.
    assert any(h["title"] == FINANCE_TITLE for h in seen["search"])
    assert seen["ask"]["citations"] and not seen["ask"]["abstained"]
    assert "[1]" in seen["ask"]["answer"]
    assert any(e["name"] == SECRET_OWNER for e in seen["experts"])
    assert not seen["document"].is_error
    assert seen["document"].structured_content["title"] == FINANCE_TITLE
    assert f"kenning://documents/{finance_id}" in seen["resources"]
    assert FINANCE_MARKER in seen["resource"] and seen["resource"].startswith(f"# {FINANCE_TITLE}")


def test_http_with_the_groups_key_sees_the_restricted_document(
    base_url: str, finance_id: str
) -> None:
    seen = asyncio.run(_session(http_client(base_url, "finance"), finance_id))

    assert set(seen["tools"]) == TOOLS
    assert any(h["title"] == FINANCE_TITLE for h in seen["search"])
    assert any(e["name"] == SECRET_OWNER for e in seen["experts"])
    assert seen["document"].structured_content["title"] == FINANCE_TITLE
    assert f"kenning://documents/{finance_id}" in seen["resources"]
    assert FINANCE_MARKER in seen["resource"]
    assert not any(HR_MARKER in h["text"] for h in seen["hr"])  # finance, not hr


@pytest.mark.parametrize("who", ["public", "nogroups"])
def test_http_restricted_key_sees_nothing_it_may_not(
    base_url: str, finance_id: str, who: str
) -> None:
    seen = asyncio.run(_session(http_client(base_url, who), finance_id))

    assert set(seen["tools"]) == TOOLS
    assert seen["document"].is_error
    assert "no document" in seen["document"].content[0].text
    assert isinstance(seen["resource"], Exception)
    assert f"kenning://documents/{finance_id}" not in seen["resources"]
    assert seen["resources"]  # the public documents are listed
    everything = _texts(seen)
    for secret in (FINANCE_MARKER, HR_MARKER, SECRET_OWNER, FINANCE_TITLE):
        assert secret not in everything


def test_http_without_a_key_is_refused_before_mcp(base_url: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    for headers in ({}, {"Authorization": "Bearer not-a-key"}):
        response = httpx.post(f"{base_url}/mcp", json=body, headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["type"] == "AuthenticationError"


def test_the_server_starts_without_importing_the_mcp_sdk(home: Path) -> None:
    """The MCP SDK (half a second to import) is loaded by the first `/mcp` request, not at
    start: a served app has not imported it."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from kenning.api.app import create_app\n"
        "from kenning.kb import KnowledgeBase\n"
        "from kenning.config import load_settings\n"
        f"kb = KnowledgeBase({str(home)!r}, load_settings(home={str(home)!r}, "
        "embedding_model='hash', git_history=False))\n"
        "create_app(kb=kb, ui=False)\n"
        "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith('mcp.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, check=True)  # fmt: skip
    assert result.stdout.strip() == "[]", result.stdout
