"""A knowledge base with restricted documents, and API keys for callers with and without
their groups. Every marker below appears in exactly one restricted document."""

from __future__ import annotations

from pathlib import Path

# Unique words of the restricted documents: none of them occurs anywhere else.
FINANCE_MARKER = "Nightjar"  # in finance/acquisition.md (front matter groups: [finance])
HR_MARKER = "Osprey"  # in hr/review.md (hr/.kenning.yaml: groups: [hr])
SECRET_OWNER = "Zelda Quartermain"  # owns only the finance document
# Jane Doe owns public documents; only the finance document gives this e-mail, which resolves
# to the same person (the same id, derived from the name the e-mail spells).
SECRET_ALIAS = "jane-doe@secret-domain.example"
FINANCE_TITLE = "Project Nightjar acquisition plan"
KEYS = {
    "finance": "finance-key-0123456789abcdef",
    "public": "public-key-0123456789abcdef",
    "admin": "admin-key-0123456789abcdef",
    "nogroups": "nogroups-key-0123456789abcdef",
}
API_KEYS = [
    {"key": KEYS["finance"], "name": "fiona", "groups": ["finance"]},
    {"key": KEYS["public"], "name": "paul", "groups": ["marketing"]},
    {"key": KEYS["admin"], "name": "root", "groups": ["*"], "admin": True},
    {"key": KEYS["nogroups"], "name": "nora", "groups": []},
]
# Callers without the finance group: one with another group, one with no group at all.
OUTSIDERS = ("public", "nogroups")

FINANCE_DOC = f"""---
title: {FINANCE_TITLE}
owner: {SECRET_OWNER}
authors: [Bob Stone]
reviewers: [{SECRET_ALIAS}]
groups: [finance]
team: Finance
tags: [nightjar, mergers]
review_by: 2020-01-01
---

# Project {FINANCE_MARKER}

The {FINANCE_MARKER} acquisition closes in March; the board approved a price of
40 million for the target. Keep the {FINANCE_MARKER} codename out of public channels.

## Due diligence

The {FINANCE_MARKER} due diligence found the target's payment ledger sound.
"""

HR_DOC = f"""---
title: {HR_MARKER} performance review cycle
owner: Carla Diaz
tags: [reviews]
---

# The {HR_MARKER} review cycle

Calibration of the {HR_MARKER} cycle happens in the second week; salary bands stay confidential.
"""


def add_restricted(corpus: Path) -> None:
    """Write the restricted documents into a copy of the good fixtures."""
    (corpus / "finance").mkdir()
    (corpus / "finance" / "acquisition.md").write_text(FINANCE_DOC, encoding="utf-8")
    (corpus / "hr").mkdir()
    (corpus / "hr" / ".kenning.yaml").write_text("groups: [hr]\n", encoding="utf-8")
    (corpus / "hr" / "review.md").write_text(HR_DOC, encoding="utf-8")




def auth(who: str) -> dict[str, str]:
    """The header of one of the test keys."""
    return {"Authorization": f"Bearer {KEYS[who]}"}
