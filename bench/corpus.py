"""The benchmark corpus: real files from the shared data folder (see its README)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# Folders of Markdown read as they are; QMSum meetings become WebVTT files (one cue per turn).
TEXT_GLOBS = ("postmortems/**/*.md.erb", "keps/**/README.md", "minutes/**/*.md")
PDF_GLOB = "sec10q/**/*.pdf"
QMSUM_SPLIT = "qmsum/val"


@dataclass
class Corpus:
    """Files to ingest, with their total size."""

    files: list[Path]

    @property
    def bytes(self) -> int:
        """Total size of the files."""
        return sum(p.stat().st_size for p in self.files)


def _stamp(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}.000"


def write_vtt(meeting_file: Path, folder: Path) -> Path:
    """A QMSum meeting as WebVTT: one 10-second cue per turn, `<v Speaker>` voice tags."""
    meeting = json.loads(meeting_file.read_text(encoding="utf-8"))
    lines = ["WEBVTT", ""]
    for n, turn in enumerate(meeting["meeting_transcripts"]):
        text = " ".join(str(turn["content"]).split())
        if not text:
            continue
        lines += [f"{_stamp(n * 10)} --> {_stamp(n * 10 + 10)}",
                  f"<v {turn['speaker']}>{text}", ""]  # fmt: skip
    target = folder / f"{meeting_file.stem}.vtt"
    target.write_text("\n".join(lines), encoding="utf-8")
    return target


def collect(data: Path, workdir: Path, max_files: int | None = None, pdf: bool = False) -> Corpus:
    """The benchmark files under `data`, QMSum val written as WebVTT into `workdir`.

    Raises:
        FileNotFoundError: `data` is not the shared data folder.
    """
    if not (data / QMSUM_SPLIT).is_dir():
        raise FileNotFoundError(f"{data}: no {QMSUM_SPLIT} folder; pass --data ../shared/data")
    vtt_folder = workdir / "qmsum-val-vtt"
    vtt_folder.mkdir(parents=True, exist_ok=True)
    groups = [sorted(data.glob(g)) for g in TEXT_GLOBS]
    groups.append([write_vtt(p, vtt_folder) for p in sorted((data / QMSUM_SPLIT).glob("*.json"))])
    if pdf:
        groups.append(sorted(data.glob(PDF_GLOB)))
    files: list[Path] = []
    if max_files:
        # Round robin over the kinds, so a small run still mixes documents and transcripts.
        while len(files) < max_files and any(groups):
            for group in groups:
                if group and len(files) < max_files:
                    files.append(group.pop(0))
    else:
        files = [p for group in groups for p in group]
    return Corpus(files)
