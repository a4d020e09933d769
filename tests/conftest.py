"""Shared fixtures: real files, a real SQLite + FAISS knowledge base in tmp_path."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import DEMO, GOOD, hash_settings

from kenning import KnowledgeBase
from kenning.config import load_settings


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of the good fixtures."""
    target = tmp_path / "corpus"
    shutil.copytree(GOOD, target)
    return target


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    """An empty knowledge base with the hashing embedder."""
    base = KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb"))
    yield base
    base.close()


@pytest.fixture(scope="session")
def good_kb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The good fixtures ingested once (hashing embedder); tests copy the folder."""
    root = tmp_path_factory.mktemp("good-kb")
    corpus = root / "corpus"
    shutil.copytree(GOOD, corpus)
    with KnowledgeBase(root / "kb", hash_settings(root / "kb")) as base:
        report = base.ingest([corpus])
        assert not report.failed, report.failed
    return root


@pytest.fixture
def good_kb(good_kb_template: Path, tmp_path: Path) -> Iterator[tuple[KnowledgeBase, Path]]:
    """A copy of the ingested good fixtures: (knowledge base, corpus folder)."""
    shutil.copytree(good_kb_template, tmp_path / "copy")
    base = KnowledgeBase(tmp_path / "copy" / "kb", hash_settings(tmp_path / "copy" / "kb"))
    yield base, good_kb_template / "corpus"
    base.close()


@pytest.fixture(scope="session")
def demo_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """The bundled demo ingested with the real packaged model (slow tests only)."""
    home = tmp_path_factory.mktemp("demo-kb")
    base = KnowledgeBase(home, load_settings(home=home, git_history=False))
    report = base.ingest([DEMO])
    assert not report.failed, report.failed
    yield base
    base.close()
