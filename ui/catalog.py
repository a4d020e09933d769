"""What the knowledge base holds, shaped for the UI: filter choices, topics, people, tables.

Everything here reads through a `QAService` bound to the browser's user, so each view shows
only the documents (and the people behind them) that user may read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kenning.errors import NotFoundError
from kenning.qa.experts import topics_of
from kenning.qa.service import QAService
from kenning.schema import OWNED_ROLES, ROLE_WEIGHTS, Filters
from kenning.ui.catalogues import DEFAULT, tr
from kenning.ui.render import kind_name

MAX_DOCUMENTS = 500
MEETING_KINDS = ("meeting", "transcript", "retrospective")


@dataclass
class Catalog:
    """The values the filters offer: teams, tags (most used first) and people."""

    teams: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    people: list[tuple[str, str]] = field(default_factory=list)  # (label, id)


@dataclass
class Topic:
    """A tag with the documents that carry it and the people behind them."""

    tag: str
    documents: list[dict[str, Any]]
    people: list[tuple[str, str]]  # (name, id), strongest first


def today() -> str:
    """Today's date as ISO text, the form review dates are stored in."""
    return date.today().isoformat()


def documents(service: QAService, filters: Filters | None = None,
              limit: int = MAX_DOCUMENTS) -> list[dict[str, Any]]:  # fmt: skip
    """Readable documents (newest first) with owners."""
    return service.reader.documents(filters or Filters(), limit, 0)[1]


def build_catalog(service: QAService) -> Catalog:
    """The filter choices of the knowledge base as it is now."""
    rows = documents(service)
    tags = Counter(t.lower() for row in rows for t in row["tags"])
    teams = sorted({row["team"] for row in rows if row["team"]}, key=str.lower)
    people = [(f"{p['name']} ({p['documents']})", p["id"]) for p in service.reader.people()]
    return Catalog(teams=teams, tags=[t for t, _ in tags.most_common()], people=people)


def is_stale(row: dict[str, Any], on: str | None = None) -> bool:
    """True when a document's review date has passed."""
    return bool(row.get("review_by")) and row["review_by"] < (on or today())


def topics(service: QAService, count: int = 8, per_topic: int = 3) -> list[Topic]:
    """The most used tags, each with its newest documents and its strongest people."""
    rows = documents(service)
    by_tag: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        for tag in {t.lower() for t in row["tags"]}:
            by_tag[tag].append(row)
    ranked = sorted(by_tag.items(), key=lambda item: (-len(item[1]), item[0]))[:count]
    evidence = service.reader.evidence_of(list({r["id"] for _, docs in ranked for r in docs}))
    out: list[Topic] = []
    for tag, docs in ranked:
        ids = {d["id"] for d in docs}
        weights: Counter[tuple[str, str]] = Counter()
        for item in evidence:
            if item["document_id"] in ids:
                weights[(item["name"], item["person_id"])] += ROLE_WEIGHTS.get(item["role"], 0.1)
        people = [person for person, _ in weights.most_common(per_topic)]
        out.append(Topic(tag=tag, documents=docs[:per_topic], people=people))
    return out


def person_profile(service: QAService, person_id: str) -> dict[str, Any] | None:
    """A person with the readable documents they own or wrote, their meetings and topics;
    None when there is no such person, or none the user may learn of."""
    try:
        person = service.reader.person(person_id)
    except NotFoundError:
        return None
    evidence = person["evidence"]
    owned: dict[str, dict[str, Any]] = {}
    meetings: dict[str, dict[str, Any]] = {}
    for item in evidence:
        if item["role"] in OWNED_ROLES:
            entry = owned.setdefault(item["document_id"], {**item, "roles": []})
            entry["roles"].append(item["role"])
        elif item["kind"] in MEETING_KINDS:
            entry = meetings.setdefault(item["document_id"], {**item, "roles": []})
            entry["roles"].append(item["role"])
    return {
        "id": person["id"],
        "name": person["name"],
        "aliases": person["aliases"],
        "teams": person["teams"],
        "owned": list(owned.values()),
        "meetings": list(meetings.values()),
        "topics": topics_of(evidence).most_common(12),
    }


def document_table(
    service: QAService, filters: Filters | None = None, lang: str = DEFAULT
) -> list[list[Any]]:
    """Rows for the documents table: title, kind, team, owners, updated, review-by, stale, id."""
    on = today()
    stale = tr("stale", lang)
    return [
        [row["title"], kind_name(row["kind"], lang), row["team"] or "", ", ".join(row["owners"]),
         row["updated"] or "", row["review_by"] or "", stale if is_stale(row, on) else "",
         row["id"]]
        for row in documents(service, filters)
    ]  # fmt: skip


# The documents table's columns, as catalogue keys.
DOCUMENT_COLUMNS = ["col_title", "col_kind", "col_team", "col_owners", "col_updated",
                    "col_review_by", "col_stale", "col_id"]  # fmt: skip
DOCUMENT_HEADERS = [tr(key) for key in DOCUMENT_COLUMNS]
