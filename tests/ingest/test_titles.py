"""Titles and dates as a reader would write them, from real files of the demo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import DEMO, hash_settings

from kenning import KnowledgeBase
from kenning.ingest.titles import readable_title, stated_update, title_from_stem
from kenning.schema import Filters


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("architecture-review-2026-03-12.vtt", "Architecture review 2026-03-12"),
        ("support_sync_2026_04_02.srt", "Support sync 2026-04-02"),
    ],
)
def test_title_from_a_file_name(name: str, title: str) -> None:
    assert title_from_stem(Path(name)) == title


@pytest.mark.parametrize(
    ("title", "readable"),
    [
        ("LARKSPUR LOGISTICS - CUSTOMER SUPPORT FAQ (INTERNAL)",
         "Larkspur Logistics - Customer Support FAQ (Internal)"),
        # a title of its own is kept as written
        ("Vendor Security Review 2026", "Vendor Security Review 2026"),
        ("ETA", "ETA"),
    ],
)  # fmt: skip
def test_readable_title(title: str, readable: str) -> None:
    assert readable_title(title) == readable


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Page owner: Tomás Silva · Last edited 30 January 2026", "2026-01-30"),
        ("Review period: January to February 2026. Approved on 27 February 2026.", "2026-02-27"),
        ("Last updated: March 3, 2026", "2026-03-03"),
        ("Last modified 2025-12-01 by Mei", "2025-12-01"),
        ("Edited in 2026, by many people.", None),
        ("Last edited 30 January 2999", None),  # a date to come is no edit
    ],
)
def test_stated_update(text: str, found: str | None) -> None:
    assert stated_update(text) == found


def test_demo_files_are_titled_and_dated_by_what_they_say(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("docs/platform/incident-severity-levels.html",
                 "docs/security/vendor-security-review-2026.pdf",
                 "docs/support/customer-support-faq.txt",
                 "transcripts/architecture-review-2026-03-12.vtt"):  # fmt: skip
        shutil.copy(DEMO / name, corpus / Path(name).name)
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        assert not kb.ingest([corpus]).failed
        found = {Path(d["source"]).name: (d["title"], d["updated"])
                 for d in kb.store.list_documents(Filters(), 10, 0)[1]}  # fmt: skip
    # The copies were all modified today: none of these dates is the file's.
    assert found == {
        # <title> "Incident severity levels - Larkspur Wiki": the site's name dropped;
        # "Last edited 30 January 2026" in the page.
        "incident-severity-levels.html": ("Incident severity levels", "2026-01-30"),
        # The PDF's own title and ModDate.
        "vendor-security-review-2026.pdf": ("Vendor Security Review 2026", "2026-02-27"),
        "customer-support-faq.txt": ("Larkspur Logistics - Customer Support FAQ (Internal)",
                                     "2026-04-06"),  # fmt: skip
        "architecture-review-2026-03-12.vtt": ("Architecture review 2026-03-12", "2026-03-12"),
    }
