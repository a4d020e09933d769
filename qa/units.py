"""Answer units: a passage split along its own structure, in clean text.

A passage (a chunk's text as ingest stores it: Markdown-like lines with `#` headings, `-`/`1.`
list items, `|` table rows and code fences; plain lines from DOCX, HTML and PDF; `Speaker: text`
lines for transcripts) becomes units a person can act on:

- `procedure`: a numbered list, whole and renumbered ("1. … 2. …"), up to `MAX_STEPS` steps;
  or numbered headings ("## 2. Promote to staging"), each step its heading and first paragraph;
- `list`: a bulleted list, whole; `item`: one of its items;
- `table_row`: a row with its column headers ("Location: Munich, Cap per night: €180");
- `sentence`: a sentence of prose; `paragraph`: a short paragraph of prose, whole (a how-to
  answer often states the case in one sentence and what to do in the next);
- `turn`: a speaker's turn in a transcript (`question` is set when the turn only asks);
- `decision`, `action_item`: an item (or sentence) of a meeting's decisions or actions;
- `section`: a post-mortem section (root cause, impact, lessons...) as its first paragraph.

Every unit's `text` is clean: no Markdown syntax, table pipes or "Page N of M" footers, and no
word cut at the passage's edges (a leading or trailing fragment is dropped). Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class UnitKind(StrEnum):
    """The shape of an answer unit."""

    procedure = "procedure"
    list = "list"
    item = "item"
    table_row = "table_row"
    sentence = "sentence"
    paragraph = "paragraph"
    turn = "turn"
    decision = "decision"
    action_item = "action_item"
    section = "section"


@dataclass(frozen=True)
class Unit:
    """One answer unit of a passage.

    Attributes:
        kind: its shape.
        text: clean text, as an answer shows it.
        order: its position among the passage's units (a whole list comes before its items).
        heading: the heading it sits under (an in-passage heading, else the passage's own).
        speaker: the speaker of a transcript turn or sentence.
        question: True when it only asks (a turn or sentence ending in "?").
        raw: the passage text it was made from, to find and highlight it in the passage.
    """

    kind: UnitKind
    text: str
    order: int
    heading: str = ""
    speaker: str | None = None
    question: bool = False
    raw: str = ""


MAX_STEPS = 12
PARAGRAPH_WORDS = 60  # a longer paragraph is no unit of its own (its sentences are)
STEP_WORDS = 30  # a numbered heading's step shows its first paragraph up to about this
# A step's heading ("2. Promote to staging"), not a numbered question or sentence ("3. A
# customer was charged twice.", "4. Why did the ETA change?").
NUMBERED_HEADING = re.compile(r"^(?P<number>\d{1,2})[.)]\s+\S.*(?<![.?!])$")
RULE_LINE = re.compile(r"^\s*(?:-{3,}|={3,}|_{3,}|\*{3,})\s*$")
# HTML elements an export leaves inline; anything else in angle brackets is text
# ("lark promote <service>", "a <= b") and stays.
HTML_TAGS = (r"a|abbr|b|big|blockquote|br|center|cite|code|col|colgroup|dd|del|details|dfn|div|"
             r"dl|dt|em|font|h[1-6]|hr|i|img|ins|kbd|li|mark|ol|p|pre|q|s|samp|small|span|"
             r"strike|strong|sub|summary|sup|table|tbody|td|tfoot|th|thead|tr|tt|u|ul|var")
SECTION_WORDS = 90  # a post-mortem section unit is cut (at a sentence) past this many words
# A sentence ends at . ! ? before a capital or a digit, but not after an initial ("John B.
# Weller"), a common abbreviation or a step number ("1. Open a shell"); in an answer, the `[n]`
# markers after a sentence stay with it (the split comes after them).
NOT_AN_END = (
    r"(?<!\s[A-Z]\.)(?<!^[A-Z]\.)(?<!^\d\.)(?<!\s\d\.)(?<!^\d\d\.)(?<!\s\d\d\.)"
    r"(?<!\bMr\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bMt\.)(?<!\bNo\.)(?<!\bvs\.)(?<!\be\.g\.)"
    r"(?<!\bi\.e\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bJr\.)(?<!\bSr\.)"
    # French: "M. Dupont", "Mme. Martin", "cf. l'article", "p. ex.", "art. 3", "n° 12"
    r"(?<!\bM\.)(?<!\bMme\.)(?<!\bMlle\.)(?<!\bcf\.)(?<!\bp\.)(?<!\bex\.)(?<!\bart\.)"
    r"(?<!\bav\.)(?<!\bbd\.)"
)
# The next sentence starts with a capital (accented ones too: "État", "À partir de"), a digit,
# or an opening quote or bracket (French « too).
NEXT_SENTENCE = r"\s+(?!\[\d{1,3}\])(?=[\"'(\[“‘«]?\s?[A-ZÀ-ÖØ-Þ0-9])"
SENTENCE_END = re.compile(
    rf"{NOT_AN_END}(?<=[.!?])[\"')\]”’]*{NEXT_SENTENCE}"
    rf"|(?<=[.!?”\"]\s\[\d\]){NEXT_SENTENCE}|(?<=[.!?”\"]\s\[\d\d\]){NEXT_SENTENCE}"
    rf"|(?<=\]\s\[\d\]){NEXT_SENTENCE}"
)
HEADING = re.compile(r"^\s*(#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
ITEM = re.compile(r"^(?P<indent>\s*)(?P<marker>[-*+•]|\d{1,3}[.)])\s+(?P<text>.*)$")
TABLE_ROW = re.compile(r"^\s*\|.*\|?\s*$")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
QUOTE = re.compile(r"^\s*>\s?")
FENCE = re.compile(r"^\s*(```|~~~)")
SPEAKER_LINE = re.compile(r"^(?P<speaker>[^:\n]{1,60}):\s+(?P<text>.+)$")
WRAP_WIDTH = 80
PLAIN_HEADING_WORDS = 8
WRAPPED_END = re.compile(
    r"(?i)(?:,|\b(?:a|an|the|of|to|and|or|in|on|with|for|by|from|that|is|are|was|were|be|at|as"
    r"|than|its|their|our|your|this|these|per|via|into|not|no"
    # French
    r"|de|du|des|la|le|les|à|au|aux|et|ou|en|sur|par|pour|dans|avec|un|une|que|qui|est"
    r"|sont|son|sa|ses|leur|leurs|ce|cette|ces|ne|pas|se|sous|chez|entre))$"
)
KEY_VALUE = re.compile(r"^[\w .'’()-]{1,30}:\s+\S")
PAGE_FOOTER = re.compile(
    r"(?im)^\s*(?:page\s+\d+(?:\s*(?:of|/)\s*\d+)?|\d+\s*(?:of|/)\s*\d+|[-–]\s*\d+\s*[-–])\s*$"
)
INLINE_PAGE = re.compile(r"(?i)\bpage\s+\d+\s+of\s+\d+\b")
TERMINAL = re.compile(r"[.!?:;)\]”\"'’…]$")
# Post-mortem headings whose section is an answer of its own.
SECTION_HEADING = re.compile(
    r"(?i)^(?:\d+[.)]?\s*)?(?:root causes?|causes?|impact|summary|lessons?(?: learn(?:ed|t))?"
    r"|contributing factors?|what went (?:well|wrong)|what didn'?t go well|resolution"
    r"|detection|trigger|cause racine|leçons?)\b"
)
DECISION_HEADING = re.compile(
    r"(?i)^(?:\d+[.)]?\s*)?(?:key )?(?:decisions?|decided|agreed|outcomes?|résolutions?"
    r"|décisions?)\b"
)
ACTION_HEADING = re.compile(
    r"(?i)^(?:\d+[.)]?\s*)?(?:action items?|actions?|next steps|follow[- ]ups?|to ?dos?"
    r"|actions? à mener)\s*$"
)
ACTION_TEXT = re.compile(
    r"^(?:\[[ xX]\]\s*)?(?:@[\w.-]+:|ACTION\b|TODO\b|AI:)"
    r"|^[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)* to [a-z]+\b.*\bby\b"
)

MARKDOWN_SUBS = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images
    (re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^)]*\))+\)"), r"\1"),  # links
    (re.compile(rf"</?(?:{HTML_TAGS})\b[^<>]{{0,80}}/?>", re.I), " "),  # inline HTML tags
    (re.compile(r"^\s*>\s?", re.M), ""),  # block quotes
    (re.compile(r"^\s*#{1,6}\s+", re.M), ""),  # headings
    (re.compile(r"\[[ xX]\]\s*"), ""),  # task boxes
    (re.compile(r"\*\*|__|~~|`"), ""),  # bold, strike-through, code
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *emphasis*
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), r"\1"),  # _emphasis_
)


SPEECH_SUBS = (
    (re.compile(r"\{[a-z_ ]{2,30}\}|\[(?:laughter|laughs|noise|inaudible|crosstalk|music|"
                r"silence|pause|applause)\]", re.I), " "),
    (re.compile(r"(?:(?<=^)|(?<=[\s,.]))(?:um+|uh+|erm|er|hmm+|mm+-?hmm+|mm+|uh-?huh)"
                r"(?:\s*[,.])?(?=\s|$)", re.I), " "),
    (re.compile(r"\s+(?=[,.!?;:%)]|'s\b|'re\b|'ve\b|'ll\b|'d\b|'m\b|n't\b)"), ""),
    (re.compile(r"(?<=\()\s+"), ""),
    (re.compile(r"(?:^|(?<=\s))[,.](?=\s|$)"), " "),
)


def clean_text(text: str) -> str:
    """Text without Markdown syntax, table pipes or page footers, on one line."""
    text = PAGE_FOOTER.sub(" ", text)
    text = INLINE_PAGE.sub(" ", text)
    for pattern, replacement in MARKDOWN_SUBS:
        text = pattern.sub(replacement, text)
    text = re.sub(r"\s*\|\s*", " ", text)
    return " ".join(text.split())


def clean_speech(text: str) -> str:
    """A transcript turn without annotations ({vocalsound}, [laughter]), fillers (um, uh) or
    the spaces some transcribers put before punctuation ("it 's", "yes ,")."""
    for pattern, replacement in SPEECH_SUBS:
        text = pattern.sub(replacement, text)
    text = " ".join(text.split())
    return text[:1].upper() + text[1:] if text[:1].islower() and text[1:2] != "." else text


def sentences_of(text: str) -> list[str]:
    """The sentences of one paragraph (split after . ! ? before a capital or a digit)."""
    return [s.strip() for s in SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def underlined_headings(text: str) -> str:
    """Plain-text headings made Markdown ones: a line underlined with dashes or equals signs
    (Markdown's setext headings, as plain-text FAQs write them) becomes "## line"; any other
    rule line goes (it separates, it says nothing)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not RULE_LINE.match(line):
            continue
        above = lines[i - 1] if i else ""
        if above.strip() and not RULE_LINE.match(above) and not TABLE_ROW.match(above) and (
                not HEADING.match(above)):  # fmt: skip
            lines[i - 1] = f"## {above.strip()}"
        lines[i] = ""
    return "\n".join(lines)


def plain_headings(text: str) -> str:
    """Headings written as plain lines made Markdown ones, as web pages and help articles pasted
    into text files write them: "Taux d'intérêt" above "Le taux est fixé à l'ouverture du
    PEL." (joined, they read "Taux d'intérêt Le taux est fixé…").

    A heading is a run of one or two short lines (`_heading_shaped`) after a blank line, a
    sentence's end or a heading, followed by a longer line of prose that starts with a capital.
    After a line ending with a colon it must also be followed by a whole sentence: short lines
    after "les documents suivants :" are the list it announces."""
    lines = text.split("\n")
    shaped = [_heading_shaped(line) for line in lines]
    i = 0
    while i < len(lines):
        if not shaped[i]:
            i += 1
            continue
        end = i + 1 if i + 1 < len(lines) and shaped[i + 1] else i  # the run's last line
        before = lines[i - 1].strip() if i else ""
        after = lines[end + 1].strip() if end + 1 < len(lines) else ""
        longest = max(len(lines[k].split()) for k in range(i, end + 1))
        follows = (_is_prose(after) and not shaped[end + 1] and after[:1].isupper()
                   and len(after.split()) > longest)  # fmt: skip
        if before.endswith(":"):
            follows = follows and bool(re.search(r"[.!?…]$", after))
        elif before and not HEADING.match(before) and not TERMINAL.search(before):
            follows = False
        if follows:
            for k in range(i, end + 1):
                lines[k] = f"## {lines[k].strip()}"
        i = end + 1
    return "\n".join(lines)


def _heading_shaped(line: str) -> bool:
    """A line that could be a heading: at most `PLAIN_HEADING_WORDS` words, a capital first,
    no punctuation last, not a list item, table row or "key: value" pair."""
    stripped = line.strip()
    return (1 <= len(stripped.split()) <= PLAIN_HEADING_WORDS and stripped[:1].isupper()
            and _is_prose(stripped) and not TERMINAL.search(stripped)
            and not stripped.endswith(",") and not KEY_VALUE.match(stripped))  # fmt: skip


def trim_fragments(text: str) -> str:
    """The passage without a sentence cut at either edge by chunking.

    A first line of prose that starts in lower case loses everything up to its first sentence
    end; a last line of prose of 8 or more words that ends without punctuation loses
    everything after its last sentence end (all of it when it has none).
    """
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and _is_prose(lines[first]) and re.match(r"\s*[a-z,;)]", lines[first]):
        pieces = SENTENCE_END.split(lines[first].strip(), maxsplit=1)
        lines[first] = pieces[1] if len(pieces) > 1 else ""
    last = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), None)
    if last is not None and _is_prose(lines[last]):
        line = lines[last].rstrip()
        if len(line.split()) >= 8 and not TERMINAL.search(line):
            pieces = SENTENCE_END.split(line)
            lines[last] = " ".join(pieces[:-1]) if len(pieces) > 1 else ""
    return "\n".join(lines)


