"""The UI's routes get the API's rules: uploads need an admin key and are checked before any
body is read, JSON bodies are capped, temporary uploads are cleaned up, and Gradio sends no CORS
headers of its own. A real `kenning serve` on loopback, with API keys."""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from security.restricted import API_KEYS, KEYS
from support import served

# A non-admin key with no groups at all (reads only documents without groups).
EMPTY_KEY = "empty-groups-key-0123456789abcdef"
SERVER_KEYS = [*API_KEYS, {"key": EMPTY_KEY, "name": "empty", "groups": []}]
NON_ADMIN = {"public": KEYS["public"], "empty": EMPTY_KEY}  # one group, no groups
ADMIN = KEYS["admin"]
OTHER_HOST = "kenning.corp.example"  # an allowed name other than loopback
MAX_FILE_MB = 3  # with one file per upload: an upload limit of 3 MB (and a bit)
UI_UPLOAD = "/ui/gradio_api/upload"


@dataclass
class Server:
    base: str
    uploads: Path  # Gradio's temporary folder (GRADIO_TEMP_DIR)

    def host(self) -> str:
        return httpx.URL(self.base).netloc.decode()


def server_env(root: Path, **settings: str) -> dict[str, str]:
    """The environment of a `kenning serve` over the restricted corpus (hashing embedder)."""
    env = {**os.environ, "KENNING_GIT_HISTORY": "false", "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", "DO_NOT_TRACK": "true",
           "KENNING_EMBEDDING_MODEL": "hash",
           "GRADIO_TEMP_DIR": str(root / "gradio-tmp")}  # fmt: skip
    for name in ("KENNING_API_KEYS", "KENNING_CORS_ORIGINS", "KENNING_ALLOWED_HOSTS"):
        env.pop(name, None)
    env.update({f"KENNING_{name.upper()}": value for name, value in settings.items()})
    return env


