"""`kenning shard` and search over shards: the same ranking as one knowledge base (BM25 with
global statistics, dense merged), the same access rules."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from support import GOOD, ROOT, hash_settings
from typer.testing import CliRunner

from kenning.cli import app
from kenning.config import Principal
from kenning.distributed.search import ShardedKnowledgeBase
from kenning.distributed.shards import split_knowledge_base
from kenning.errors import KenningError
from kenning.index.embeddings import HashEmbedder
from kenning.kb import KnowledgeBase
from kenning.schema import Filters, Hit

MINUTES = ROOT.parent / "shared" / "data" / "minutes" / "rust-lang-team" / "minutes"
QUERIES = [
    "How do we fail over the payments database?", "What caused customers to be charged twice?",
    "memory use of the solver", "retrospective action items", "who owns the deploy pipeline",
    "cache flush runbook steps", "roadmap for next quarter", "the", "login outage root cause",
    "what did Amara say about the release", "backup policy retention", "API endpoints",
    "stabilization of async functions in traits", "lang team triage meeting", "zebrafish",
]  # fmt: skip


class SpreadEmbedder(HashEmbedder):
    """The hashing embedder plus a pseudo-random direction per text, so that dense scores
    are never exactly equal. The plain one scores most passages exactly 0, and FAISS keeps
    and orders such ties by its heap's internal order, which no merge can replay; real models
    tie only on identical texts."""

    def __init__(self) -> None:
        super().__init__()
        self.name = "hash-spread"

    def _vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        spread = np.random.default_rng(seed).standard_normal(self.dimension)
        vector = super()._vector(text) + 0.2 * spread / np.linalg.norm(spread)
        return (vector / np.linalg.norm(vector)).astype(np.float32)


EMBEDDER = SpreadEmbedder()


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One knowledge base (public, `eng` and `hr` documents) and its splits into 2 and 3."""
    root = tmp_path_factory.mktemp("shards")
    home = root / "kb"
    settings = hash_settings(home)
    with KnowledgeBase(home, settings, EMBEDDER) as kb:
        kb.ingest([GOOD / name for name in ("markdown", "retro", "docx", "pptx", "pdf")])
        kb.ingest([GOOD / name for name in ("meeting", "vtt", "srt")], groups=["eng"])
        kb.ingest([GOOD / name for name in ("text", "transcript_text", "html")], groups=["hr"])
        if MINUTES.is_dir():
            kb.ingest(sorted(MINUTES.glob("*.md"))[:20])
    folders = {"kb": home}
    for n in (2, 3):
        split_knowledge_base(home, n, root / f"split{n}", settings, EMBEDDER)
        folders[str(n)] = root / f"split{n}"
    return folders


def ranking(hits: list[Hit]) -> list[tuple[object, ...]]:
    return [(h.rank, h.document_id, h.location, h.text, h.score) for h in hits]


def queries_with_people(kb: KnowledgeBase) -> list[str]:
    """The fixed queries plus questions naming people (person-scoped rankings)."""
    names = [p.name for p in kb.store.people()][:5]
    return QUERIES + [f"what did {name} say about the release plan" for name in names]


@pytest.mark.parametrize("shards", ["2", "3"])
def test_sharded_search_ranks_as_one_knowledge_base(split: dict[str, Path], shards: str) -> None:
    settings = hash_settings(split["kb"])
    with KnowledgeBase(split["kb"], settings, EMBEDDER) as kb, \
            ShardedKnowledgeBase.open(split[shards], settings, EMBEDDER) as sharded:  # fmt: skip
        assert sharded.stats()["documents"] == kb.stats()["documents"]
        assert sharded.stats()["chunks"] == kb.stats()["chunks"]
        parts = [s.stats()["documents"] for s in sharded.shards]
        assert all(parts), parts  # every shard holds documents
        for query in queries_with_people(kb):
            assert ranking(sharded.search(query, k=10)) == ranking(kb.search(query, k=10)), query


