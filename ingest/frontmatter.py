"""Metadata at the top of text files: YAML front matter and `Key: value` header blocks."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import yaml

from kenning.errors import ParseError

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z _-]{0,30}):[ \t]*(.*)$")
# A MultiMarkdown / RFC 822 header block is only taken as metadata when it names at least
# one of these keys, so a transcript line "Jane Doe: hello" is never mistaken for one.
HEADER_KEYS: frozenset[str] = frozenset(
    {
        "title", "author", "authors", "owner", "owners", "reviewer", "reviewers", "date",
        "created", "updated", "modified", "tags", "keywords", "team", "kind", "type",
        "review_by", "last_reviewed", "groups", "status", "facilitator", "presenter",
        "presenters", "attendees", "subject", "summary", "maintained_by", "maintainer",
        "last_updated", "recording", "audience", "location", "participants", "contact",
    }
)  # fmt: skip


def normalise_key(key: str) -> str:
    """`Review-By` and `review by` both become `review_by`."""
    return re.sub(r"[\s-]+", "_", key.strip().lower())


def _plain(value: Any) -> Any:
    """YAML dates become ISO strings so metadata stays JSON-serialisable."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    """Split YAML front matter or a header block off the text.

    Returns:
        The metadata with normalised keys, and the body that follows it.

    Raises:
        ParseError: the front matter is not valid YAML or not a mapping.
    """
    match = FRONT_MATTER.match(text)
    if match:
        try:
            data = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise ParseError(source, f"invalid YAML front matter{where}") from exc
        if not isinstance(data, dict):
            raise ParseError(source, "front matter is not a mapping of keys to values")
        meta = {normalise_key(str(k)): _plain(v) for k, v in data.items()}
        return meta, text[match.end() :]
    return split_header_block(text)


def split_header_block(text: str) -> tuple[dict[str, Any], str]:
    """Split a `Key: value` header block (MultiMarkdown, RFC 822) off the text."""
    lines = text.splitlines(keepends=True)
    meta: dict[str, Any] = {}
    consumed = 0
    last_key: str | None = None
    for line in lines:
        stripped = line.rstrip("\r\n")
        if not stripped.strip():
            break
        match = HEADER_LINE.match(stripped)
        if match:
            last_key = normalise_key(match.group(1))
            meta[last_key] = match.group(2).strip()
        elif last_key and line[:1] in " \t":  # RFC 822 folded continuation line
            meta[last_key] += " " + stripped.strip()
        else:
            return {}, text
        consumed += 1
    if not meta or not (set(meta) & HEADER_KEYS) or not set(meta) <= HEADER_KEYS:
        return {}, text
    return meta, "".join(lines[consumed:])


def as_list(value: Any) -> list[str]:
    """A metadata value as a list of strings: lists stay, strings split on commas/semicolons."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            if isinstance(item, dict):  # e.g. {name: ..., email: ...}
                item = item.get("name") or item.get("email") or ""
            out.extend(as_list(item))
        return out
    parts = re.split(r"[;,]|\s+and\s+", str(value))
    return [p.strip() for p in parts if p.strip()]


def leading_fields(text: str) -> tuple[dict[str, Any], str, str]:
    """Known `Key: value` lines in the first paragraph of plain text, below a title line.

    Returns:
        The fields, the title line (if the paragraph starts with one), and the remaining text
        (the first paragraph is dropped when every line of it was a title or a field).
    """
    head, sep, rest = text.lstrip().partition("\n\n")
    fields: dict[str, Any] = {}
    title = ""
    consumed = True
    for number, line in enumerate(head.splitlines()):
        match = HEADER_LINE.match(line.strip())
        key = normalise_key(match.group(1)) if match else ""
        if match and key in HEADER_KEYS:
            fields[key] = match.group(2).strip()
        elif number == 0 and len(line.strip()) <= 100:
            title = line.strip()
        else:
            consumed = False
    if not fields:
        return {}, "", text
    return fields, title, rest if consumed and sep else text
