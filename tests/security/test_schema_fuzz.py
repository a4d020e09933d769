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
from kenning.qa.api import create_api

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
    return schemathesis.openapi.from_asgi("/openapi.json", create_api(fuzzed_kb))


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
