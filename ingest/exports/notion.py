"""Notion workspace exports: "Markdown & CSV" (pages as `<Title> <32-hex id>.md`, databases as
`<Title> <id>.csv` and `<Title> <id>_all.csv`, sub-pages in a folder named like their parent)
and "HTML" (pages as `<Title> <id>.html`). Notion wraps the export in a zip holding
`Export-…-Part-1.zip`; either zip, or the unzipped folder, is read.

Each page becomes a document whose heading path starts with the pages above it. A page's
properties (the `Key: value` lines under its title in Markdown, the properties table in HTML)
are kept as its first block and in `meta["properties"]`; "Created by" names its author,
"Last edited by" an author too, people properties (Assignee, Owner, …) its owners, Tags its
tags, and the created / last edited times its dates. A database becomes one document listing
its columns, with every row that has no page of its own as a block (rows with pages are those
pages). Links keep their text; Notion's internal link targets are dropped.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from kenning.ingest.exports.htmltext import blocks_from, parse_html, text_of
from kenning.ingest.exports.tree import ExportTree
from kenning.ingest.parsers.markdown import parse_markdown_text
from kenning.schema import Block, ParsedDocument

NAMED = re.compile(r"^(?P<title>.*?) ?(?P<id>[0-9a-f]{32})(?P<all>_all)?\.(?P<ext>md|html|csv)$")
FOLDER = re.compile(r"^(?P<title>.*?) (?P<id>[0-9a-f]{32})$")
PROPERTY = re.compile(r"^(?P<key>[^:\n#*>|\[-][^:\n]{0,48}): (?P<value>.*)$")
LINK = re.compile(r"(?<!!)\[(?P<label>[^\]]*)\]\((?P<url>[^)\s]+)\)")
IMAGE = re.compile(r"!\[(?P<label>[^\]]*)\]\([^)]*\)")
DATE_FORMATS = ("%B %d, %Y %I:%M %p", "%B %d, %Y", "%Y/%m/%d %H:%M", "%Y-%m-%d")

# Property names (lower case) and the metadata they give.
AUTHORS = frozenset({"created by", "author", "authors", "creator"})
EDITORS = frozenset({"last edited by", "edited by", "updated by"})
OWNERS = frozenset({"assignee", "assignees", "assign", "assigned to", "owner", "owners",
                    "person", "people", "responsible", "dri"})  # fmt: skip
TAGS = frozenset({"tags", "tag", "labels", "category", "categories"})
CREATED = frozenset({"created", "created time", "created at", "date created"})
UPDATED = frozenset({"last edited time", "last edited", "updated", "last updated", "edited"})


def matches(tree: ExportTree) -> bool:
    """A Notion export: its pages and databases, at the top or in the export folder, are all
    named `<Title> <32-hex id>.md|.html|.csv`."""
    top = [n for n in tree.names() if n.count("/") == 0 and not n.startswith("index.")]
    pages = [n for n in top if n.lower().endswith((".md", ".html", ".csv"))]
    return bool(pages) and all(NAMED.match(PurePosixPath(n).name) for n in pages)


def _clean(title: str) -> str:
    return title.strip() or "Untitled"


def _ancestors(name: str) -> tuple[str, ...]:
    """The titles of the pages a file sits under, from its folders' names."""
    parts = PurePosixPath(name).parts[:-1]
    return tuple(_clean(m["title"]) for p in parts if (m := FOLDER.match(p)) is not None)


