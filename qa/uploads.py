"""Uploaded files into the knowledge base's upload folder: safe names, accepted types, a size
limit enforced while copying (a file over it is never kept)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from kenning.errors import InvalidRequest

UPLOAD_FOLDER = "uploads"
CHUNK_BYTES = 1 << 20


def safe_name(name: str) -> str:
    """A file name with no folders, no leading dots and only plain characters.

    Raises:
        InvalidRequest: nothing usable is left of the name.
    """
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    if not base:
        raise InvalidRequest(key="file_name_unusable", name=name)
    return base[:200]


def save_uploads(
    home: Path,
    files: Iterable[tuple[str, IO[bytes]]],
    limit_bytes: int,
    refusal: Callable[[str], str | None],
) -> tuple[list[Path], list[tuple[str, str]]]:
    """Copy uploads into `home`'s upload folder.

    Args:
        home: the knowledge base folder.
        files: (file name as sent, readable stream) pairs.
        limit_bytes: the largest file kept.
        refusal: why a file of this name cannot be ingested (None: it can).

    Returns:
        The stored paths, and (name, reason) for each file refused.
    """
    folder = home / UPLOAD_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stored: list[Path] = []
    refused: list[tuple[str, str]] = []
    for sent, stream in files:
        try:
            name = safe_name(sent or "")
        except InvalidRequest as exc:
            refused.append((sent or "", str(exc)))
            continue
        reason = refusal(name)
        if reason:
            refused.append((name, reason))
            continue
        size = 0
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, prefix=".upload-") as tmp:
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit_bytes:
                    break
                tmp.write(chunk)
        if size > limit_bytes:
            Path(tmp.name).unlink(missing_ok=True)
            refused.append((name, f"over the {limit_bytes / 1048576:g} MB limit"))
            continue
        target = folder / name
        Path(tmp.name).replace(target)
        stored.append(target)
    return stored, refused
