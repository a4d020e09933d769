"""Fixtures: the restricted knowledge base (see `restricted.py`) and the API over it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from security.restricted import API_KEYS, add_restricted
from support import GOOD, hash_settings

from kenning import KnowledgeBase
from kenning.api.app import create_app


@pytest.fixture(scope="session")
def restricted_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The good fixtures plus restricted documents, ingested once (hashing embedder)."""
    root = tmp_path_factory.mktemp("restricted-kb")
    corpus = root / "corpus"
    shutil.copytree(GOOD, corpus)
    add_restricted(corpus)
    with KnowledgeBase(root / "kb", hash_settings(root / "kb")) as base:
        report = base.ingest([corpus])
        assert not report.failed, report.failed
    return root


@pytest.fixture
def restricted_kb(restricted_template: Path, tmp_path: Path) -> Iterator[KnowledgeBase]:
    """A copy of the restricted knowledge base, with the API keys configured."""
    shutil.copytree(restricted_template, tmp_path / "copy")
    home = tmp_path / "copy" / "kb"
    base = KnowledgeBase(home, hash_settings(home, api_keys=API_KEYS, abstain_threshold=0.05))
    yield base
    base.close()


@pytest.fixture
def client(restricted_kb: KnowledgeBase) -> Iterator[TestClient]:
    """The API over the restricted knowledge base (no key sent unless a test adds one)."""
    with TestClient(create_app(kb=restricted_kb, ui=False)) as test_client:
        yield test_client

