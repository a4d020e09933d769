"""Watch mode: re-ingest what changes under some paths (`kenning watch`, `kenning serve --watch`).

The watcher (watchfiles, the OS's file notifications) waits for a batch of changes to settle,
then runs the normal ingest on each watched path the batch touched — so change detection
skips what did not change, an export is re-read whole, and a crash leaves the knowledge base
as consistent as any ingest does — and removes the documents of files deleted under those
paths (never those of other paths, as `--prune` would). The knowledge base's own folder and
hidden or temporary files (`.git`, editors' swap files) are ignored.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import watchfiles

from kenning.ingest.sink import DocumentSink
from kenning.schema import IngestReport

logger = logging.getLogger(__name__)

# How long the files must stay quiet before a batch is ingested, and the longest a batch
# may wait for that (milliseconds).
QUIET_MS = 400
MAX_WAIT_MS = 5000
# How often the watch loop wakes without changes (the first wake starts the first ingest).
STARTED_MS = 500


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class Watcher:
    """Keeps a knowledge base in step with files and folders as they change.

    Args:
        paths: the files and folders to watch (as given to `kenning ingest`).
        ingest: the normal ingest, called with the watched paths that changed.
        sink: the knowledge base's writer (for the sources to remove).
        ignore: folders whose changes do not count (the knowledge base's own).
        quiet_ms: how long the files must stay quiet before they are ingested.
        on_report: called after each ingest with its report (`pruned` lists what was removed).
    """

    def __init__(
        self,
        paths: Sequence[str | Path],
        ingest: Callable[[list[Path]], IngestReport],
        sink: DocumentSink,
        ignore: Iterable[str | Path] = (),
        quiet_ms: int = QUIET_MS,
        on_report: Callable[[IngestReport], None] | None = None,
    ) -> None:
        self.roots = [Path(p).resolve() for p in paths]
        self.ingest = ingest
        self.sink = sink
        self.quiet_ms = quiet_ms
        self.on_report = on_report
        self.stop_event = threading.Event()
        ignored = [str(Path(p).resolve()) for p in ignore]
        self.filter = watchfiles.DefaultFilter(ignore_paths=ignored)

    def _watched_dirs(self) -> list[Path]:
        """The folders to watch: a watched file's folder (an editor that saves by renaming
        replaces the file, and a watch on the file itself would end there)."""
        dirs = {root if root.is_dir() else root.parent for root in self.roots}
        return sorted(d for d in dirs if d.is_dir())

    def _accepts(self, change: watchfiles.Change, path: str) -> bool:
        if not self.filter(change, path):
            return False
        resolved = Path(os.path.abspath(path))
        return any(_under(resolved, root) for root in self.roots)

    def roots_touched(self, changed: Iterable[str]) -> list[Path]:
        """The watched paths that hold any of these changed paths."""
        touched = {root for path in changed for root in self.roots
                   if _under(Path(os.path.abspath(path)), root)}  # fmt: skip
        return [root for root in self.roots if root in touched]

    def sync(self, roots: Sequence[Path] | None = None) -> IngestReport:
        """Ingest these watched paths (all by default) and remove the documents of their files
        that are gone; exceptions are logged, so that watching goes on."""
        roots = list(roots if roots is not None else self.roots)
        try:
            present = [r for r in roots if r.exists()]
            report = self.ingest(present) if present else IngestReport()
            report.pruned = self.remove_missing(roots)
        except Exception:
            logger.exception("re-ingesting %s failed", ", ".join(map(str, roots)))
            return IngestReport()
        if self.on_report is not None:
            self.on_report(report)
        return report

    def remove_missing(self, roots: Sequence[Path]) -> list[str]:
        """Delete the documents whose source file under these paths no longer exists."""
        gone = {
            document_id: source for document_id, source in self.sink.sources().items()
            if "://" not in source and any(_under(Path(source), r) for r in roots)
            and not Path(source).exists()
        }  # fmt: skip
        if gone:
            self.sink.delete(list(gone))
        return list(gone.values())

    def run(self, initial: bool = True) -> None:
        """Ingest everything once (unless `initial` is False), then each batch of changes
        until `stop()`. The watch begins first, so that nothing changed during the first
        ingest is missed."""
        dirs = self._watched_dirs()
        if not dirs:
            logger.warning("nothing to watch: %s", ", ".join(map(str, self.roots)))
            return
        pending = initial
        for changes in watchfiles.watch(
            *dirs, watch_filter=self._accepts, debounce=MAX_WAIT_MS, step=self.quiet_ms,
            stop_event=self.stop_event, raise_interrupt=False, rust_timeout=STARTED_MS,
            yield_on_timeout=True,
        ):  # fmt: skip
            if pending:  # the watch is running: the first ingest covers these changes too
                pending = False
                self.sync()
            elif roots := self.roots_touched(path for _, path in changes):
                self.sync(roots)

    def start(self, initial: bool = True) -> threading.Thread:
        """Run in a daemon thread (as `kenning serve --watch` does)."""
        thread = threading.Thread(target=self.run, args=(initial,), name="kenning-watch",
                                  daemon=True)  # fmt: skip
        thread.start()
        return thread

    def stop(self) -> None:
        """End `run` after the batch in progress."""
        self.stop_event.set()
