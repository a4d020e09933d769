"""CODEOWNERS files (GitHub and GitLab syntax): the last matching rule names the owners."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pathspec

CODEOWNERS_LOCATIONS: tuple[str, ...] = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS",
                                         ".gitlab/CODEOWNERS")
SECTION = re.compile(r"^\^?\[[^\]]+\](\[\d+\])?")


@dataclass(frozen=True)
class CodeOwners:
    """The rules of one CODEOWNERS file, relative to the folder it governs."""

    root: Path
    rules: tuple[tuple[pathspec.PathSpec, tuple[str, ...]], ...]

    def owners_of(self, path: Path) -> tuple[str, ...]:
        """The owners of a file (handles or emails), or () when no rule matches it."""
        try:
            relative = path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return ()
        owners: tuple[str, ...] = ()
        for spec, rule_owners in self.rules:
            if spec.match_file(relative):
                owners = rule_owners  # the last match wins
        return owners


def parse_codeowners(text: str, root: Path) -> CodeOwners:
    """Parse the text of a CODEOWNERS file governing the tree at `root`."""
    rules: list[tuple[pathspec.PathSpec, tuple[str, ...]]] = []
    default_owners: tuple[str, ...] = ()
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        section = SECTION.match(line)
        if section:  # GitLab section, optionally with default owners
            default_owners = tuple(line[section.end() :].split())
            continue
        pattern, *owners = line.split()
        spec = pathspec.PathSpec.from_lines("gitwildmatch", [pattern.replace("\\ ", " ")])
        rules.append((spec, tuple(owners) or default_owners))
    return CodeOwners(root=root, rules=tuple(rules))


def find_codeowners(root: Path) -> CodeOwners | None:
    """The CODEOWNERS file governing a tree, looked up where GitHub and GitLab look."""
    for location in CODEOWNERS_LOCATIONS:
        candidate = root / location
        if candidate.is_file():
            return parse_codeowners(candidate.read_text(encoding="utf-8", errors="replace"), root)
    return None
