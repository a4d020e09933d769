"""The rowids a group filter allows are cached, and a write makes the cache forget them."""

from __future__ import annotations

from pathlib import Path

from kenning import KnowledgeBase
from kenning.schema import Filters


def test_a_write_refreshes_the_cached_rowids(kb: KnowledgeBase, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\nPublic text.\n", encoding="utf-8")
    kb.ingest([tmp_path / "a.md"])
    public = Filters(groups=())
    before = kb.store.filtered_rowids(public)
    assert kb.store.filtered_rowids(public) is before  # served from the cache
    (tmp_path / "b.md").write_text("# B\n\nMore public text.\n", encoding="utf-8")
    (tmp_path / "c.md").write_text("---\ngroups: [hr]\n---\n# C\n\nHR text.\n", encoding="utf-8")
    kb.ingest([tmp_path / "b.md", tmp_path / "c.md"])
    after = kb.store.filtered_rowids(public)
    assert len(after) == len(before) + 1  # b, not c
    assert len(kb.store.filtered_rowids(Filters(groups=("hr",)))) == len(before) + 2
    document = kb.search("HR text", k=1)[0].document_id
    kb.delete(document)
    assert len(kb.store.filtered_rowids(Filters(groups=("hr",)))) == len(before) + 1