def _is_prose(line: str) -> bool:
    return bool(line.strip()) and not (
        HEADING.match(line) or ITEM.match(line) or TABLE_ROW.match(line) or FENCE.match(line)
    )


@dataclass
class _Block:
    kind: str  # paragraph, list, table, code
    heading: str
    lines: list[str]
    ordered: bool = False


def _blocks(text: str, heading: str) -> list[_Block]:
    """Group lines into paragraphs, lists (one line per item), tables and code blocks."""
    blocks: list[_Block] = []
    in_code = False
    previous_blank = True
    previous_line = ""  # the last line as written (a wrapped paragraph is joined in its block)
    for raw in text.split("\n"):
        line = QUOTE.sub("", raw.rstrip())
        last = blocks[-1] if blocks else None
        if FENCE.match(line):
            in_code = not in_code
            if in_code:
                blocks.append(_Block("code", heading, []))
            previous_blank = False
            continue
        if in_code:
            if last is not None and line.strip():
                last.lines.append(line.strip())
            continue
        if not line.strip():
            previous_blank = True
            continue
        match = HEADING.match(line)
        if match:
            heading = clean_text(match.group("text"))
            previous_blank = True
            continue
        if TABLE_RULE.match(line) and last is not None and last.kind == "table":
            last.ordered = True  # the row above is a header row
            continue
        if TABLE_ROW.match(line):
            if last is None or last.kind != "table" or previous_blank:
                blocks.append(_Block("table", heading, []))
            blocks[-1].lines.append(line)
            previous_blank = False
            continue
        item = ITEM.match(line)
        if item:
            ordered = item.group("marker")[0].isdigit()
            if last is None or last.kind != "list" or last.ordered != ordered or (
                previous_blank and last.heading != heading
            ):
                blocks.append(_Block("list", heading, [], ordered))
            blocks[-1].lines.append(item.group("text").strip())
            previous_blank, previous_line = False, line.strip()
            continue
        stripped = line.strip()
        previous, previous_line = previous_line, stripped
        if last is not None and not previous_blank and last.kind in ("list", "paragraph"):
            if last.kind == "list" or _continues(previous, stripped):
                last.lines[-1] = f"{last.lines[-1]} {stripped}"
                continue
        if last is not None and last.kind == "code" and not previous_blank:
            blocks.append(_Block("paragraph", heading, [stripped]))
        elif last is not None and last.kind == "paragraph" and not previous_blank:
            last.lines.append(stripped)
        else:
            blocks.append(_Block("paragraph", heading, [stripped]))
        previous_blank = False
    return [b for b in blocks if b.lines]


