"""`.kenning.yaml`: folder-level groups, the nearest file winning, failing closed."""

from __future__ import annotations

from pathlib import Path

from support import hash_settings

from kenning import KnowledgeBase
from kenning.schema import Filters


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def groups_by_name(kb: KnowledgeBase) -> dict[str, list[str]]:
    _, rows = kb.store.list_documents(Filters(), 100, 0)
    return {Path(r["source"]).name: r["groups"] for r in rows}


def test_nearest_folder_config_wins_and_front_matter_wins_over_it(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    root = tmp_path / "wiki"
    write(root / ".kenning.yaml", "groups: [staff]\n")
    write(root / "handbook.md", "# Handbook\n\nHolidays are booked in the portal.\n")
    write(root / "legal" / ".kenning.yaml", "groups: [legal, leadership]\n")
    write(root / "legal" / "contract.md", "# Contract\n\nThe supplier contract renews in May.\n")
    write(root / "legal" / "open.md", "---\ngroups: [everyone-legal]\n---\n# Open\n\nText.\n")
    write(root / "public" / ".kenning.yaml", "groups: []\n")
    write(root / "public" / "faq.md", "# FAQ\n\nThe office opens at eight.\n")
    report = kb.ingest([root])
    assert not report.failed, report.failed
    assert groups_by_name(kb) == {
        "handbook.md": ["staff"], "contract.md": ["legal", "leadership"],
        "open.md": ["everyone-legal"], "faq.md": [],
    }  # fmt: skip


def test_changing_a_folder_config_reingests_its_files(kb: KnowledgeBase, tmp_path: Path) -> None:
    root = tmp_path / "wiki"
    config = write(root / ".kenning.yaml", "groups: [staff]\n")
    write(root / "plan.md", "# Plan\n\nThe plan is to ship in June.\n")
    kb.ingest([root])
    config.write_text("groups: [board]\n", encoding="utf-8")
    report = kb.ingest([root])
    assert [f.status for f in report.files] == ["updated"]
    assert groups_by_name(kb) == {"plan.md": ["board"]}


def test_a_broken_folder_config_fails_its_files_instead_of_publishing_them(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    root = tmp_path / "wiki"
    write(root / "secret" / ".kenning.yaml", "groups: [hr\n")
    write(root / "secret" / "salaries.md", "# Salaries\n\nBands are reviewed yearly.\n")
    write(root / "typo" / ".kenning.yaml", "group: [hr]\n")
    write(root / "typo" / "notes.md", "# Notes\n\nText.\n")
    write(root / "fine.md", "# Fine\n\nNothing secret.\n")
    report = kb.ingest([root])
    failed = {Path(f.path).name: f.reason for f in report.failed}
    assert set(failed) == {"salaries.md", "notes.md"}
    assert ".kenning.yaml" in failed["salaries.md"] and "unreadable" in failed["salaries.md"]
    assert "unknown key group" in failed["notes.md"]
    assert groups_by_name(kb) == {"fine.md": []}


def test_default_groups_cover_only_unlabelled_documents(tmp_path: Path) -> None:
    root = tmp_path / "wiki"
    write(root / "plain.md", "# Plain\n\nNo groups anywhere.\n")
    write(root / "own.md", "---\ngroups: [legal]\n---\n# Own\n\nText.\n")
    write(root / "team" / ".kenning.yaml", "groups: [team]\n")
    write(root / "team" / "notes.md", "# Notes\n\nText.\n")
    home = tmp_path / "kb"
    with KnowledgeBase(home, hash_settings(home, default_groups=["staff"])) as kb:
        assert not kb.ingest([root]).failed
        assert groups_by_name(kb) == {"plain.md": ["staff"], "own.md": ["legal"],
                                      "notes.md": ["team"]}  # fmt: skip
