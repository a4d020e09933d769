"""An ingest run: find the files, load people directories, prepare each changed file, hand
them in batches to a `DocumentSink`, prune, and report on every file."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kenning.config import Settings
from kenning.errors import ParseError
from kenning.ingest.chunking import ChunkSettings
from kenning.ingest.codeowners import find_codeowners
from kenning.ingest.directory import PeopleDirectory, load_directory_file
from kenning.ingest.exports import export_format
from kenning.ingest.exports.ingest import prepare_export
from kenning.ingest.git_history import GitHistory, repository_root
from kenning.ingest.parsers import parser_for, suffix_of
from kenning.ingest.parsers.audio import TranscriptionOptions
from kenning.ingest.pipeline import IngestContext, Prepared, fingerprint, prepare, source_bytes
from kenning.ingest.sink import DocumentSink
from kenning.ingest.sources import SourceFile, discover
from kenning.schema import FileReport, IngestReport

logger = logging.getLogger(__name__)

# Chunks embedded together: large batches keep the model busy across small files.
EMBED_BATCH_CHUNKS = 256


@dataclass
class _Pending:
    """A prepared document waiting for its batch to be embedded and stored."""

    prepared: Prepared
    report: FileReport


class IngestRunner:
    """Ingests files into a sink: unchanged files are skipped, changed ones replaced.

    Args:
        sink: where prepared documents are written.
        settings: the settings (limits, people directory, git history, default groups).
        chunking: how documents are cut into chunks.
        transcript_cache: the folder of speech-to-text results, by recording hash.
    """

    def __init__(
        self,
        sink: DocumentSink,
        settings: Settings,
        chunking: ChunkSettings,
        transcript_cache: Path,
    ) -> None:
        self.sink = sink
        self.settings = settings
        self.chunking = chunking
        self.transcript_cache = transcript_cache

    def ingest(
        self,
        paths: list[str | Path] | str | Path,
        prune: bool = False,
        kind: str | None = None,
        groups: list[str] | None = None,
        tags: list[str] | None = None,
        progress: bool = False,
    ) -> IngestReport:
        """Ingest files and folders (see `KnowledgeBase.ingest`)."""
        started = time.perf_counter()
        self.sink.begin()
        if isinstance(paths, str | Path):
            paths = [paths]
        files, directory_files, missing, refused = discover([Path(p) for p in paths])
        report = IngestReport()
        for path in missing:
            report.files.append(FileReport(path, "failed", "no such file or folder"))
        for path, reason in refused:
            report.files.append(FileReport(path, "skipped", reason))
        context = IngestContext(
            directory=PeopleDirectory(self.sink.people()),
            chunking=self.chunking,
            kind=kind,
            groups=tuple(groups or ()),
            default_groups=tuple(self.settings.default_groups),
            tags=tuple(tags or ()),
            transcription=TranscriptionOptions(
                self.settings.whisper_model, self.transcript_cache, progress
            ),
        )
        self._load_directories(directory_files, context, report)
        pending: list[_Pending] = []
        bar = _progress_bar(len(files), progress)
        chunk_total = 0
        try:
            for source in files:
                if export_format(source.path) is not None:  # many documents (ingest/exports)
                    for prepared, file_report in prepare_export(source.path, self.sink, context):
                        report.files.append(file_report)
                        if prepared is not None:
                            pending.append(_Pending(prepared, file_report))
                else:
                    file_report = self._prepare_one(source, context, pending)
                    report.files.append(file_report)
                if sum(len(p.prepared.chunks) for p in pending) >= EMBED_BATCH_CHUNKS:
                    chunk_total += self._write(pending)
                bar.update(1)
                bar.set_postfix(chunks=chunk_total, failed=report.count("failed"), refresh=False)
            chunk_total += self._write(pending)
        finally:
            bar.close()
            if prune:
                report.pruned = self.prune()
            self.sink.finish(changed=bool(report.count("added") or report.count("updated")))
        report.chunks = chunk_total
        report.people = self.sink.stats()["people"]
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def prune(self) -> list[str]:
        """Remove documents whose source file no longer exists; returns their sources."""
        self.sink.begin()
        gone = {
            document_id: source
            for document_id, source in self.sink.sources().items()
            if "://" not in source and not Path(source).exists()
        }
        self.sink.delete(list(gone))
        return list(gone.values())

    def _load_directories(
        self, directory_files: list[Path], context: IngestContext, report: IngestReport
    ) -> None:
        people_path = self.settings.people_directory
        for path in ([people_path] if people_path else []) + directory_files:
            try:
                people = load_directory_file(path)
            except (ParseError, OSError) as exc:
                report.files.append(FileReport(str(path), "failed", _reason(exc)))
                continue
            for person in people:
                context.directory.add(person)
            self.sink.save_people(context.directory.people, listed=people)
            report.files.append(
                FileReport(str(path), "skipped", f"people directory: {len(people)} people")
            )

    def _prepare_one(
        self, source: SourceFile, context: IngestContext, pending: list[_Pending]
    ) -> FileReport:
        """Check, hash and parse one file; parsed documents wait in `pending` for embedding."""
        path = source.path
        try:
            size = path.stat().st_size
            limit = self.settings.max_file_mb * 1024 * 1024
            if size > limit:
                return FileReport(
                    str(path), "failed",
                    f"{size / 1048576:.1f} MB is over the {self.settings.max_file_mb:g} MB limit "
                    "(KENNING_MAX_FILE_MB)",
                )  # fmt: skip
            if parser_for(path) is None:
                status = "failed" if source.explicit else "skipped"
                return FileReport(str(path), status, f"unsupported file type '{suffix_of(path)}'")
            if source.root not in context.codeowners:
                context.codeowners[source.root] = find_codeowners(source.root)
            rules = context.codeowners[source.root]
            owners = rules.owners_of(path) if rules else ()
            data = source_bytes(path)
            content_hash = fingerprint(data, owners, context, path)
            stored = self.sink.content_hash(str(path))
            if stored and stored[1] == content_hash:
                return FileReport(str(path), "unchanged", document_id=stored[0])
            git = _git_history(path, context) if self.settings.git_history else None
            prepared = self._prepare(source, content_hash, owners, git, context)
        except (ParseError, OSError, ValueError) as exc:
            return FileReport(str(path), "failed", _reason(exc))
        except Exception as exc:  # a parser bug must not stop the batch
            logger.exception("unexpected error ingesting %s", path)
            return FileReport(str(path), "failed", f"internal error: {type(exc).__name__}: {exc}")
        status = "updated" if stored else "added"
        file_report = FileReport(
            str(path), status, prepared.note, len(prepared.chunks), prepared.document.id
        )
        pending.append(_Pending(prepared, file_report))
        return file_report

    def _prepare(
        self, source: SourceFile, content_hash: str, owners: tuple[str, ...],
        git: GitHistory | None, context: IngestContext,
    ) -> Prepared:
        """Parse, chunk and find the people of one changed file (a distributed runner hands
        in the parse it had done elsewhere)."""
        return prepare(source.path, source.root, content_hash, owners, git, context)

    def _write(self, pending: list[_Pending]) -> int:
        """Hand the waiting documents to the sink; returns how many chunks it stored."""
        if not pending:
            return 0
        failures = self.sink.write([p.prepared for p in pending])
        stored = 0
        for waiting, failure in zip(pending, failures, strict=True):
            if failure is None:
                stored += len(waiting.prepared.chunks)
            else:
                waiting.report.status = "failed"
                waiting.report.reason = failure
        pending.clear()
        return stored


def _git_history(path: Path, context: IngestContext) -> GitHistory | None:
    root = repository_root(path)
    if root is None:
        return None
    if root not in context.git:
        context.git[root] = GitHistory(root)
    return context.git[root]


def _reason(exc: BaseException) -> str:
    """A one-line reason for the report, without repeating the path."""
    if isinstance(exc, ParseError):
        return exc.reason
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _progress_bar(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="file", disable=not enabled, dynamic_ncols=True, leave=False)