def _continues(previous: str, line: str) -> bool:
    """A wrapped line of the same paragraph, not the next element of a DOCX/HTML export.

    Markdown wraps prose at about 80 characters; exported elements are lines of any length.
    """
    if re.search(r"[.!?]$", previous) or (KEY_VALUE.match(previous) and KEY_VALUE.match(line)):
        return False
    return (line[:1].islower() or bool(WRAPPED_END.search(previous))
            or len(previous) <= WRAP_WIDTH)  # fmt: skip


def _table_rows(lines: list[str], has_header: bool) -> list[tuple[str, str]]:
    """(clean text, raw line) of each data row, as "Header: value, …" when there is a header."""
    cells = [[clean_text(c) for c in line.strip().strip("|").split("|")] for line in lines]
    header = cells[0] if has_header else None
    rows = cells[1:] if has_header else cells
    raws = lines[1:] if has_header else lines
    out = []
    for row, raw in zip(rows, raws, strict=True):
        if header and len(header) == len(row):
            parts = [f"{h}: {v}" if h else v for h, v in zip(header, row, strict=True) if v]
        else:
            parts = [v for v in row if v]
        if parts:
            out.append((", ".join(parts), raw))
    return out


def _item_kind(text: str, heading: str, default: UnitKind = UnitKind.item) -> UnitKind:
    if ACTION_TEXT.search(text) or ACTION_HEADING.search(heading):
        return UnitKind.action_item
    if DECISION_HEADING.search(heading):
        return UnitKind.decision
    return default


