"""Meeting minutes with a hand-written who-to-ask golden set (rust-lang/lang-team).

The rust-lang lang team's minutes name people the way real notes do: handles
(`nikomatsakis`, `pnkfelix`), first names (`Niko`, `Felix`), `## Attendance` lists, agenda
items with their shepherds in parentheses, project tables with owner and liaison columns,
and "Josh to write up a comment" action items. The golden set
(`eval/golden/rust-lang-team-topics.jsonl`, written by hand from the files) asks who to ask
about an agenda item; its experts are the names the minutes use for the one person who owns,
shepherds, presented or raised it. The corpus is a copy of the Markdown files, folders kept
(a folder is a meeting series).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kenning.eval.golden import load_golden, write_golden

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "rust-lang-team-topics.jsonl"
SUFFIXES = (".md", ".markdown")


def prepare(source: Path, out: Path, golden: Path = GOLDEN) -> Path:
    """Write `out/corpus/` (the minutes, folders kept) and `out/golden.jsonl`.

    Args:
        source: the minutes folder (`minutes/rust-lang-team`).
        out: where to write.
        golden: the hand-written golden set whose evidence names files under `source`.

    Returns:
        The golden file written.

    Raises:
        FileNotFoundError: no Markdown under `source`, or a golden question's evidence names
            a file that is not there.
    """
    files = sorted(p for p in source.rglob("*") if p.suffix.lower() in SUFFIXES)
    if not files:
        raise FileNotFoundError(f"no Markdown minutes under {source}")
    questions = load_golden(golden)
    missing = sorted({span.source for q in questions for span in q.evidence
                      if not (source / span.source).is_file()})  # fmt: skip
    if missing:
        raise FileNotFoundError(f"golden evidence names files not under {source}: {missing[:3]}")
    corpus = out / "corpus"
    for path in files:
        target = corpus / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copy2(path, target)
    written = out / "golden.jsonl"
    write_golden(questions, written)
    return written