@pytest.fixture(scope="module")
def server(restricted_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Keys (admin, one group, no groups), a small upload limit, no CORS origins, and one
    allowed host name beside loopback."""
    root = tmp_path_factory.mktemp("ui-hardening")
    shutil.copytree(restricted_template / "kb", root / "kb")
    env = server_env(
        root, api_keys=json.dumps(SERVER_KEYS), max_file_mb=str(MAX_FILE_MB),
        max_upload_files="1",
        allowed_hosts=json.dumps(["localhost", "127.0.0.1", "[::1]", OTHER_HOST]),
    )  # fmt: skip
    with served(root / "kb", env, root / "server.log") as base:
        yield Server(base, root / "gradio-tmp")


def cookie(key: str) -> dict[str, str]:
    return {"kenning_key": key}


def stored_files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


BOUNDARY = "kenningboundary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
FILE_PART = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="big.md"'
             '\r\nContent-Type: text/markdown\r\n\r\n# Big\n').encode()  # fmt: skip


def early_answer(
    server: Server, path: str, headers: dict[str, str], declared: int, sent: int = 65536
) -> int | None:
    """POST a body declared `declared` bytes long but send only its first `sent` bytes (a file
    part's start for a multipart body): the status the server answers before the rest
    arrives, or None when it waits for more."""
    url = httpx.URL(server.base)
    lines = [f"POST {path} HTTP/1.1", f"Host: {server.host()}", f"Content-Length: {declared}",
             *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
    start = FILE_PART if "multipart" in headers.get("Content-Type", "") else b'{"data": ["'
    with socket.create_connection((url.host, url.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + start + b"x" * sent)
        sock.settimeout(5)
        try:
            reply = sock.recv(4096)
        except TimeoutError:
            return None
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else None



@pytest.mark.parametrize("who", sorted(NON_ADMIN))
def test_a_non_admin_cannot_upload_files_to_the_ui(server: Server, who: str) -> None:
    before = stored_files(server.uploads)
    response = httpx.post(
        f"{server.base}{UI_UPLOAD}", cookies=cookie(NON_ADMIN[who]), timeout=30,
        files=[("files", ("note.md", b"# A note\nplanted on the server\n", "text/markdown"))],
    )  # fmt: skip
    assert response.status_code == 403, response.text
    assert response.json()["error"]["type"] == "ForbiddenError"
    assert stored_files(server.uploads) == before


def test_an_admin_uploads_to_the_ui_up_to_the_upload_limit(server: Server) -> None:
    big = b"# Big\n" + b"word " * (2 * 1048576 // 5)  # 2 MB: over the JSON cap, under the limit
    response = httpx.post(f"{server.base}{UI_UPLOAD}", cookies=cookie(ADMIN), timeout=60,
                          files=[("files", ("big.md", big, "text/markdown"))])  # fmt: skip
    assert response.status_code == 200, response.text
    assert Path(response.json()[0]).stat().st_size == len(big)
    over = early_answer(server, UI_UPLOAD, {**MULTIPART, "Cookie": f"kenning_key={ADMIN}"},
                        declared=(MAX_FILE_MB + 1) * 1048576)  # fmt: skip
    assert over == 413


@pytest.mark.parametrize("path", ["/v1/documents", UI_UPLOAD])
def test_uploads_are_refused_before_the_body_is_read(server: Server, path: str) -> None:
    """No key: 401, a non-admin key: 403, answered while the body is still arriving (under
    the limit, so nothing else would stop it), and before the size check (over it)."""
    under, over = MAX_FILE_MB * 1048576, 2 << 30
    for declared in (under, over):
        assert early_answer(server, path, MULTIPART, declared) == 401
        for key in NON_ADMIN.values():
            headers = {**MULTIPART, "Authorization": f"Bearer {key}"}
            assert early_answer(server, path, headers, declared) == 403
            headers = {**MULTIPART, "Cookie": f"kenning_key={key}"}
            assert early_answer(server, path, headers, declared) == 403
    admin = {**MULTIPART, "Authorization": f"Bearer {ADMIN}"}
    assert early_answer(server, path, admin, over) == 413


def test_an_admin_still_uploads_through_the_api(server: Server) -> None:
    response = httpx.post(
        f"{server.base}/v1/documents", headers={"Authorization": f"Bearer {ADMIN}"}, timeout=60,
        files=[("files", ("heron.md", b"# Heron rollout\nThe heron rollout starts soon.\n"))],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["added"] == 1


@pytest.mark.parametrize("who", sorted(NON_ADMIN))
def test_json_bodies_to_the_ui_are_capped(server: Server, who: str) -> None:
    join = "/ui/gradio_api/queue/join"
    payload = {"data": ["x" * (2 * 1048576)], "fn_index": 0, "session_hash": "s0123456789",
               "event_data": None, "trigger_id": None}  # fmt: skip
    response = httpx.post(f"{server.base}{join}", json=payload, cookies=cookie(NON_ADMIN[who]),
                          timeout=60)  # fmt: skip
    assert response.status_code == 413, response.text
    assert response.json()["error"]["type"] == "request_too_large"
    headers = {"Content-Type": "application/json", "Cookie": f"kenning_key={NON_ADMIN[who]}"}
    assert early_answer(server, join, headers, declared=50 * 1048576) == 413

    def chunks() -> Iterator[bytes]:  # no declared length: stopped while streaming
        yield b'{"data": ["'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"], "fn_index": 0, "session_hash": "s0123456789"}'

    streamed = httpx.post(f"{server.base}{join}", content=chunks(), timeout=60,
                          headers=headers)  # fmt: skip
    assert streamed.status_code == 413


ACAO = "access-control-allow-origin"
ACAC = "access-control-allow-credentials"


@pytest.mark.parametrize(
    ("host", "origin"),
    [(OTHER_HOST, "https://evil.example"), (None, "http://127.0.0.1:1"),
     (None, "null"), ("localhost", "http://localhost:1")],
)  # fmt: skip
def test_the_ui_sends_no_cors_headers_unless_the_origin_is_listed(
    server: Server, host: str | None, origin: str
) -> None:
    headers = {"Host": host or server.host(), "Origin": origin}
    info = httpx.get(f"{server.base}/ui/gradio_api/info", cookies=cookie(ADMIN), headers=headers,
                     timeout=30)  # fmt: skip
    assert info.status_code == 200
    assert ACAO not in info.headers and ACAC not in info.headers
    preflight = httpx.options(
        f"{server.base}/ui/gradio_api/queue/join", timeout=30,
        headers={**headers, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    assert ACAO not in preflight.headers and ACAC not in preflight.headers


def test_temporary_uploads_are_deleted_when_the_server_stops(
    restricted_template: Path, tmp_path: Path
) -> None:
    """(Uploads older than an hour go sooner: Gradio's `delete_cache` sweeps them.)"""
    shutil.copytree(restricted_template / "kb", tmp_path / "kb")
    with served(tmp_path / "kb", server_env(tmp_path), tmp_path / "server.log") as base:
        note = ("note.md", b"# Note\n", "text/markdown")
        response = httpx.post(f"{base}{UI_UPLOAD}", files=[("files", note)], timeout=30)
        assert response.status_code == 200, response.text  # no keys: the local user is admin
        uploaded = Path(response.json()[0])
        assert uploaded.exists() and tmp_path / "gradio-tmp" in uploaded.parents
    assert not uploaded.exists()
    assert not stored_files(tmp_path / "gradio-tmp")
