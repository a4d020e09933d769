"""Access rules and search filters as SQL conditions.

Each function returns a condition starting with ` AND ` and its `?` parameters, to append to
a statement's `WHERE`; documents are aliased `d`, chunks `c`.
"""

from __future__ import annotations

from typing import Any

from kenning.schema import Filters

# Chunks where a person speaks, or of documents where they have any other role (parameters:
# the person id, twice).
PERSON_CHUNKS = """
 AND (c.document_id IN (SELECT document_id FROM evidence WHERE person_id = ? AND role != 'speaker')
      OR EXISTS (SELECT 1 FROM evidence e, json_each(c.speakers) s
                 WHERE e.document_id = c.document_id AND e.person_id = ?
                   AND e.role = 'speaker' AND s.value = e.mention))
"""


def filter_clause(filters: Filters, chunk_level: bool = False) -> tuple[str, list[Any]]:
    """The SQL condition (starting with AND) and parameters for a set of filters.

    `chunk_level`: the statement has chunks `c`, so a language filter keeps passages in the
    language; otherwise it keeps documents with any passage in it.
    """
    clauses: list[str] = []
    params: list[Any] = []
    if filters.lang:
        marks = ",".join("?" * len(filters.lang))
        clauses.append(
            f"c.lang IN ({marks})"
            if chunk_level
            else f"d.id IN (SELECT document_id FROM chunks WHERE lang IN ({marks}))"
        )
        params.extend(lang.lower() for lang in filters.lang)
    if filters.kind:
        clauses.append(f"d.kind IN ({','.join('?' * len(filters.kind))})")
        params.extend(filters.kind)
    if filters.tags:
        marks = ",".join("?" * len(filters.tags))
        clauses.append(
            f"EXISTS (SELECT 1 FROM json_each(d.tags) WHERE lower(value) IN ({marks}))"
        )
        params.extend(t.lower() for t in filters.tags)
    if filters.team:
        clauses.append("d.team = ? COLLATE NOCASE")
        params.append(filters.team)
    if filters.person:
        clauses.append(
            "d.id IN (SELECT document_id FROM evidence e JOIN people p ON p.id = e.person_id "
            "WHERE e.person_id = ? OR p.name = ? COLLATE NOCASE)"
        )
        params.extend([filters.person, filters.person])
    if filters.date_from:
        clauses.append("COALESCE(d.updated, d.created) >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        clauses.append("COALESCE(d.updated, d.created) <= ?")
        params.append(filters.date_to)
    if filters.source_prefix:
        escaped = (
            filters.source_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        )
        clauses.append("d.source LIKE ? ESCAPE '\\'")
        params.append(escaped + "%")
    if filters.groups == ():
        clauses.append("d.groups_ = '[]'")  # no groups: public documents only
    elif filters.groups is not None:
        marks = ",".join("?" * len(filters.groups))
        clauses.append(
            f"(d.groups_ = '[]' OR EXISTS (SELECT 1 FROM json_each(d.groups_) "
            f"WHERE value IN ({marks})))"
        )
        params.extend(filters.groups)
    return "".join(f" AND {c}" for c in clauses), params


def asker_clause(groups: tuple[str, ...] | None) -> tuple[str, list[Any]]:
    """The condition (starting with AND) for logged questions and ratings a caller may see.

    A caller who reads everything (`groups` None) sees all; others see what was asked by
    callers whose groups are all among theirs (so no question reveals a group's business).
    """
    if groups is None:
        return "", []
    # `value NOT IN (NULL)` is NULL, never true: a caller with no groups would see every
    # question. With no groups, only questions of askers with no groups qualify.
    inside = f"WHERE value NOT IN ({','.join('?' * len(groups))})" if groups else ""
    return (
        " AND asker_groups IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM json_each(asker_groups) {inside})",
        list(groups),
    )
