"""Kubernetes enhancement proposals (KEPs): who to ask about a design proposal.

Each KEP folder holds a `README.md` (the proposal) and a `kep.yaml` (title, authors,
reviewers, approvers, owning SIG, creation date). The corpus is each README with that
metadata as YAML front matter — the form Kenning reads people and dates from — so the people
come from the proposal's own record, not from its text. Each KEP gives one question, "Who
should I ask about <title>?", whose experts are its authors (handles without the `@`, as
Kenning names people it knows only by handle) and whose evidence is the README (document
level). Reviewers and approvers are in the front matter too: ranking must put the authors
above them.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from kenning.eval.golden import EvidenceSpan, GoldenQuestion, write_golden

QUESTION = "Who should I ask about {title}?"
QUOTES = "\"'“”‘’"
# One kep.yaml never replaced the template's title; its README's heading names it.
TEMPLATE_TITLES = frozenset({"kep template", "title"})


def _handles(value: object) -> list[str]:
    """`["@jane", "“@bob”"]` -> `["jane", "bob"]`; a missing or empty field gives none."""
    items = value if isinstance(value, list) else [value] if value else []
    handles = [str(item).strip().strip(QUOTES).lstrip("@").strip(QUOTES) for item in items]
    return [h for h in handles if h]


def _title(kep: dict, readme: str) -> str:
    """The KEP's title; the README's first heading when kep.yaml kept the template's."""
    title = " ".join(str(kep.get("title") or "").split())
    if title.lower() in TEMPLATE_TITLES:
        heading = next((line.lstrip("# ").strip() for line in readme.splitlines()
                        if line.startswith("# ")), "")  # fmt: skip
        title = re.sub(r"^KEP-\d+:\s*", "", heading) or title
    return title


def front_matter(kep: dict) -> str:
    """The YAML front matter of a KEP's README: its people, team and dates."""
    meta = {
        "title": str(kep["title"]),
        "authors": [f"@{h}" for h in _handles(kep.get("authors"))],
        "reviewers": [f"@{h}" for h in _handles(kep.get("reviewers"))],
        "approvers": [f"@{h}" for h in _handles(kep.get("approvers"))],
        "team": kep.get("owning-sig") or "",
        "status": kep.get("status") or "",
        "created": str(kep.get("creation-date") or ""),
        "tags": [f"kep-{kep['kep-number']}"] if kep.get("kep-number") else [],
    }
    meta = {k: v for k, v in meta.items() if v not in ("", [])}
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n\n"


def prepare(source: Path, out: Path, limit: int | None = None) -> Path:
    """Write `out/corpus/<sig>/<kep>/README.md` and `out/golden.jsonl` from a KEP tree.

    Args:
        source: a folder holding KEP folders (each with `kep.yaml` and `README.md`), at any
            depth (`keps/` or `keps/sig-apps/`).
        out: where to write.
        limit: only the first N KEPs (by path).

    Returns:
        The golden file.

    Raises:
        FileNotFoundError: no KEP folder with both files under `source`.
    """
    found = (p.parent for p in source.rglob("kep.yaml") if (p.parent / "README.md").is_file())
    folders = sorted(found)[:limit]
    if not folders:
        raise FileNotFoundError(f"no KEP folders (kep.yaml + README.md) under {source}")
    corpus = out / "corpus"
    questions: list[GoldenQuestion] = []
    for folder in folders:
        kep = yaml.safe_load((folder / "kep.yaml").read_text(encoding="utf-8")) or {}
        authors = _handles(kep.get("authors"))
        body = (folder / "README.md").read_text(encoding="utf-8")
        title = _title(kep, body)
        if not title or not authors:
            continue
        kep["title"] = title
        relative = folder.relative_to(source) if folder != source else Path(folder.name)
        target = corpus / relative / "README.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(front_matter(kep) + body, encoding="utf-8")
        questions.append(GoldenQuestion(
            id=f"kep-{kep.get('kep-number', folder.name)}",
            question=QUESTION.format(title=title),
            evidence=(EvidenceSpan(str(relative / "README.md")),),
            experts=tuple(authors),
            tags=("kep", str(kep.get("owning-sig") or "unknown-sig")),
        ))  # fmt: skip
    golden = out / "golden.jsonl"
    write_golden(questions, golden)
    return golden
