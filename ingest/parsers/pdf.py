"""PDF with pdfminer.six: text per page under the headings the fonts show, author and title
from the document info.

A PDF has no headings, only text in fonts. The size most of its characters are set in is the
body's; a short line set at least `HEADING_RATIO` times larger is a heading, one level per
size (the largest first), so passages cite "4. Findings by vendor, page 2" and not only the
page. Lines repeated on most pages (running headers and footers: "Page 2 of 3", a company's
name) are dropped, and a PDF without a title in its document information takes its first
top-level heading.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

from kenning.errors import ParseError
from kenning.ingest.titles import title_from_stem
from kenning.schema import Block, ParsedDocument

PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})(\d{2})")  # "D:20260227150000+00'00'"
HEADING_RATIO = 1.2  # of the body's font size
HEADING_CHARS = 120  # a longer line is text, whatever its size
RUNNING_SHARE = 0.5  # a line on at least this share of the pages (and 3) runs on every page
DIGITS = re.compile(r"\d+")
SIZE_SAMPLE = 200  # characters whose sizes tell a container's size
CELL_CHARS = 60  # a table cell is one short line
MIN_CELLS = 6
ROW_TOLERANCE = 0.5  # of the font size: cells whose tops are this close share a row
GRID_SHARE = 0.6  # of the rows have the most common number of cells


@dataclass
class _Line:
    """A text container of a page: its text, its characters' main size, where it starts
    (left, top) and how many text lines it has."""

    page: int
    text: str
    size: float
    x0: float = 0.0
    top: float = 0.0
    rows: int = 1  # text lines in the container


def _decode(value: object) -> str:
    """A PDF text string: UTF-16 when it starts with a byte-order mark, else PDFDocEncoding."""
    from pdfminer.utils import decode_text

    if isinstance(value, bytes):
        if value[:2] in (b"\xfe\xff", b"\xff\xfe"):
            return value.decode("utf-16", errors="replace").strip()
        return decode_text(value).strip()
    return str(value).strip() if value else ""


def document_info(path: Path) -> dict[str, str]:
    """Title, author and dates (created, updated as YYYY-MM-DD) from the PDF's document
    information dictionary."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    with path.open("rb") as handle:
        info = PDFDocument(PDFParser(handle)).info
    out: dict[str, str] = {}
    for entry in info:
        for key in ("Title", "Author"):
            value = _decode(entry.get(key))
            if value:
                out[key.lower()] = value
        for key, name in (("CreationDate", "created"), ("ModDate", "updated")):
            stamp = PDF_DATE.match(_decode(entry.get(key)) or "")
            if stamp:
                out[name] = "-".join(stamp.groups())
    return out


def parse(path: Path) -> ParsedDocument:
    """Parse a PDF into one block per page and heading section, keeping page numbers.

    Raises:
        ParseError: the PDF is corrupt, encrypted, or has no extractable text.
    """
    from pdfminer.high_level import extract_pages

    data = path.read_bytes()
    if not data.strip():
        raise ParseError(str(path), "empty file")
    if not data.lstrip()[:5] == b"%PDF-":
        raise ParseError(str(path), "not a PDF file (no %PDF- header)")
    try:
        meta: dict[str, object] = dict(document_info(path))
        lines = [line for number, page in enumerate(extract_pages(str(path)), start=1)
                 for line in _lines(number, page)]  # fmt: skip
    except Exception as exc:  # pdfminer raises many types for corrupt files
        raise ParseError(str(path), f"cannot read PDF: {type(exc).__name__}: {exc}") from exc
    blocks, first_heading = _sections(_without_running_lines(lines))
    if not blocks:
        raise ParseError(str(path), "PDF has no extractable text (scanned? OCR is not enabled)")
    title = str(meta.get("title") or first_heading or title_from_stem(path))
    blocks = [replace(b, heading_path=b.heading_path[1:])  # the title heads the document
              if b.heading_path[:1] and b.heading_path[0].casefold() == title.casefold() else b
              for b in blocks]  # fmt: skip
    doc = ParsedDocument(source=str(path), title=title, blocks=blocks, meta=meta)
    if meta.get("author"):
        doc.people.append(("author", str(meta["author"]), "author of the PDF"))
    return doc