def split_units(text: str, kind: str = "document", location: str = "") -> list[Unit]:
    """The answer units of a passage.

    Args:
        text: the passage text as stored.
        kind: the document kind (`document`, `meeting`, `transcript`, `retrospective`).
        location: the passage's location (heading path "A > B", page or time range); its
            last heading is the heading of units before any in-passage heading.

    Example:
        >>> [u.text for u in split_units("| City | Cap |\\n|---|---|\\n| Munich | €180 |")]
        ['City: Munich, Cap: €180']
    """
    if kind == "transcript":
        return _transcript_units(text)
    heading = heading_of(location)
    units: list[Unit] = []
    blocks = _blocks(plain_headings(underlined_headings(trim_fragments(text))), heading)
    steps = _heading_steps(blocks)
    if steps is not None:
        shown, raw, under = steps
        units.append(Unit(UnitKind.procedure, shown, 0, under, raw=raw))
    for block in blocks:
        for unit_kind, shown, raw in _block_units(block):
            shown = shown.strip()
            if len(shown.split()) >= 2 or unit_kind in (UnitKind.table_row, UnitKind.item):
                units.append(Unit(unit_kind, shown, len(units), block.heading,
                                  question=shown.endswith("?"), raw=raw))  # fmt: skip
    return units


def _heading_steps(blocks: list[_Block]) -> tuple[str, str, str] | None:
    """(clean text, raw text, first heading) of the procedure that numbered headings make
    ("## 2. Promote to staging" …), each step its heading and the start of its first
    paragraph (with the command a paragraph ending in ":" introduces); None when fewer than
    two numbered headings follow each other."""
    steps: list[str] = []
    raws: list[str] = []
    seen: list[str] = []
    first = ""
    for i, block in enumerate(blocks):
        match = NUMBERED_HEADING.match(block.heading)
        if not match or block.heading in seen:
            continue
        if seen and int(match.group("number")) != int(NUMBERED_HEADING.match(
                seen[-1]).group("number")) + 1:  # fmt: skip
            break
        seen.append(block.heading)
        first = first or block.heading
        body = clean_text(" ".join(block.lines))
        if block.kind == "paragraph" and body.endswith(":") and i + 1 < len(blocks) and (
                blocks[i + 1].kind == "code" and blocks[i + 1].heading == block.heading):
            body = f"{body} {clean_text(' '.join(blocks[i + 1].lines))}"  # fmt: skip
        kept: list[str] = []
        for sentence in sentences_of(body):
            if kept and len(" ".join(kept).split()) + len(sentence.split()) > STEP_WORDS:
                break
            kept.append(sentence)
        # Numbered as the document numbers them: a chunk may start at step 2.
        steps.append(f"{block.heading}: {' '.join(kept)}" if kept else block.heading)
        raws.append(block.heading)
        if len(steps) >= MAX_STEPS:
            break
    if len(steps) < 2:
        return None
    return "\n".join(steps), "\n".join(raws), first


