"""A cited passage as HTML: its Markdown rendered (tables as tables, lists as lists), any HTML
it holds shown as text, the spans the answer quotes marked in bold, and, when the answer quotes
nothing (an LLM's answer), the question's words marked instead.

Passages are untrusted. markdown-it parses them with raw HTML off, so `<script>` in a passage
is text; links with `javascript:` or `data:` targets are not made; images are off, so showing a
passage never makes the browser fetch anything. The spans to mark are found in the source
text, where they are exact, and carried through parsing by two private-use characters placed
around each line's (or table cell's) text; each piece of text between them is escaped and
wrapped in its own `<mark>`, so a mark never straddles the structure Markdown builds.
"""

from __future__ import annotations

import re
from functools import cache
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

OPEN, CLOSE = "\ue000", "\ue001"
MARKERS = re.compile(f"([{OPEN}{CLOSE}])")
# What opens a Markdown line but is not its text: list markers, task boxes, headings, quotes.
LINE_MARKUP = re.compile(
    r"^[ \t]*(?:(?:[-*+]|\d+[.)])[ \t]+(?:\[[ xX]\][ \t]+)?|#{1,6}[ \t]+|>[ \t]?)*"
)
TABLE_DELIMITER = re.compile(r"^\s*\|?(?:\s*:?-+:?\s*\|)+\s*:?-*:?\s*\|?\s*$")
CELL_EDGE = re.compile(r"(?<!\\)\|")
PASSAGE_CHARS = 1200  # a longer passage is shown as an excerpt of whole lines around its focus


@cache
def _parser(breaks: bool) -> MarkdownIt:
    """The Markdown parser, made on first use (the server imports this module at start)."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False, "breaks": breaks})
    return parser.enable(["table", "strikethrough"]).disable("image")


def passage_html(
    text: str, quotes: list[str] | None = None, terms: re.Pattern[str] | None = None,
    lines_apart: bool = False, width: int = PASSAGE_CHARS,
) -> str:  # fmt: skip
    """A passage (or an excerpt of it around what the answer quotes) as safe HTML.

    Args:
        text: the passage as stored (Markdown-like lines).
        quotes: spans of `text` the answer quotes, marked `<mark class="kn-quote">`.
        terms: words to mark `<mark class="kn-term">` when no quote is found in the text.
        lines_apart: keep each line on its own (transcripts: one turn per line).
        width: the characters shown at most, in whole lines (tables keep their header).

    Returns:
        The HTML, with no markup from the passage itself.
    """
    text = MARKERS.sub("", text.replace("\r\n", "\n"))
    spans = _spans(text, quotes or [])
    focus = spans[0][0] if spans else _first_match(text, terms)
    shown, offset, (first, last) = excerpt(text, focus, width)
    kept = [(max(a, first), min(b, last)) for a, b in spans]
    marked = _insert_markers(shown, [(a - offset, b - offset) for a, b in kept if a < b])
    parser = _parser(lines_apart)
    tokens = parser.parse(marked)
    _mark_tokens(tokens, None if spans else terms)
    return MARKERS.sub("", parser.renderer.render(tokens, parser.options, {}))


def _spans(text: str, quotes: list[str]) -> list[tuple[int, int]]:
    """Where each quote is in the text, in order, overlapping ones merged."""
    found = sorted((i, i + len(q)) for q in quotes if q and (i := text.find(q)) >= 0)
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _first_match(text: str, terms: re.Pattern[str] | None) -> int:
    found = terms.search(text) if terms else None
    return found.start() if found else 0


def excerpt(
    text: str, focus: int, width: int = PASSAGE_CHARS
) -> tuple[str, int, tuple[int, int]]:
    """Whole lines of `text` around the character `focus`, about `width` characters, with
    "…" where lines were left out; a table keeps its header rows.

    Returns:
        The excerpt; what to subtract from a position in `text` to find it in the excerpt;
        the range of `text` the excerpt's lines (after any it adds) come from.
    """
    if len(text) <= width:
        return text, 0, (0, len(text))
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    at = max(i for i in range(len(lines)) if starts[i] <= focus)
    first = at
    while first > 0 and lines[first - 1].strip() and starts[at] - starts[first - 1] < width // 3:
        first -= 1
    last = at
    while last + 1 < len(lines) and starts[last + 2] - starts[first] <= width:
        last += 1
    header: list[str] = []
    if lines[first].lstrip().startswith("|"):
        top = first
        while top > 0 and lines[top - 1].lstrip().startswith("|"):
            top -= 1
        if top < first and top + 1 < len(lines) and TABLE_DELIMITER.match(lines[top + 1]):
            header = lines[top : min(top + 2, first)]
    before = ("…", "", *header) if first > 0 else ()
    after = ("", "…") if last + 1 < len(lines) else ()
    body = "\n".join([*before, *lines[first : last + 1], *after])
    added = len("\n".join(before)) + 1 if before else 0
    return body, starts[first] - added, (starts[first], starts[last + 1] - 1)


def _insert_markers(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with OPEN/CLOSE around the text of each line (or table cell) a span covers."""
    inserts: list[tuple[int, str]] = []
    start_of_line = 0
    for line in text.split("\n"):
        end_of_line = start_of_line + len(line)
        for a, b in spans:
            a, b = max(a, start_of_line), min(b, end_of_line)
            if a < b:
                inserts += _line_markers(line, start_of_line, a, b)
        start_of_line = end_of_line + 1
    out = text
    for position, marker in sorted(inserts, key=lambda item: item[0], reverse=True):
        out = out[:position] + marker + out[position:]
    return out


