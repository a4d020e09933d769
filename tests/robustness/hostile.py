"""A corpus of malformed and hostile files, written at test time (nothing large is committed).

`build_hostile_corpus(folder)` writes the files and returns what each one is, so tests can
check that every hostile file gets its own clear error and the good files still land.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from support import GOOD

# A paragraph every good file shares, so tests can search for it.
GOOD_MARKER = "heliotrope escalation runbook"


def _zip_bomb(path: Path, inner: str, template: Path, uncompressed_mb: int) -> None:
    """A real DOCX/PPTX whose main XML part inflates to `uncompressed_mb` of padding."""
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(
        path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9
    ) as bomb:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == inner:
                # Whitespace inside the XML keeps it well-formed: a parser that does not
                # check sizes will happily inflate all of it.
                head, tail = data.split(b"?>", 1)
                pad = b" " * (1 << 20)
                with bomb.open(item.filename, "w", force_zip64=True) as out:
                    out.write(head + b"?>")
                    for _ in range(uncompressed_mb):
                        out.write(pad)
                    out.write(tail)
            else:
                bomb.writestr(item, data)


def _truncated(path: Path, source: Path, keep: float) -> None:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def build_hostile_corpus(folder: Path, big_text_mb: int = 100) -> dict[str, str]:
    """Write hostile files (and three good ones) under `folder`.

    Returns:
        {file name: what is wrong with it}; good files map to "good".
    """
    folder.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}

    for i, topic in enumerate(["database failover", "on-call rota", "release train"]):
        name = f"good-{i}.md"
        (folder / name).write_text(
            f"# Good note {i}\n\nThe {GOOD_MARKER} covers {topic}.\n", encoding="utf-8"
        )
        expected[name] = "good"

    _truncated(folder / "truncated.pdf", GOOD / "pdf" / "report.pdf", 0.4)
    expected["truncated.pdf"] = "truncated PDF"
    (folder / "not-a-pdf.pdf").write_text("this is not a PDF at all", encoding="utf-8")
    expected["not-a-pdf.pdf"] = "text named .pdf"
    _truncated(folder / "truncated.docx", GOOD / "docx" / "design.docx", 0.5)
    expected["truncated.docx"] = "truncated DOCX"
    _zip_bomb(folder / "bomb.docx", "word/document.xml", GOOD / "docx" / "design.docx", 1024)
    expected["bomb.docx"] = "zip bomb (1 GB of XML in a DOCX)"
    _zip_bomb(folder / "bomb.pptx", "ppt/slides/slide1.xml", GOOD / "pptx" / "roadmap.pptx", 1024)
    expected["bomb.pptx"] = "zip bomb (1 GB of XML in a PPTX)"

    depth = 100_000
    (folder / "nested.html").write_text(
        "<html><body>" + "<div>" * depth + "deep" + "</div>" * depth + "</body></html>",
        encoding="utf-8",
    )
    expected["nested.html"] = "HTML nested 100,000 deep"
    (folder / "empty.md").write_bytes(b"")
    expected["empty.md"] = "empty file"
    (folder / "blank.txt").write_text("\n   \n\t\n", encoding="utf-8")
    expected["blank.txt"] = "only whitespace"
    (folder / "binary.txt").write_bytes(os.urandom(4096))
    expected["binary.txt"] = "random bytes named .txt"
    (folder / "utf16.md").write_bytes("# Notes\n\nWritten in UTF-16.\n".encode("utf-16"))
    expected["utf16.md"] = "UTF-16 text"
    (folder / "mixed-encoding.md").write_bytes(
        b"# Caf\xe9 notes\n\nA line in Latin-1: na\xefve, then bad UTF-8: \xc3\x28 \xff\xfe.\n"
    )
    expected["mixed-encoding.md"] = "invalid UTF-8"
    (folder / "bad-front-matter.md").write_text(
        "---\ntitle: [unclosed\nowners: {\n---\n# Body\n\nText.\n", encoding="utf-8"
    )
    expected["bad-front-matter.md"] = "broken YAML front matter"
    (folder / "broken.vtt").write_text("WEBVTT\n\n00:00:99.000 --> nonsense\n<v", "utf-8")
    expected["broken.vtt"] = "malformed WebVTT"
    with open(folder / "huge.txt", "wb") as handle:
        line = b"All work and no play makes Jack a dull boy. " * 20 + b"\n"
        for _ in range(big_text_mb * (1 << 20) // len(line) + 1):
            handle.write(line)
    expected["huge.txt"] = f"{big_text_mb} MB text file"
    (folder / "long-line.md").write_text("word" * 2_000_000, encoding="utf-8")
    expected["long-line.md"] = "one 8 MB line without spaces"

    outside = folder.parent / "outside-secret.md"
    outside.write_text("# Secret\n\nThe outside-the-tree secret.\n", encoding="utf-8")
    (folder / "escape.md").symlink_to(outside)
    expected["escape.md"] = "symlink out of the tree"
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    expected["loop"] = "symlink loop to the folder itself"
    (folder / "dangling.md").symlink_to(folder / "does-not-exist.md")
    expected["dangling.md"] = "dangling symlink"
    return expected


def zip_entry_sizes(path: Path) -> int:
    """Total uncompressed size declared in a zip file (for sanity checks in tests)."""
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return sum(item.file_size for item in archive.infolist())