def holds_steps(text: str) -> bool:
    """Whether a passage holds a procedure: a numbered list or numbered headings."""
    return any(u.kind is UnitKind.procedure for u in split_units(text))


def heading_of(location: str) -> str:
    """The last heading of a passage's location ("A > B, page 3" -> "B")."""
    location = re.sub(r"(?:,\s*)?(?:(?:page|slide) \d+|\d{2}:\d{2}:\d{2}(?:–\d{2}:\d{2}:\d{2})?)$",
                      "", location.strip())  # fmt: skip
    location = re.sub(r"(?:,\s*)?(?:page|slide) \d+$", "", location.strip())
    return location.split(" > ")[-1].strip()


def _block_units(block: _Block) -> list[tuple[UnitKind, str, str]]:
    """(kind, clean text, raw text) of each unit of a block, in order."""
    if block.kind == "table":
        return [(UnitKind.table_row, shown, raw)
                for shown, raw in _table_rows(block.lines, block.ordered)]  # fmt: skip
    if block.kind == "code":
        return [(UnitKind.sentence, clean_text(" ".join(block.lines)), "\n".join(block.lines))]
    out: list[tuple[UnitKind, str, str]] = []
    if block.kind == "list":
        items = [clean_text(line) for line in block.lines]
        if len(items) >= 2 and block.ordered:
            steps = [f"{i}. {item}" for i, item in enumerate(items[:MAX_STEPS], start=1)]
            steps += ["…"] if len(items) > MAX_STEPS else []
            out.append((UnitKind.procedure, "\n".join(steps), "\n".join(block.lines)))
        elif len(items) >= 2:
            out.append((UnitKind.list, "\n".join(f"- {item}" for item in items),
                        "\n".join(block.lines)))  # fmt: skip
        out += [(_item_kind(raw, block.heading), item, raw)
                for item, raw in zip(items, block.lines, strict=True)]  # fmt: skip
        return out
    in_section = SECTION_HEADING.search(block.heading)
    for number, line in enumerate(block.lines):
        sentences = sentences_of(line)
        if 2 <= len(sentences) and len(line.split()) <= PARAGRAPH_WORDS and not in_section:
            out.append((UnitKind.paragraph, clean_text(line), line))
        if in_section and number == 0 and len(sentences) > 1:
            kept: list[str] = []
            for sentence in sentences:
                if kept and len(" ".join(kept).split()) + len(sentence.split()) > SECTION_WORDS:
                    break
                kept.append(sentence)
            out.append((UnitKind.section, clean_text(" ".join(kept)), line))
        out += [(_item_kind(sentence, block.heading, UnitKind.sentence), clean_text(sentence),
                 sentence) for sentence in sentences]  # fmt: skip
    return out


def _transcript_units(text: str) -> list[Unit]:
    """A turn per `Speaker: text` line, then its sentences (each with the speaker)."""
    units: list[Unit] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        match = SPEAKER_LINE.match(line)
        speaker, said = (match.group("speaker").strip(), match.group("text")) if match else (
            None, line)  # fmt: skip
        shown = clean_text(clean_speech(said))
        sentences = sentences_of(shown)
        asks = bool(sentences) and all(s.endswith("?") for s in sentences[-1:]) and (
            sum(s.endswith("?") for s in sentences) * 2 >= len(sentences))  # fmt: skip
        units.append(Unit(UnitKind.turn, shown, len(units), "", speaker, asks, line))
        if len(sentences) > 1:
            for sentence in sentences:
                units.append(Unit(UnitKind.sentence, sentence, len(units), "", speaker,
                                  sentence.endswith("?"), sentence))  # fmt: skip
    return [u for u in units if u.text]
