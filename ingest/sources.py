"""Finding the files to ingest under the paths a user gives."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from kenning.ingest.codeowners import CODEOWNERS_LOCATIONS
from kenning.ingest.directory import DIRECTORY_NAMES
from kenning.ingest.exports import export_format
from kenning.ingest.sidecar import recording_for

# Folders that hold tooling, not knowledge.
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".kenning",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", "_sources"}
)  # fmt: skip
SKIPPED_NAMES = frozenset({"codeowners", ".ds_store", "thumbs.db", ".gitattributes",
                           ".gitignore", ".kenning.yaml"})  # fmt: skip
IGNORE_FILE = ".kenningignore"


@dataclass(frozen=True)
class SourceFile:
    """A file found for ingestion and the tree (root) it was found in."""

    path: Path
    root: Path
    explicit: bool  # named directly by the user, not found by walking a folder


def is_directory_file(path: Path) -> bool:
    """True for a people directory (`people.yaml`, `people.csv`)."""
    return path.name.lower() in DIRECTORY_NAMES


def ignore_rules(root: Path) -> pathspec.PathSpec | None:
    """The patterns of a `.kenningignore` file (gitignore syntax) at the root, if any."""
    path = root / IGNORE_FILE
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return pathspec.PathSpec.from_lines("gitwildmatch", lines)


def walk(root: Path) -> Iterator[Path]:
    """Every file under a folder, sorted, skipping hidden, tooling and ignored paths."""
    ignored = ignore_rules(root)
    for folder, dirs, files in os.walk(root):
        if ignored is not None:
            relative = Path(folder).relative_to(root)
            dirs[:] = [d for d in dirs if not ignored.match_file(f"{(relative / d).as_posix()}/")]
            files = [f for f in files if not ignored.match_file((relative / f).as_posix())]
        dirs[:] = sorted(
            d for d in dirs if d not in SKIPPED_DIRS and not (d.startswith(".") and d != ".github")
        )
        for name in sorted(files):
            if name.lower() in SKIPPED_NAMES or name.startswith("."):
                continue
            yield Path(folder) / name


def discover(
    paths: list[Path],
) -> tuple[list[SourceFile], list[Path], list[str], list[tuple[str, str]]]:
    """Expand the given paths into files; a recording's sidecar files become the recording.

    A symbolic link found while walking a folder is followed only when it points inside that
    folder: a link to `/etc/passwd` in a shared drive must not become readable knowledge.

    Returns:
        The source files, the people directory files, paths that do not exist, and
        (path, reason) for files refused before parsing (links out of the tree, broken links).
    """
    files: list[SourceFile] = []
    directories: list[Path] = []
    missing: list[str] = []
    refused: list[tuple[str, str]] = []
    seen: set[Path] = set()
    for given in paths:
        if not given.exists():
            missing.append(str(given))
            continue
        root = given.resolve() if given.is_dir() else given.resolve().parent
        if export_format(given) is not None:  # an export (ingest/exports): parsed whole
            files.append(SourceFile(given.resolve(), root, explicit=True))
            continue
        candidates = walk(given) if given.is_dir() else iter([given])
        for path in candidates:
            if given.is_dir() and path.is_symlink():
                reason = link_problem(path, root)
                if reason:
                    refused.append((str(path), reason))
                    continue
            resolved = path.resolve()
            if not is_directory_file(path):
                # A recording's sidecar transcript or .yaml stands for the recording.
                resolved = recording_for(resolved) or resolved
            if resolved in seen:
                continue
            seen.add(resolved)
            if is_directory_file(path):
                directories.append(resolved)
            elif not any(resolved == root / loc for loc in CODEOWNERS_LOCATIONS):
                files.append(SourceFile(resolved, root, explicit=not given.is_dir()))
    return files, directories, missing, refused


def link_problem(path: Path, root: Path) -> str | None:
    """Why a symbolic link met while walking `root` is refused, or None when it is fine."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing target, or a loop of links
        return f"broken symbolic link (points to {os.readlink(path)})"
    if not target.is_relative_to(root):
        return f"symbolic link points outside {root} (to {target}); not followed"
    return None
