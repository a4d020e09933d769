"""An exported page's HTML as blocks under its headings (Confluence and Notion pages).

Headings (`h1`–`h6`) set the heading path below the page's own path; paragraphs, list items,
table rows, code and quotes become lines of text in the section they fall in.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html

from kenning.schema import Block

HEADINGS = {f"h{n}": n for n in range(1, 7)}
# Elements whose whole text is one line (what they hold inline is part of it).
LEAVES = frozenset({"p", "pre", "blockquote", "dt", "dd", "figcaption", "caption", "summary"})
LISTS = frozenset({"ul", "ol", "dl"})
SKIPPED = frozenset({"script", "style", "noscript", "template", "img", "svg", "button"})
SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def parse_html(data: bytes) -> Any:
    """The document element of an HTML page (lxml)."""
    return lxml.html.document_fromstring(data)


def text_of(element: Any) -> str:
    """An element's text on one line, spaces collapsed."""
    return SPACES.sub(" ", element.text_content()).strip()


def _has_blocks(element: Any) -> bool:
    return any(isinstance(child.tag, str) and (child.tag in LEAVES or child.tag in LISTS
               or child.tag in HEADINGS or child.tag in {"div", "table", "li", "tr", "section",
               "figure", "details"}) for child in element)  # fmt: skip


def blocks_from(root: Any, base: tuple[str, ...]) -> list[Block]:
    """The text under `root` as blocks, one per heading section, headed by `base` + the
    section's heading path (a heading's level above the last one's ends that section)."""
    blocks: list[Block] = []
    levels: list[tuple[int, str]] = []
    lines: list[str] = []

    def flush() -> None:
        text = "\n".join(line for line in lines if line)
        if text.strip():
            blocks.append(Block(text=text, heading_path=base + tuple(t for _, t in levels)))
        lines.clear()

    def visit(element: Any, depth: int = 0) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag or tag in SKIPPED:
            return
        if tag in HEADINGS:
            title = text_of(element)
            if title:
                flush()
                level = HEADINGS[tag]
                while levels and levels[-1][0] >= level:
                    levels.pop()
                levels.append((level, title))
            return
        if tag == "tr":
            cells = [text_of(c) for c in element if isinstance(c.tag, str)]
            lines.append(" | ".join(c for c in cells if c))
            return
        if tag == "li":
            own = [element.text or ""]
            nested = []
            for child in element:
                if isinstance(child.tag, str) and child.tag in LISTS:
                    nested.append(child)
                else:
                    own.append(child.text_content() if isinstance(child.tag, str) else "")
                own.append(child.tail or "")
            line = SPACES.sub(" ", "".join(own)).strip()
            lines.append("  " * depth + "- " + line if line else "")
            for child in nested:
                visit(child, depth + 1)
            return
        if tag in LEAVES or not _has_blocks(element):
            lines.append(text_of(element) if tag != "pre" else element.text_content().strip())
            return
        if element.text and element.text.strip():
            lines.append(SPACES.sub(" ", element.text).strip())
        for child in element:
            visit(child, depth)
            if child.tail and child.tail.strip():
                lines.append(SPACES.sub(" ", child.tail).strip())

    for hidden in root.xpath(".//style | .//script | .//noscript | .//template"):
        hidden.drop_tree()
    visit(root)
    flush()
    return blocks
