"""PDF with pdfminer.six: text per page, author and title from the document info."""

from __future__ import annotations

import re
from pathlib import Path

from kenning.errors import ParseError
from kenning.ingest.titles import title_from_stem
from kenning.schema import Block, ParsedDocument

PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})(\d{2})")  # "D:20260227150000+00'00'"


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
    """Parse a PDF into one block per page, keeping page numbers.

    Raises:
        ParseError: the PDF is corrupt, encrypted, or has no extractable text.
    """
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    data = path.read_bytes()
    if not data.strip():
        raise ParseError(str(path), "empty file")
    if not data.lstrip()[:5] == b"%PDF-":
        raise ParseError(str(path), "not a PDF file (no %PDF- header)")
    blocks: list[Block] = []
    try:
        meta: dict[str, object] = dict(document_info(path))
        for number, page in enumerate(extract_pages(str(path)), start=1):
            parts = [el.get_text() for el in page if isinstance(el, LTTextContainer)]
            text = "\n".join(" ".join(p.split()) for p in parts if p.strip())
            if text.strip():
                blocks.append(Block(text=text, page=number))
    except Exception as exc:  # pdfminer raises many types for corrupt files
        raise ParseError(str(path), f"cannot read PDF: {type(exc).__name__}: {exc}") from exc
    if not blocks:
        raise ParseError(str(path), "PDF has no extractable text (scanned? OCR is not enabled)")
    title = str(meta.get("title") or title_from_stem(path))
    doc = ParsedDocument(source=str(path), title=title, blocks=blocks, meta=meta)
    if meta.get("author"):
        doc.people.append(("author", str(meta["author"]), "author of the PDF"))
    return doc
