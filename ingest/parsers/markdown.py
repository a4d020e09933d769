"""Markdown: YAML front matter or a header block, then sections by heading."""

from __future__ import annotations

import re
from pathlib import Path

from kenning.ingest.frontmatter import split_front_matter
from kenning.ingest.parsers.textio import read_text
from kenning.ingest.titles import title_from_stem
from kenning.schema import Block, ParsedDocument

HEADERS = [("#" * level, str(level)) for level in range(1, 7)]
ERB_TAG = re.compile(r"<%.*?%>", re.S)
# Spaces other than " " and line breaks: tabs, no-break and narrow no-break spaces.
OTHER_SPACE = re.compile(r"[^\S\n]")


def parse_markdown_text(text: str, source: str, note: str = "") -> ParsedDocument:
    """Parse Markdown already read into memory; `source` names it in errors."""
    meta, body = split_front_matter(text, source)
    # The splitter drops every character `str.isprintable` refuses, and so deletes these
    # spaces: French text writes "19 977 €" and "22 950 euros" with no-break spaces, which
    # came out "19977€"; table cells separated by tabs ran together.
    body = OTHER_SPACE.sub(" ", ERB_TAG.sub("", body))
    # Imported here: LangChain takes 0.13 s to import, which a server would pay before answering.
    from langchain_text_splitters import MarkdownHeaderTextSplitter

    splitter = MarkdownHeaderTextSplitter(HEADERS, strip_headers=True)
    blocks: list[Block] = []
    first_heading = ""
    for section in splitter.split_text(body):
        path = tuple(section.metadata[str(lv)] for lv in range(1, 7) if str(lv) in section.metadata)
        if path and not first_heading:
            first_heading = path[0]
        content = section.page_content.replace("  \n", "\n").strip()
        if content:
            blocks.append(Block(text=content, heading_path=path))
    title = str(meta.get("title") or first_heading or title_from_stem(Path(source)))
    if note:
        meta["_note"] = note
    return ParsedDocument(source=source, title=title, blocks=blocks, meta=meta)


def parse(path: Path) -> ParsedDocument:
    """Parse a Markdown file into heading sections, keeping its front matter as metadata."""
    text, note = read_text(path)
    return parse_markdown_text(text, str(path), note)
