"""Keys, anonymous access, rate limits, CORS and secrets: what a client of the API sees."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from security.restricted import API_KEYS, FINANCE_MARKER, KEYS, auth

from kenning import KnowledgeBase
from kenning.api.app import create_app
from kenning.config import load_settings
from kenning.errors import ConfigError


def api(kb: KnowledgeBase, **settings: object) -> TestClient:
    """The API over the knowledge base, with some settings changed."""
    for name, value in settings.items():
        setattr(kb.settings, name, value)
    return TestClient(create_app(kb=kb, ui=False))


def test_no_key_is_401_with_a_json_error(client: TestClient) -> None:
    response = client.post("/v1/search", json={"query": "cache"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "API key" in response.json()["error"]["message"]


def test_a_wrong_key_is_401_and_not_echoed(client: TestClient) -> None:
    wrong = "wrong-key-0123456789abcdef"
    response = client.get("/v1/people", headers={"Authorization": f"Bearer {wrong}"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "invalid API key"
    assert wrong not in response.text


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": f"Bearer {KEYS['finance']}"}, {"X-API-Key": KEYS["finance"]},
     {"Cookie": f"kenning_key={KEYS['finance']}"}],  # fmt: skip
    ids=["bearer", "x-api-key", "login cookie"],
)
def test_every_way_of_sending_the_key_works(client: TestClient, headers: dict) -> None:
    response = client.post("/v1/search", json={"query": FINANCE_MARKER}, headers=headers)
    assert response.status_code == 200 and FINANCE_MARKER in response.text


def test_healthz_is_open_but_counts_only_for_a_caller(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/healthz", headers=auth("public")).json()["chunks"] > 0


def test_anonymous_callers_read_only_unrestricted_documents_when_allowed(
    restricted_kb: KnowledgeBase,
) -> None:
    with api(restricted_kb, allow_anonymous=True) as client:
        response = client.post("/v1/search", json={"query": FINANCE_MARKER, "k": 50})
        assert response.status_code == 200 and response.json()["hits"]
        assert FINANCE_MARKER not in response.text
        upload = {"files": ("a.md", b"# A\n\nText.\n", "text/markdown")}
        assert client.post("/v1/documents", files=upload).status_code == 403


def test_without_keys_everyone_reads_everything(restricted_kb: KnowledgeBase) -> None:
    restricted_kb.settings.api_keys = []
    with TestClient(create_app(kb=restricted_kb, ui=False)) as client:
        response = client.post("/v1/search", json={"query": FINANCE_MARKER})
        assert FINANCE_MARKER in response.text  # a local, single-user knowledge base


def test_rate_limit_per_key_answers_429_with_retry_after(restricted_kb: KnowledgeBase) -> None:
    with api(restricted_kb, rate_limit="3/minute") as client:
        codes = [client.get("/v1/people", headers=auth("public")).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get("/v1/people", headers=auth("public"))
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert "rate limit" in limited.json()["error"]["message"]
        # Another key has its own allowance.
        assert client.get("/v1/people", headers=auth("finance")).status_code == 200


def test_cors_is_off_by_default_and_follows_the_allow_list(
    restricted_kb: KnowledgeBase,
) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    with api(restricted_kb) as client:
        response = client.options("/v1/search", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
        response = client.get("/v1/people", headers={**auth("public"), "Origin": "https://x.example"})
        assert "access-control-allow-origin" not in response.headers
    with api(restricted_kb, cors_origins=["https://intranet.example"]) as client:
        allowed = {**preflight, "Origin": "https://intranet.example"}
        response = client.options("/v1/search", headers=allowed)
        assert response.headers["access-control-allow-origin"] == "https://intranet.example"
        response = client.options("/v1/search", headers=preflight)
        assert "access-control-allow-origin" not in response.headers


def test_keys_are_never_logged_or_shown(
    restricted_kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with api(restricted_kb) as client:
        client.post("/v1/ask", json={"question": "cache flush"}, headers=auth("finance"))
        client.get("/v1/people", headers={"X-API-Key": "not-a-key-0123456789abcdef"})
        schema = client.get("/openapi.json").text
    shown = repr(restricted_kb.settings) + str(restricted_kb.settings.model_dump()) + schema
    for key in KEYS.values():
        assert key not in caplog.text
        assert key not in shown
    assert "not-a-key-0123456789abcdef" not in caplog.text


def test_keys_come_from_the_environment_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    toml = tmp_path / "kenning.toml"
    toml.write_text('[[api_keys]]\nkey = "file-key-0123456789abcdef"\nname = "x"\n')
    monkeypatch.setenv("KENNING_CONFIG", str(toml))
    with pytest.raises(ConfigError, match="KENNING_API_KEYS") as error:
        load_settings()
    assert "file-key" not in str(error.value)
    toml.write_text('llm_api_key = "sk-file-secret"\n')
    with pytest.raises(ConfigError, match="environment"):
        load_settings()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('[{"key": "short-secret", "name": "a"}]', "at least 16"),
        ('[{"key": "same-secret-0123456789", "name": "a"},'
         ' {"key": "same-secret-0123456789", "name": "b"}]', "same secret"),
        ('[{"key": "long-enough-secret-0123", "name": "anonymous"}]', "reserved"),
        ('{"key": not json long-enough-secret}', "api_keys"),
    ],
)
def test_bad_keys_fail_at_startup_without_echoing_them(
    monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    monkeypatch.setenv("KENNING_API_KEYS", value)
    with pytest.raises(ConfigError, match=problem) as error:
        load_settings()
    assert "secret" not in str(error.value).replace("same secret", "")
    assert error.value.__cause__ is None  # pydantic's error quotes the input


def test_keys_from_the_environment_map_to_principals(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.setenv("KENNING_API_KEYS", json.dumps(API_KEYS))
    settings = load_settings()
    principals = {k.name: k.principal() for k in settings.api_keys}
    assert principals["fiona"].groups == frozenset({"finance"})
    assert principals["root"].groups is None and principals["root"].admin
    assert not settings.anonymous_allowed  # keys exist: off unless set
    assert load_settings(allow_anonymous=True).anonymous_allowed


def test_invalid_rate_limit_is_refused() -> None:
    with pytest.raises(ConfigError, match="rate_limit"):
        load_settings(rate_limit="lots")


def test_kb_python_api_still_reads_everything(restricted_kb: KnowledgeBase) -> None:
    hits = restricted_kb.search(f"{FINANCE_MARKER} acquisition", k=20)
    assert any(FINANCE_MARKER in h.text for h in hits)  # the local owner of the files