def _date(text: str) -> str | None:
    text = text.strip().lstrip("@").strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _people(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def properties_meta(properties: dict[str, str]) -> tuple[dict[str, Any], list]:
    """Metadata and people mentions from a page's properties."""
    meta: dict[str, Any] = {"properties": properties} if properties else {}
    people: list[tuple[str, str, str]] = []
    for key, value in properties.items():
        name = key.strip().lower()
        if not value.strip():
            continue
        if name in AUTHORS:
            meta.setdefault("author", _people(value)[0])
        elif name in EDITORS:
            people += [("author", who, "last edited") for who in _people(value)]
        elif name in OWNERS:
            meta.setdefault("owners", []).extend(_people(value))
        elif name in TAGS:
            meta.setdefault("tags", []).extend(_people(value))
        elif name in CREATED and (day := _date(value)):
            meta["created"] = day
        elif name in UPDATED and (day := _date(value)):
            meta["updated"] = day
    return meta, people


def _links(text: str) -> str:
    """Markdown links as their text (an outside link keeps its URL in brackets)."""
    text = IMAGE.sub(lambda m: m["label"], text)

    def link(m: re.Match[str]) -> str:
        url = m["url"]
        outside = url.startswith(("http://", "https://", "mailto:")) and "notion.so" not in url
        return f"{m['label']} ({url})" if outside else m["label"]

    return LINK.sub(link, text)


def _markdown_page(
    tree: ExportTree, name: str, origin: str, title: str, page_id: str
) -> ParsedDocument:
    text = tree.read_bytes(name).decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and lines[0].startswith("# "):
        title = _clean(lines[0][2:]) if lines[0][2:].strip() else title
        lines = lines[1:]
    while lines and not lines[0].strip():
        lines = lines[1:]
    properties: dict[str, str] = {}
    end = 0
    while end < len(lines) and (found := PROPERTY.match(lines[end])) is not None:
        properties[found["key"].strip()] = found["value"].strip()
        end += 1
    if end < len(lines) and lines[end].strip():  # a paragraph that only began like a property
        properties, end = {}, 0
    ancestors = _ancestors(name)
    body = _links("\n".join(lines[end:]))
    parsed = parse_markdown_text(body, f"{origin}!{name}")
    blocks = []
    if properties:
        blocks.append(Block(text="\n".join(f"{k}: {v}" for k, v in properties.items()),
                            heading_path=(*ancestors, title)))  # fmt: skip
    for block in parsed.blocks:
        path = block.heading_path
        path = path if path[:1] == (title,) else (title, *path)
        blocks.append(Block(text=block.text, heading_path=(*ancestors, *path)))
    return _document(origin, page_id, title, blocks, properties, ancestors)


def _html_page(
    tree: ExportTree, name: str, origin: str, title: str, page_id: str
) -> ParsedDocument:
    page = parse_html(tree.read_bytes(name))
    heading = page.xpath("//*[contains(@class, 'page-title')]")
    title = _clean(text_of(heading[0])) if heading and text_of(heading[0]) else title
    properties: dict[str, str] = {}
    for row in page.xpath("//table[contains(@class, 'properties')]//tr"):
        cells = [c for c in row if isinstance(c.tag, str)]
        if len(cells) == 2:
            properties[text_of(cells[0])] = text_of(cells[1])
    ancestors = _ancestors(name)
    blocks = []
    if properties:
        blocks.append(Block(text="\n".join(f"{k}: {v}" for k, v in properties.items()),
                            heading_path=(*ancestors, title)))  # fmt: skip
    body = page.xpath("//*[contains(@class, 'page-body')]")
    for toc in page.xpath("//*[contains(@class, 'table_of_contents')]"):
        toc.drop_tree()  # a list of the headings that follow
    if body:
        blocks += blocks_from(body[0], (*ancestors, title))
    return _document(origin, page_id, title, blocks, properties, ancestors)


def _document(
    origin: str,
    page_id: str,
    title: str,
    blocks: list[Block],
    properties: dict[str, str],
    ancestors: tuple[str, ...],
) -> ParsedDocument:
    meta, people = properties_meta(properties)
    meta["tags"] = list(dict.fromkeys(["notion", *meta.get("tags", [])]))
    meta.update({"page_id": page_id, "export": "notion"})
    if ancestors:
        meta["hierarchy"] = list(ancestors)
    if not blocks:
        blocks = [Block(text=title, heading_path=(*ancestors, title))]
    return ParsedDocument(source=f"notion://{origin}#{page_id}", title=title, blocks=blocks,
                          meta=meta, people=people)  # fmt: skip


def _database(
    tree: ExportTree, name: str, origin: str, title: str, db_id: str, page_titles: set[str]
) -> ParsedDocument:
    text = tree.read_bytes(name).decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    header, rows = (rows[0], rows[1:]) if rows else ([], [])
    ancestors = _ancestors(name)
    path = (*ancestors, title)
    with_pages = [r for r in rows if r and _clean(r[0]) in page_titles]
    summary = (f"Database {title}: columns {', '.join(header)}; {len(rows)} rows"
               + (f" ({len(with_pages)} with their own page)" if with_pages else ""))  # fmt: skip
    blocks = [Block(text=summary, heading_path=path)]
    for row in rows:
        if not row or _clean(row[0]) in page_titles:
            continue
        cells = [f"{h}: {v}" for h, v in zip(header, row, strict=False) if v.strip()]
        blocks.append(Block(text="\n".join(cells), heading_path=(*path, _clean(row[0]))))
    meta: dict[str, Any] = {"tags": ["notion", "database"], "page_id": db_id,
                            "export": "notion", "columns": header}  # fmt: skip
    return ParsedDocument(source=f"notion://{origin}#{db_id}", title=title, blocks=blocks,
                          meta=meta)  # fmt: skip


def parse(tree: ExportTree, origin: str) -> list[ParsedDocument]:
    """Every page and database of a Notion export.

    Args:
        tree: the export's files.
        origin: the export's path, which the documents' sources name.
    """
    documents: list[ParsedDocument] = []
    databases: dict[str, tuple[str, str, str]] = {}  # id -> (file, title, folder)
    titles_by_folder: dict[str, set[str]] = {}
    for name in tree.names():
        found = NAMED.match(PurePosixPath(name).name)
        if found is None:
            continue
        title, page_id = _clean(found["title"]), found["id"]
        if found["ext"] == "csv":
            # `_all.csv` holds every column; the plain one only the view's.
            if found["all"] or page_id not in databases:
                folder = str(PurePosixPath(name).with_name(f"{found['title']} {page_id}"))
                databases[page_id] = (name, title, folder)
            continue
        reader = _markdown_page if found["ext"] == "md" else _html_page
        document = reader(tree, name, origin, title, page_id)
        documents.append(document)
        parent = str(PurePosixPath(name).parent)
        titles_by_folder.setdefault(parent, set()).add(document.title)
    for db_id, (name, title, folder) in sorted(databases.items()):
        rows_with_pages = titles_by_folder.get(folder, set())
        documents.append(_database(tree, name, origin, title, db_id, rows_with_pages))
    return documents
