"""Exports of other tools (one module per format): a folder or zip that holds many documents.

`export_format(path)` tells whether a path is an export the ingest should hand to one of these
parsers rather than walk file by file; `parse_export(path)` turns it into `ParsedDocument`s,
each with its own source (a URL, or `<format>://<export path>#<key>`), which then go through
the normal pipeline (people, kinds, chunking, change detection) one by one.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from kenning.errors import ParseError
from kenning.ingest.exports import confluence, github, notion, slack
from kenning.ingest.exports.tree import ExportTree
from kenning.schema import ParsedDocument

# Checked in order: the first whose `matches` accepts the export parses it.
FORMATS: dict[str, ModuleType] = {
    "slack": slack, "github": github, "confluence": confluence, "notion": notion,
}  # fmt: skip


def _candidate(path: Path) -> bool:
    """Cheap first look, so that an ordinary folder is not listed whole: a Slack export has
    `channels.json` at its top; a GitHub one holds only JSON (and a licence or readme); a
    Confluence one `index.html`; a Notion one pages named `<Title> <32-hex id>.md|.html`."""
    if path.is_file():
        return path.suffix.lower() == ".zip"
    if not path.is_dir() or (path / "channels.json").is_file() or (path / "index.html").is_file():
        return path.is_dir()
    if any(notion.NAMED.match(child.name) for child in path.iterdir()):
        return True
    return not any(
        child.is_file() and child.suffix.lower() != ".json"
        and not child.name.lower().startswith(("license", "readme", "."))
        for child in path.iterdir()
    )  # fmt: skip


def export_format(path: Path) -> str | None:
    """The export format of a folder or zip, or None when it is not a known export."""
    if not _candidate(path):
        return None
    try:
        tree = ExportTree(path)
    except (ParseError, OSError):
        return None
    try:
        for name, module in FORMATS.items():
            try:
                if module.matches(tree):
                    return name
            except (ParseError, OSError, KeyError):
                continue
        return None
    finally:
        tree.close()


def parse_export(path: Path, format_name: str | None = None) -> list[ParsedDocument]:
    """The documents of an export.

    Raises:
        ParseError: not a known export, or its files cannot be read.
    """
    format_name = format_name or export_format(path)
    if format_name is None:
        raise ParseError(str(path), f"not an export Kenning reads ({', '.join(FORMATS)})")
    tree = ExportTree(path)
    try:
        return FORMATS[format_name].parse(tree, str(path.resolve()))
    finally:
        tree.close()
