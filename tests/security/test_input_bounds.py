"""Input out of bounds is a 422 that names the field, never a 5xx (cases schemathesis found)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from security.restricted import auth


@pytest.mark.parametrize(
    ("filters", "named"),
    [
        ({"team": ["a"]}, "filter team"),
        ({"source_prefix": 5}, "filter source_prefix"),
        ({"person": []}, "filter person"),
        ({"date_from": {"x": 1}}, "filter date_from"),
        ({"date_to": "next week"}, "filter date_to must be a date"),
        ({"kind": 5}, "filter kind"),
        ({"tags": [1, 2]}, "filter tags"),
        ({"tags": ["t"] * 101}, "filter tags"),
        ({"groups": "x" * 501}, "filter groups"),
        ({"colour": "red"}, "unknown filter colour"),
        ({"kind": None}, "filter kind must not be null"),
        ({"team": None}, "filter team must not be null"),
        ({"groups": None}, "filter groups must not be null"),
        ({"date_from": "2026-02-31"}, "filter date_from must be a date"),
        ({"date_to": "2026-13-01"}, "filter date_to must be a date"),
    ],
)
@pytest.mark.parametrize("route", ["/v1/search", "/v1/ask", "/v1/ask stream"])
def test_bad_filters_are_422_naming_the_filter(
    client: TestClient, route: str, filters: dict, named: str
) -> None:
    path, _, stream = route.partition(" ")
    field = "query" if path == "/v1/search" else "question"
    body = {field: "cache", "filters": filters} | ({"stream": True} if stream else {})
    response = client.post(path, json=body, headers=auth("admin"))
    assert response.status_code == 422
    assert named in response.json()["error"]["message"]


# Lone surrogates: valid JSON escapes, but not text; nothing may reach the model or the log.
SURROGATES = ['"\\ud800"', '"\\udfff\\ud800 budget"', '"budget \\udc00"']
TEXT_BODIES = {
    "/v1/ask": '{{"question": {text}}}',
    "/v1/ask stream": '{{"question": {text}, "stream": true}}',
    "/v1/search": '{{"query": {text}}}',
    "/v1/feedback": '{{"question": "q", "helpful": true, "comment": {text}}}',
    "/v1/chat/completions": '{{"messages": [{{"role": "user", "content": {text}}}]}}',
    "/v1/chat/completions stream":
        '{{"messages": [{{"role": "user", "content": {text}}}], "stream": true}}',
    "/v1/chat/completions parts":
        '{{"messages": [{{"role": "user", "content": [{{"type": "text", "text": {text}}}]}}]}}',
    "/v1/chat/completions earlier turn": '{{"messages": [{{"role": "user", "content": {text}}}, '
        '{{"role": "assistant", "content": "ok"}}, {{"role": "user", "content": "budget"}}]}}',
}  # fmt: skip


@pytest.mark.parametrize("text", SURROGATES)
@pytest.mark.parametrize("where", TEXT_BODIES)
@pytest.mark.parametrize("who", ["admin", "nogroups"])
def test_text_that_is_not_unicode_is_422(
    client: TestClient, where: str, text: str, who: str
) -> None:
    route = where.split()[0]
    body = TEXT_BODIES[where].format(text=text)
    response = client.post(route, content=body.encode(), headers={
        **auth(who), "Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/v1/documents", {"params": {"offset": 2**70}}),
        ("get", "/v1/documents", {"params": {"limit": 10_000}}),
        ("get", "/v1/experts", {"params": {"topic": "x", "k": 51}}),
        ("get", "/v1/experts", {"params": {"topic": "x" * 4001}}),
        ("post", "/v1/search", {"json": {"query": "x", "k": 0}}),
        ("post", "/v1/ask", {"json": {"question": "x" * 2001}}),
        (
            "post",
            "/v1/feedback",
            {"json": {"question": "q", "helpful": True, "comment": "c" * 4001}},
        ),
        (
            "post",
            "/v1/chat/completions",
            {"json": {"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}},
        ),
        ("post", "/v1/chat/completions", {"json": {"messages": []}}),
    ],
)
def test_out_of_bounds_input_is_422(client: TestClient, method: str, path: str, kwargs) -> None:
    response = getattr(client, method)(path, headers=auth("admin"), **kwargs)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("groups", [["bad group!"], ["x" * 101], ["a"] * 51])
def test_upload_groups_are_bounded_names(client: TestClient, groups: list[str]) -> None:
    upload = {"files": ("a.md", b"# A\n\nText.\n", "text/markdown")}
    response = client.post("/v1/documents", files=upload, data={"groups": groups},
                           headers=auth("admin"))  # fmt: skip
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("groups")