def test_bm25_scores_are_the_whole_knowledge_bases(split: dict[str, Path]) -> None:
    """Global statistics reproduce FTS5's bm25() to the last bit, in English and French."""
    settings = hash_settings(split["kb"])
    with KnowledgeBase(split["kb"], settings, EMBEDDER) as kb, \
            ShardedKnowledgeBase.open(split["3"], settings, EMBEDDER) as sharded:  # fmt: skip
        for query in QUERIES:
            for lang in ("en", "fr"):
                whole = kb.store.lexical_search(query, 50, Filters(), analyser=lang)
                merged = sharded.store.lexical_search(query, 50, Filters(), analyser=lang)
                assert [(key // 3, score) for key, score in merged] == whole, (query, lang)


@pytest.mark.parametrize(
    "filters",
    [{"groups": ["eng"]}, {"groups": []}, {"groups": ["hr", "eng"]}, {"kind": ["meeting"]}],
)
def test_filters_and_groups_hold_across_shards(split: dict[str, Path], filters: dict) -> None:
    settings = hash_settings(split["kb"])
    with KnowledgeBase(split["kb"], settings, EMBEDDER) as kb, \
            ShardedKnowledgeBase.open(split["2"], settings, EMBEDDER) as sharded:  # fmt: skip
        for query in QUERIES:
            hits = sharded.search(query, k=10, filters=filters)
            assert ranking(hits) == ranking(kb.search(query, k=10, filters=filters)), query
            if "groups" in filters:
                for hit in hits:
                    row = kb.store.conn.execute(
                        "SELECT groups_ FROM documents WHERE id = ?", (hit.document_id,)
                    ).fetchone()
                    held = json.loads(row[0])
                    assert not held or set(held) & set(filters["groups"]), (query, hit.source)


def test_shards_of_another_split_are_refused(split: dict[str, Path], tmp_path: Path) -> None:
    settings = hash_settings(split["kb"])
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copytree(split["2"] / "shard-00", mixed / "shard-00")
    shutil.copytree(split["3"] / "shard-01", mixed / "shard-01")
    with pytest.raises(KenningError, match="one split"):
        ShardedKnowledgeBase.open(mixed, settings, EMBEDDER)
    with pytest.raises(KenningError, match="not a shard"):
        ShardedKnowledgeBase([split["kb"]], settings, EMBEDDER)
    with pytest.raises(KenningError, match="not empty"):
        split_knowledge_base(split["kb"], 2, split["2"], settings, EMBEDDER)


def test_cli_shard_then_search_shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KENNING_EMBEDDING_MODEL", "hash")
    monkeypatch.setenv("KENNING_GIT_HISTORY", "false")
    home, out = tmp_path / "kb", tmp_path / "out"
    runner = CliRunner()
    folders = [str(GOOD / name) for name in ("markdown", "retro", "meeting")]
    assert runner.invoke(app, ["ingest", *folders, "--kb", str(home)]).exit_code == 0
    result = runner.invoke(app, ["shard", "--kb", str(home), "--shards", "2", "--out", str(out),
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [Path(s["folder"]).name for s in json.loads(result.output)["shards"]] == [
        "shard-00", "shard-01",
    ]  # fmt: skip
    query = "How do we fail over the payments database?"
    sharded = runner.invoke(app, ["search", query, "--shards", str(out), "--json"])
    whole = runner.invoke(app, ["search", query, "--kb", str(home), "--json"])
    assert sharded.exit_code == whole.exit_code == 0, sharded.output
    assert json.loads(sharded.output) == json.loads(whole.output)
    result = runner.invoke(app, ["search", query, "--shards", str(tmp_path / "none")])
    assert result.exit_code == 2


def answer(response: object) -> dict[str, object]:
    """An answer as a client sees it, timings apart."""
    data = response.to_dict()  # type: ignore[attr-defined]
    data.pop("timings_ms")
    return data


@pytest.mark.parametrize("shards", ["3"])  # search is compared over 2 shards too
def test_answers_and_experts_over_shards_are_one_knowledge_bases(
    split: dict[str, Path], shards: str
) -> None:
    settings = hash_settings(split["kb"])
    with KnowledgeBase(split["kb"], settings, EMBEDDER) as kb, \
            ShardedKnowledgeBase.open(split[shards], settings, EMBEDDER) as sharded:  # fmt: skip
        answered = 0
        for query in queries_with_people(kb):
            whole = answer(kb.ask(query))
            assert answer(sharded.ask(query)) == whole, query
            answered += not whole["abstained"]
            experts = [e.to_dict() for e in kb.experts(query)]
            assert [e.to_dict() for e in sharded.experts(query)] == experts, query
            for filters in ({"groups": ["eng"]}, {"kind": ["meeting"]}):
                assert answer(sharded.ask(query, filters=filters)) == answer(
                    kb.ask(query, filters=filters)), (query, filters)  # fmt: skip
        assert answered >= 5  # the comparison covers answers, not only abstentions
        history = [{"role": "user", "content": QUERIES[0]},
                   {"role": "assistant", "content": kb.ask(QUERIES[0]).answer}]  # fmt: skip
        follow_up = "and who owns it?"
        assert answer(sharded.ask(follow_up, history=history)) == answer(
            kb.ask(follow_up, history=history))  # fmt: skip


@pytest.mark.parametrize("groups", [None, frozenset({"eng"}), frozenset()])
def test_catalog_reads_over_shards_are_one_knowledge_bases(
    split: dict[str, Path], groups: frozenset[str] | None
) -> None:
    """Documents, people and counts as the routes read them (through a caller's groups)."""
    settings = hash_settings(split["kb"])
    caller = Principal("caller", groups)
    with KnowledgeBase(split["kb"], settings, EMBEDDER) as kb, \
            ShardedKnowledgeBase.open(split["3"], settings, EMBEDDER) as sharded:  # fmt: skip
        whole, shards = kb.qa.for_principal(caller).reader, sharded.qa.for_principal(caller).reader
        assert shards.counts() == whole.counts()
        for limit, offset in ((50, 0), (5, 3), (10, 100)):
            assert shards.documents(None, limit, offset) == whole.documents(None, limit, offset)
        people = whole.people()
        assert shards.people() == people and people
        for person in people[:5]:
            assert shards.person(person["id"]) == whole.person(person["id"])
        for document in whole.documents(None, 8, 0)[1]:
            assert shards.document(document["id"]) == whole.document(document["id"])
        today = "2100-01-01"
        assert shards.store.stale_documents(today, shards.scope()) == \
            whole.store.stale_documents(today, whole.scope())  # fmt: skip


def test_an_answer_reads_the_shards_generations_once(
    split: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shards are read-only: an answer asks them for their generations at most once (not at
    every cache the answer checks), again once `GENERATION_TTL_S` has passed, and on every read
    of a request that allows partial results (a shard may be missing from it)."""
    from kenning.distributed import search as sharded_search
    from kenning.distributed.search import ShardedStore, partial_results

    rounds: list[str] = []
    each = ShardedStore.each

    def counted(self: ShardedStore, method: str, *args: object, **kwargs: object) -> object:
        rounds.append(method)
        return each(self, method, *args, **kwargs)

    monkeypatch.setattr(ShardedStore, "each", counted)
    settings = hash_settings(split["kb"])
    with ShardedKnowledgeBase.open(split["2"], settings, EMBEDDER) as sharded:
        sharded.ask(QUERIES[0])  # the caches of a first answer
        rounds.clear()
        first = sharded.store.generation
        sharded.ask(QUERIES[1])
        assert rounds.count("generation") <= 1 and "log_question" in rounds
        assert sharded.store.generation == first
        monkeypatch.setattr(sharded_search, "GENERATION_TTL_S", 0.0)
        rounds.clear()
        assert sharded.store.generation == first and rounds == ["generation"]
        monkeypatch.setattr(sharded_search, "GENERATION_TTL_S", 3600.0)
        with partial_results(True):
            rounds.clear()
            assert sharded.store.generation == first and sharded.store.generation == first
            assert rounds == ["generation", "generation"]
