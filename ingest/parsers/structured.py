"""HTML, DOCX and PPTX through unstructured: titles become heading paths, slides pages."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from kenning.errors import ParseError
from kenning.ingest.parsers import unstructured_offline
from kenning.ingest.parsers.textio import looks_binary
from kenning.ingest.titles import title_from_stem
from kenning.schema import Block, ParsedDocument

SKIPPED_CATEGORIES = frozenset({"PageBreak", "Header", "Footer", "PageNumber", "Image"})
# A DOCX/PPTX is a ZIP; its parsers inflate whole parts in memory, so the total they may
# inflate is capped. Real documents under the 50 MB file limit expand to far less.
MAX_EXPANDED_BYTES = 256 * 1024 * 1024
# What a page's <title> adds after its heading: the site's name ("… - Larkspur Wiki").
SITE_SUFFIX = re.compile(r"\s*[-|·–—:]\s*\S.{0,60}")


def elements_to_blocks(elements: list[Any], slides: bool = False) -> tuple[list[Block], str]:
    """Group partitioned elements into blocks under their heading path; also the first title.

    With `slides` (PPTX), a slide's heading is the title of its title shape only: unstructured
    labels any short line of a slide's body a `Title` too (one level deeper than the
    paragraph), and those lines are the slide's bullets, kept as `- ` list items indented by
    their level. Each slide starts a new heading path.
    """
    blocks: list[Block] = []
    path: list[str] = []
    first_title = ""
    pending: list[str] = []
    page: int | None = None

    def flush() -> None:
        if pending:
            blocks.append(Block(text="\n".join(pending), heading_path=tuple(path), page=page))
            pending.clear()

    for element in elements:
        text = (element.text or "").strip()
        if not text or element.category in SKIPPED_CATEGORIES:
            continue
        element_page = getattr(element.metadata, "page_number", None)
        depth = getattr(element.metadata, "category_depth", None) or 0
        if element_page != page:
            flush()
            page = element_page
            if slides:
                path = []
        if slides:
            if element.category == "Title" and depth == 0 and not path and not pending:
                path = [text]
                first_title = first_title or text
            elif element.category == "Table":
                pending.append(text)
            else:
                level = max(0, depth - 1) if element.category == "Title" else depth
                pending.append(f"{'  ' * level}- {' '.join(text.split())}")
        elif element.category == "Title":
            flush()
            path = path[:depth] + [text]
            first_title = first_title or text
        else:
            pending.append(text)
    flush()
    return blocks, first_title


def core_properties(path: Path, fmt: str) -> dict[str, str]:
    """Author and title from the Office core properties of a DOCX or PPTX file."""
    try:
        if fmt == "docx":
            import docx

            props = docx.Document(str(path)).core_properties
        else:
            import pptx

            props = pptx.Presentation(str(path)).core_properties
    except Exception:  # the partitioner already reported a corrupt file
        return {}
    out = {"author": props.author or "", "title": props.title or ""}
    if props.modified:
        out["updated"] = props.modified.date().isoformat()
    if props.created:
        out["created"] = props.created.date().isoformat()
    return {k: v for k, v in out.items() if v}


def html_meta(path: Path) -> dict[str, str]:
    """Title and author from an HTML page's <title> and <meta> tags."""
    import lxml.html

    try:
        tree = lxml.html.parse(str(path))
    except Exception:
        return {}
    out: dict[str, str] = {}
    titles = tree.xpath("//title/text()")
    if titles and titles[0].strip():
        out["title"] = titles[0].strip()
    for name in ("author", "owner", "keywords"):
        values = tree.xpath(f"//meta[@name='{name}']/@content")
        if values and values[0].strip():
            out["tags" if name == "keywords" else name] = values[0].strip()
    return out


def check_archive(path: Path, fmt: str) -> None:
    """Refuse a DOCX/PPTX that is not a ZIP or would inflate past `MAX_EXPANDED_BYTES`.

    The sizes are those the archive declares; `zipfile` never inflates a member past its
    declared size, so a lying header cannot get around this.

    Raises:
        ParseError: not a ZIP archive, or a zip bomb.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise ParseError(str(path), f"not a {fmt.upper()} file (broken ZIP: {exc})") from exc
    if expanded > MAX_EXPANDED_BYTES:
        raise ParseError(
            str(path),
            f"refused: would expand to {expanded / 1048576:,.0f} MB "
            f"(over {MAX_EXPANDED_BYTES // 1048576} MB; a zip bomb?)",
        )


def parse_format(path: Path, fmt: str) -> ParsedDocument:
    """Parse an HTML, DOCX or PPTX file into blocks and metadata."""
    data = path.read_bytes()
    if not data.strip():
        raise ParseError(str(path), "empty file")
    if fmt == "html" and looks_binary(data):
        raise ParseError(str(path), "binary content in an HTML file")
    if fmt in ("docx", "pptx"):
        check_archive(path, fmt)
    elements = unstructured_offline.partition(path, fmt)
    blocks, first_title = elements_to_blocks(elements, slides=fmt == "pptx")
    meta: dict[str, Any] = html_meta(path) if fmt == "html" else core_properties(path, fmt)
    if fmt == "pptx":
        meta["_page_label"] = "slide"
    title = meta.get("title") or first_title or title_from_stem(path)
    if first_title and SITE_SUFFIX.fullmatch(str(title)[len(first_title):]) and str(
            title).startswith(first_title):  # "Incident severity levels - Larkspur Wiki"
        title = first_title
    doc = ParsedDocument(source=str(path), title=str(title), blocks=blocks, meta=meta)
    if meta.get("author"):
        doc.people.append(("author", str(meta["author"]), f"author of the {fmt.upper()} file"))
    return doc


def parse_html(path: Path) -> ParsedDocument:
    """Parse an HTML page."""
    return parse_format(path, "html")


def parse_docx(path: Path) -> ParsedDocument:
    """Parse a Word document."""
    return parse_format(path, "docx")


def parse_pptx(path: Path) -> ParsedDocument:
    """Parse a PowerPoint deck; each slide is a page."""
    return parse_format(path, "pptx")
