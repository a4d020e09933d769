"""Top committers of files in a git work tree, read once per repository."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

SEPARATOR = "\x1f"
MARK = "@@kenning@@"


def repository_root(path: Path) -> Path | None:
    """The root of the git work tree holding `path`, or None."""
    if shutil.which("git") is None:
        return None
    folder = path if path.is_dir() else path.parent
    result = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
        check=False,
    )
    return Path(result.stdout.strip()).resolve() if result.returncode == 0 else None


BOT_MARKERS = ("[bot]", "bot@", "noreply", "maintainers", "dependabot", "renovate")


def is_bot(author: str) -> bool:
    """True for automated committers, which know nothing about the content."""
    lowered = author.lower()
    return any(marker in lowered for marker in BOT_MARKERS)


class GitHistory:
    """Commit counts per author for every file of one repository (one `git log` call)."""

    def __init__(self, root: Path, max_commits: int = 20000) -> None:
        self.root = root
        self._counts: dict[str, Counter[str]] = {}
        result = subprocess.run(
            [
                "git", "-C", str(root), "log", f"-n{max_commits}", "--no-merges",
                f"--format={MARK}%an{SEPARATOR}%ae", "--name-only",
            ],
            capture_output=True,
            text=True,
            check=False,
            errors="replace",
        )  # fmt: skip
        author = ""
        for line in result.stdout.splitlines():
            if line.startswith(MARK):
                name, _, email = line[len(MARK) :].partition(SEPARATOR)
                author = f"{name} <{email}>" if email else name
                if is_bot(author):
                    author = ""
            elif line.strip() and author:
                self._counts.setdefault(line.strip(), Counter())[author] += 1

    def top_authors(self, path: Path, limit: int = 3) -> list[tuple[str, int]]:
        """The authors with most commits touching `path`, as (`Name <email>`, commits)."""
        try:
            relative = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return []
        return self._counts.get(relative, Counter()).most_common(limit)
