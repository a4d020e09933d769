"""Which hosts and pages a server answers: a Host outside `KENNING_ALLOWED_HOSTS` (loopback
names by default) is refused, redirects never spell out the Host, and writes from other sites'
pages are refused, even with no keys configured (where the local user is admin)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from security.test_ui_hardening import server_env
from support import hash_settings, served

from kenning import KnowledgeBase
from kenning.api.app import create_app
from kenning.config import Settings, load_settings
from kenning.errors import ConfigError

LISTED = "https://intranet.example"  # KENNING_CORS_ORIGINS of the server below


@pytest.fixture(scope="module")
def server(restricted_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """No API keys (the local user is admin), the default allowed hosts, one CORS origin."""
    root = tmp_path_factory.mktemp("host-rules")
    shutil.copytree(restricted_template / "kb", root / "kb")
    env = server_env(root, cors_origins=json.dumps([LISTED]))
    with served(root / "kb", env, root / "server.log") as base:
        yield base


def port(base: str) -> int:
    return int(httpx.URL(base).port or 80)


def test_the_default_hosts_are_the_loopback_names() -> None:
    default = Settings.model_fields["allowed_hosts"].default_factory()  # type: ignore[call-arg]
    assert default == ["localhost", "127.0.0.1", "[::1]"]


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "[::1]", "LocalHost"])
def test_loopback_names_are_served(server: str, name: str) -> None:
    response = httpx.get(f"{server}/healthz", headers={"Host": f"{name}:{port(server)}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "0.0.0.0", ""]
)
def test_other_hosts_are_refused(server: str, host: str) -> None:
    """A DNS-rebinding page reaches the server under its own name: refused, for the API, the
    sign-in page and the UI alike, and with its own Origin too."""
    named = {"Host": f"{host}:{port(server)}" if host else ""}
    for path in ("/healthz", "/v1/people", "/login", "/ui/", "/ui/gradio_api/info"):
        response = httpx.get(f"{server}{path}", headers=named, timeout=30)
        assert response.status_code == 400, (path, response.status_code)
        assert "KENNING_ALLOWED_HOSTS" in response.json()["error"]["message"]
    rebound = {**named, "Origin": f"http://{host}:{port(server)}"}
    response = httpx.post(f"{server}/v1/documents", headers=rebound, timeout=30,
                          files=[("files", ("planted.md", b"# Planted\n"))])  # fmt: skip
    assert response.status_code == 400


def test_redirects_are_relative(server: str) -> None:
    for host in ("evil.example", None):
        headers = {"Host": host} if host else {}
        response = httpx.get(f"{server}/ui", headers=headers, timeout=30)
        assert "evil.example" not in response.headers.get("location", "")
    ui = httpx.get(f"{server}/ui", timeout=30)
    assert ui.status_code in (302, 303, 307) and ui.headers["location"] == "/ui/"
    root = httpx.get(server, timeout=30)
    assert root.headers["location"] == "/ui/"


CROSS_SITE = [
    {"Origin": "https://evil.example"},
    {"Origin": "http://127.0.0.1:1"},  # another local port is another origin
    {"Origin": "null"},  # sandboxed frames, file: pages
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://intranet.example.evil.example"},
]


@pytest.mark.parametrize("headers", CROSS_SITE, ids=lambda h: "-".join(h.values()))
def test_writes_from_other_sites_are_refused(server: str, headers: dict[str, str]) -> None:
    """A page on another site can make the browser post a form or a file to this server; with
    no keys configured the server would take it as the admin's."""
    writes = [
        ("/v1/documents", {"files": [("files", ("planted.md", b"# Planted\nfrom a page\n"))]}),
        ("/ui/gradio_api/upload", {"files": [("files", ("planted.md", b"# Planted\n"))]}),
        ("/v1/search", {"json": {"query": "wombat"}}),
        ("/ui/gradio_api/queue/join", {"json": {"data": [], "fn_index": 0}}),
        ("/login", {"data": {"key": "x" * 20}}),
    ]
    for path, body in writes:
        response = httpx.post(f"{server}{path}", headers=headers, timeout=30, **body)
        assert response.status_code == 403, (path, response.status_code, response.text)
        error = response.json()["error"]
        assert error["type"] == "cross_site_request" and error["message"]
    deleted = httpx.delete(f"{server}/v1/documents/x", headers=headers, timeout=30)
    assert deleted.status_code == 403
    listed = httpx.get(f"{server}/v1/documents", params={"limit": 500}, timeout=30).json()
    assert "Planted" not in json.dumps(listed)


def test_own_pages_listed_origins_and_clients_without_an_origin_may_write(server: str) -> None:
    own = {"Origin": f"http://127.0.0.1:{port(server)}", "Sec-Fetch-Site": "same-origin"}
    for headers in (own, {"Origin": LISTED, "Sec-Fetch-Site": "cross-site"}, {},
                    {"Sec-Fetch-Site": "none"}):  # fmt: skip
        response = httpx.post(f"{server}/v1/search", json={"query": "wombat"}, headers=headers,
                              timeout=30)  # fmt: skip
        assert response.status_code == 200, (headers, response.text)
    listed = httpx.get(f"{server}/ui/gradio_api/info", headers={"Origin": LISTED}, timeout=30)
    assert listed.headers["access-control-allow-origin"] == LISTED
    note = ("kestrel.md", b"# Kestrel\nThe kestrel plan.\n")
    response = httpx.post(f"{server}/v1/documents", headers=own, timeout=60,
                          files=[("files", note)])  # fmt: skip
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "hosts", [["kenning.example:8000"], ["*kenning.example"], ["ken*.example"], ["a b"]]
)
def test_allowed_hosts_are_host_names_or_wildcards(hosts: list[str]) -> None:
    with pytest.raises(ConfigError, match="allowed_hosts"):
        load_settings(allowed_hosts=hosts)
    settings = load_settings(allowed_hosts=["*.corp.example", "::1", "Kenning.Example", "*"])
    assert settings.allowed_hosts == ["*.corp.example", "[::1]", "kenning.example", "*"]


@pytest.fixture
def api_kb(restricted_template: Path, tmp_path: Path) -> Iterator[KnowledgeBase]:
    shutil.copytree(restricted_template, tmp_path / "copy")
    home = tmp_path / "copy" / "kb"
    base = KnowledgeBase(home, hash_settings(home, allowed_hosts=["*.corp.example", "::1"]))
    yield base
    base.close()


def test_the_api_alone_follows_the_host_and_cross_site_rules(api_kb: KnowledgeBase) -> None:
    app = create_app(kb=api_kb, ui=False)
    with TestClient(app, base_url="http://kenning.corp.example") as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz", headers={"Host": "[::1]:8000"}).status_code == 200
        for host in ("corp.example", "evil.example", "kenning.corp.example.evil.example"):
            refused = client.get("/healthz", headers={"Host": host})
            assert refused.status_code == 400, host
            assert refused.json()["error"]["type"] == "invalid_host"
        cross = client.post("/v1/search", json={"query": "wombat"},
                            headers={"Origin": "https://evil.example"})  # fmt: skip
        assert cross.status_code == 403
        own = client.post("/v1/search", json={"query": "wombat"},
                          headers={"Origin": "https://kenning.corp.example"})  # fmt: skip
        assert own.status_code == 200
    # The address a request arrived at is accepted as its Host (a rebinding page sends a name).
    with TestClient(create_app(kb=api_kb, ui=False), base_url="http://192.0.2.1:8000") as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz", headers={"Host": "192.0.2.2:8000"}).status_code == 400
