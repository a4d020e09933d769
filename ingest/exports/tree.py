"""The files of an export, whether it is a folder or a zip, by their path inside it."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from kenning.errors import ParseError

# An export is read whole; past this many bytes of JSON it is refused rather than loaded.
MAX_EXPORT_BYTES = 512 * 1024 * 1024


class ExportTree:
    """Read-only access to an export's files by relative POSIX path (`general/2023-04-13.json`).

    A zip whose files all sit in one top folder is read as if that folder were the root.

    Args:
        path: the export folder or `.zip` file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._prefix = ""
        if path.is_dir():
            found = (p.relative_to(path) for p in path.rglob("*") if p.is_file())
            self._names = sorted(
                r.as_posix() for r in found if not any(part.startswith(".") for part in r.parts)
            )
        else:
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise ParseError(str(path), f"not a readable zip: {exc}") from exc
            self._zip = _unwrap(self._zip, path)
            names = [n for n in self._zip.namelist() if not n.endswith("/")]
            tops = {PurePosixPath(n).parts[0] for n in names if "/" in n}
            if len(tops) == 1 and all("/" in n for n in names):
                self._prefix = f"{tops.pop()}/"
            self._names = sorted(n[len(self._prefix):] for n in names)

    def names(self) -> list[str]:
        """Every file's relative path, sorted."""
        return list(self._names)

    def exists(self, name: str) -> bool:
        """Whether the export holds this file."""
        return name in self._names

    def read_bytes(self, name: str) -> bytes:
        """A file's bytes."""
        if self._zip is not None:
            info = self._zip.getinfo(self._prefix + name)
            if info.file_size > MAX_EXPORT_BYTES:
                raise ParseError(str(self.path), f"{name} is too large to read")
            return self._zip.read(info)
        return (self.path / name).read_bytes()

    def read_json(self, name: str) -> Any:
        """A JSON file, parsed (a UTF-8 byte-order mark is allowed)."""
        try:
            return json.loads(self.read_bytes(name).decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"{self.path}!{name}", f"invalid JSON: {exc}") from exc

    def close(self) -> None:
        """Close the zip, if one is open."""
        if self._zip is not None:
            self._zip.close()


def _unwrap(archive: zipfile.ZipFile, path: Path) -> zipfile.ZipFile:
    """The zip inside a zip that holds only it (Notion's `Export-….zip` around
    `Export-…-Part-1.zip`); the zip itself otherwise."""
    names = [n for n in archive.namelist() if not n.endswith("/")]
    if len(names) != 1 or not names[0].lower().endswith(".zip"):
        return archive
    info = archive.getinfo(names[0])
    if info.file_size > MAX_EXPORT_BYTES:
        raise ParseError(str(path), f"{names[0]} is too large to read")
    try:
        inner = zipfile.ZipFile(io.BytesIO(archive.read(info)))
    except zipfile.BadZipFile as exc:
        raise ParseError(str(path), f"{names[0]} is not a readable zip: {exc}") from exc
    archive.close()
    return inner