def _line_markers(line: str, offset: int, a: int, b: int) -> list[tuple[int, str]]:
    """Markers for the part [a, b) of one line (absolute positions), around text only."""
    if line.lstrip().startswith("|"):
        if TABLE_DELIMITER.match(line):
            return []
        edges = [m.start() + offset for m in CELL_EDGE.finditer(line)]
        cells = zip(edges, [*edges[1:], offset + len(line)], strict=True)
        return [marker for left, right in cells
                for marker in _trimmed(line, offset, max(a, left + 1), min(b, right))]  # fmt: skip
    markup = LINE_MARKUP.match(line)
    return _trimmed(line, offset, max(a, offset + (markup.end() if markup else 0)), b)


def _trimmed(line: str, offset: int, a: int, b: int) -> list[tuple[int, str]]:
    """OPEN at a and CLOSE at b, moved inwards past spaces; nothing when only spaces remain."""
    while a < b and line[a - offset].isspace():
        a += 1
    while b > a and line[b - offset - 1].isspace():
        b -= 1
    return [(a, OPEN), (b, CLOSE)] if a < b else []


def _mark_tokens(tokens: list[Token], terms: re.Pattern[str] | None) -> None:
    """Turn the text of the parsed passage into escaped HTML with its marks; open links in a
    new tab, without telling the target where they came from."""
    for token in tokens:
        if token.type in ("fence", "code_block"):
            token.content = MARKERS.sub("", token.content)
        for child in token.children or []:
            if child.type == "link_open":
                child.attrSet("target", "_blank")
                child.attrSet("rel", "noopener noreferrer")
            elif child.type == "code_inline":
                child.content = MARKERS.sub("", child.content)
        if token.type == "inline" and token.children:
            inside = False
            for child in token.children:
                if child.type == "text":
                    child.content, inside = _marked_text(child.content, inside, terms)
                    child.type = "html_inline"  # already escaped: rendered as is


def _marked_text(text: str, inside: bool, terms: re.Pattern[str] | None) -> tuple[str, bool]:
    """Escaped text with quotes (between markers) and terms marked; whether a quote is still
    open at its end."""
    out: list[str] = []
    for piece in MARKERS.split(text):
        if piece in (OPEN, CLOSE):
            inside = piece == OPEN
        elif piece and inside:
            out.append(f'<mark class="kn-quote">{escape(piece)}</mark>')
        elif piece:
            out.append(_terms_marked(piece, terms))
    return "".join(out), inside


def _terms_marked(text: str, terms: re.Pattern[str] | None) -> str:
    if terms is None:
        return escape(text)
    out: list[str] = []
    last = 0
    for match in terms.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f'<mark class="kn-term">{escape(match.group(0))}</mark>')
        last = match.end()
    return "".join(out) + escape(text[last:])