def _lines(number: int, page: Any) -> list[_Line]:  # noqa: ANN401 - pdfminer has no types
    """The page's text containers with the size most of their characters are set in."""
    from pdfminer.layout import LTChar, LTTextContainer, LTTextLine

    out: list[_Line] = []
    for element in page:
        if not isinstance(element, LTTextContainer):
            continue
        text = " ".join(element.get_text().split())
        if not text:
            continue
        lines = [line for line in element if isinstance(line, LTTextLine)]
        sample = islice((char for line in lines for char in line if isinstance(char, LTChar)),
                        SIZE_SAMPLE)  # fmt: skip
        sizes = Counter(round(char.size, 1) for char in sample)
        size = sizes.most_common(1)[0][0] if sizes else 0.0
        out.append(_Line(number, text, size, element.x0, element.y1, len(lines)))
    return out


def _tables(lines: list[_Line], body_size: float) -> list[_Line]:
    """A page's lines with each grid of one-line cells (a table the PDF draws cell by cell,
    which pdfminer reads column by column) replaced by one line holding it as a Markdown table,
    row by row under its first row: "| Vendor | Service | Rating |"."""
    out: list[_Line] = []
    run: list[_Line] = []
    for line in [*lines, None]:
        if (line is not None and line.rows == 1 and len(line.text) <= CELL_CHARS
                and not _is_heading(line, body_size)
                and (not run or run[-1].page == line.page)):  # fmt: skip
            run.append(line)
            continue
        table = _grid(run) if len(run) >= MIN_CELLS else None
        out.extend([table] if table is not None else run)
        run = []
        if line is not None:
            out.append(line)
    return out


def _grid(cells: list[_Line]) -> _Line | None:
    """The cells as one Markdown table line when they lie in rows of two or more, else None."""
    rows: list[list[_Line]] = []
    for cell in sorted(cells, key=lambda c: -c.top):
        if rows and abs(rows[-1][0].top - cell.top) <= ROW_TOLERANCE * max(cell.size, 1.0):
            rows[-1].append(cell)
        else:
            rows.append([cell])
    widths = Counter(len(row) for row in rows)
    width, count = widths.most_common(1)[0]
    if width < 2 or len(rows) < 2 or count < GRID_SHARE * len(rows):
        return None
    table = ["| " + " | ".join(c.text.replace("|", "/") for c in sorted(row, key=lambda c: c.x0))
             + " |" for row in rows]  # fmt: skip
    table.insert(1, "|" + "---|" * len(rows[0]))
    first = cells[0]
    return _Line(first.page, "\n".join(table), max(c.size for c in cells), first.x0,
                 rows[0][0].top, len(rows))


def _without_running_lines(lines: list[_Line]) -> list[_Line]:
    """The lines, less those repeated (digits aside) on most pages of a document of 3 or more."""
    pages = len({line.page for line in lines})
    if pages < 3:
        return lines
    on_pages = Counter(text for _, text in {(line.page, DIGITS.sub("#", line.text))
                                            for line in lines})  # fmt: skip
    running = {text for text, count in on_pages.items()
               if count >= 3 and count >= RUNNING_SHARE * pages}  # fmt: skip
    return [line for line in lines if DIGITS.sub("#", line.text) not in running]


def _sections(lines: list[_Line]) -> tuple[list[Block], str]:
    """One block per page and heading section, and the first top-level heading ("" if none)."""
    body = Counter()
    for line in lines:
        body[line.size] += len(line.text)
    body_size = body.most_common(1)[0][0] if body else 0.0
    lines = _tables(lines, body_size)
    heading_sizes = sorted({line.size for line in lines if _is_heading(line, body_size)},
                           reverse=True)  # fmt: skip
    path: list[tuple[float, str]] = []
    blocks: list[Block] = []
    texts: list[str] = []
    page = None
    first_heading = ""

    def flush() -> None:
        if texts:
            blocks.append(Block(text="\n".join(texts), page=page,
                                heading_path=tuple(text for _, text in path)))  # fmt: skip
            texts.clear()

    for line in lines:
        if line.page != page:
            flush()
            page = line.page
        if _is_heading(line, body_size):
            flush()
            path = [(size, text) for size, text in path if size > line.size]
            path.append((line.size, line.text))
            if not first_heading and line.size == heading_sizes[0]:
                first_heading = line.text
            continue
        texts.append(line.text)
    flush()
    return blocks, first_heading


def _is_heading(line: _Line, body_size: float) -> bool:
    return (body_size > 0 and line.size >= HEADING_RATIO * body_size and "\n" not in line.text
            and len(line.text) <= HEADING_CHARS and any(c.isalpha() for c in line.text))
