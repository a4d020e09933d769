"""Folder-level settings: a `.kenning.yaml` says who may read the documents under it.

```yaml
# finance/.kenning.yaml
groups: [finance, leadership]
```

The nearest `.kenning.yaml` above a file wins (a subfolder may narrow or change its parent's
groups); a document's own `groups:` front matter wins over both. A `.kenning.yaml` that cannot
be read fails the files under it rather than let them be ingested readable by everyone.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from kenning.errors import ParseError

FOLDER_CONFIG = ".kenning.yaml"
KEYS = ("groups",)


def read_folder_config(path: Path) -> tuple[str, ...]:
    """The groups a `.kenning.yaml` names.

    Raises:
        ParseError: the file is not YAML, not a mapping, has unknown keys or bad groups.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ParseError(str(path), f"unreadable: {str(exc).splitlines()[0]}") from None
    data = data or {}
    if not isinstance(data, dict):
        raise ParseError(str(path), "must be a mapping such as 'groups: [finance]'")
    unknown = sorted(set(map(str, data)) - set(KEYS))
    if unknown:
        raise ParseError(
            str(path), f"unknown key {', '.join(unknown)}; valid keys: {', '.join(KEYS)}"
        )
    groups = data.get("groups") or []
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list) or not all(isinstance(g, str | int) for g in groups):
        raise ParseError(str(path), "groups must be a list of names")
    return tuple(dict.fromkeys(str(g).strip() for g in groups if str(g).strip()))


class FolderGroups:
    """The groups `.kenning.yaml` files give each folder, read once per ingest."""

    def __init__(self) -> None:
        self._by_folder: dict[Path, tuple[str, ...] | None] = {}

    def of(self, path: Path) -> tuple[str, ...]:
        """The groups of the nearest `.kenning.yaml` in the file's folder or above it.

        Raises:
            ParseError: naming the file and the `.kenning.yaml` that could not be read.
        """
        for folder in path.resolve().parents:
            try:
                found = self._folder(folder)
            except ParseError as exc:
                raise ParseError(str(path), f"{exc.path}: {exc.reason}") from None
            if found is not None:
                return found
        return ()

    def _folder(self, folder: Path) -> tuple[str, ...] | None:
        if folder not in self._by_folder:
            config = folder / FOLDER_CONFIG
            self._by_folder[folder] = read_folder_config(config) if config.is_file() else None
        return self._by_folder[folder]
