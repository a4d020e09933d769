"""Schemathesis against the API's own OpenAPI schema, in process (ASGI): whatever it sends
(valid or not), no route answers 5xx."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from security.restricted import API_KEYS, auth
from support import hash_settings

from kenning import KnowledgeBase
from kenning.api.app import create_app

# About a minute on 2 cores: run by `make test` (-m ""), not by a plain pytest.
pytestmark = pytest.mark.slow
EXAMPLES = 30


@pytest.fixture(scope="module")
def fuzzed_kb(
    restricted_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KnowledgeBase]:
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(restricted_template, root / "copy")
    home = root / "copy" / "kb"
    base = KnowledgeBase(home, hash_settings(home, api_keys=API_KEYS, abstain_threshold=0.05))
    yield base
    base.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed_kb: KnowledgeBase) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(kb=fuzzed_kb, ui=False))


def where_of(operation: object) -> str:
    return f"{getattr(operation, 'method', '?')} {getattr(operation, 'path', '?')}"


def fuzz(api_schema: schemathesis.BaseSchema, who: str, examples: int) -> Counter[str]:
    """Send generated requests, valid and invalid, to every operation; the answers' statuses
    by operation (a 5xx fails at once)."""
    seen: Counter[str] = Counter()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12  # every route of the API is in the schema
    for operation in operations:
        for mode in schemathesis.GenerationMode:
            # Schemathesis' own pytest parametrization does not run under pytest 9 (it reads
            # a private node attribute), so its strategies run under plain Hypothesis here.
            @given(case=operation.as_strategy(mode))
            @settings(max_examples=examples, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def check(case: schemathesis.Case) -> None:
                response = case.call(headers=auth(who))
                where = f"{case.method} {case.formatted_path}"
                assert response.status_code < 500, f"{where}: {response.text[:300]}"
                seen[f"{case.method} {case.path} {response.status_code}"] += 1

            try:
                check()
            except Unsatisfiable:  # nothing to make invalid (e.g. GET /healthz has no inputs)
                assert mode is schemathesis.GenerationMode.NEGATIVE, where_of(operation)
    return seen


def test_no_server_errors_for_an_admin(api_schema: schemathesis.BaseSchema) -> None:
    seen = fuzz(api_schema, "admin", EXAMPLES)
    # The fuzzing reached the routes' logic, not only their validation.
    assert seen["POST /v1/ask 200"] and seen["POST /v1/search 200"] and seen["GET /v1/stats 200"]
    assert seen["POST /v1/ask 422"] and seen["GET /v1/documents/{document_id} 404"]


def test_no_server_errors_for_a_restricted_caller(api_schema: schemathesis.BaseSchema) -> None:
    seen = fuzz(api_schema, "public", EXAMPLES // 3)
    assert seen["POST /v1/documents 403"] or seen["POST /v1/documents 422"]


# Values schemathesis rarely draws, put into every field of every JSON body: lone surrogates
# (valid JSON escapes, not text) in each string, null in each filter.
SURROGATE = "\udfff\ud800 budget"
FILTER_FIELDS = ("kind", "tags", "team", "person", "date_from", "date_to", "source_prefix",
                 "groups")  # fmt: skip


def hostile_bodies(example: dict) -> list[dict]:
    """Copies of a valid body, each with one string replaced by a surrogate or one filter null."""
    bodies: list[dict] = []

    def walk(node: object, path: tuple) -> None:
        if isinstance(node, str):
            bodies.append(replaced(example, path, SURROGATE))
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, (*path, i))

    walk(example, ())
    if "filters" in example:
        bodies += [replaced(example, ("filters",), {name: None}) for name in FILTER_FIELDS]
    return bodies


def replaced(body: object, path: tuple, value: object) -> object:
    if not path:
        return value
    copy = dict(body) if isinstance(body, dict) else list(body)  # type: ignore[arg-type]
    copy[path[0]] = replaced(copy[path[0]], path[1:], value)
    return copy


EXAMPLE_BODIES = {
    "/v1/ask": {"question": "budget", "filters": {"kind": ["document"]}, "stream": False},
    "/v1/search": {"query": "budget", "filters": {"team": "Payments"}},
    "/v1/feedback": {"question": "budget", "helpful": True, "comment": "fine"},
    "/v1/chat/completions": {"messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "budget"}]},
        {"role": "user", "content": "budget"}]},
}  # fmt: skip


@pytest.mark.parametrize("who", ["admin", "nogroups"])
def test_surrogates_and_null_filters_are_refused_everywhere(
    api_schema: schemathesis.BaseSchema, who: str
) -> None:
    operations = {op.path: op for op in (r.ok() for r in api_schema.get_all_operations())
                  if op.method.upper() == "POST"}  # fmt: skip
    for path, example in EXAMPLE_BODIES.items():
        for stream in (False, True) if path in ("/v1/ask", "/v1/chat/completions") else (False,):
            for body in hostile_bodies({**example, "stream": stream} if stream else example):
                case = operations[path].Case(body=body, media_type="application/json")
                response = case.call(headers=auth(who))
                assert response.status_code == 422, f"{path} {body!r}: {response.text[:300]}"
