"""Plain text: paragraphs, or a transcript when most lines are `Name: words`."""

from __future__ import annotations

import re
from pathlib import Path

from kenning.ingest.frontmatter import leading_fields, split_front_matter
from kenning.ingest.parsers import transcript_text
from kenning.ingest.parsers.textio import read_text
from kenning.ingest.titles import title_from_stem
from kenning.schema import Block, ParsedDocument


def parse(path: Path) -> ParsedDocument:
    """Parse a text file; speaker-labelled text becomes a transcript."""
    text, note = read_text(path)
    meta, body = split_front_matter(text, str(path))
    fields, heading, rest = leading_fields(body) if not meta else ({}, "", body)
    if fields:
        meta = {**fields, **({"title": heading} if heading else {})}
        if transcript_text.is_speaker_labelled(rest):
            body = rest
    if transcript_text.is_speaker_labelled(body):
        doc = ParsedDocument(
            source=str(path),
            title=str(meta.get("title") or title_from_stem(path)),
            blocks=transcript_text.parse_turns(body, str(path)),
            kind="transcript",
            meta=meta,
        )
    else:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
        first = paragraphs[0].splitlines()[0].strip() if paragraphs else ""
        title = str(meta.get("title") or (first if 0 < len(first) <= 80 else title_from_stem(path)))
        doc = ParsedDocument(
            source=str(path),
            title=title,
            blocks=[Block(text="\n\n".join(paragraphs))] if paragraphs else [],
            meta=meta,
        )
    if note:
        doc.meta["_note"] = note
    return doc
