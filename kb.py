"""`KnowledgeBase`: the public Python API. Ingest sources, search them.

Example:
    >>> from kenning import KnowledgeBase
    >>> kb = KnowledgeBase("./.kenning")
    >>> report = kb.ingest(["demo/"])
    >>> hits = kb.search("how do we fail over the payments database?", k=5)
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from kenning.config import Settings, load_settings
from kenning.errors import IndexMismatchError, KenningError, ParseError
from kenning.index.embeddings import Embedder, create_embedder
from kenning.index.retriever import Retrieval, Retriever
from kenning.index.store import SCHEMA_VERSION, Store
from kenning.index.vectors import (
    VectorIndex,
    ann_options,
    create_vector_index,
    load_vector_index,
)
from kenning.ingest.chunking import ChunkSettings
from kenning.ingest.codeowners import find_codeowners
from kenning.ingest.directory import PeopleDirectory, load_directory_file
from kenning.ingest.git_history import GitHistory, repository_root
from kenning.ingest.parsers.audio import TranscriptionOptions
from kenning.ingest.pipeline import (
    IngestContext,
    Prepared,
    embedding_text,
    fingerprint,
    prepare,
    source_bytes,
)
from kenning.ingest.sources import SourceFile, discover
from kenning.qa.citations import CheckedAnswer, check_answer
from kenning.qa.service import QAService
from kenning.schema import AskResponse, Expert, FileReport, Filters, Hit, IngestReport

logger = logging.getLogger(__name__)

DB_FILE = "kenning.sqlite"
VECTORS_FILE = "vectors.faiss"
MANIFEST_FILE = "manifest.json"
TRANSCRIPT_CACHE = "cache/transcripts"  # speech-to-text results by sha256 of the recording
# A store changed by another process, with no matching saved index, is re-read after this
# long without further changes (the other process crashed or is between slow files).
REFRESH_QUIET_SECONDS = 30.0
# Chunks embedded together: large batches keep the model busy across small files.
EMBED_BATCH_CHUNKS = 256


class KnowledgeBase:
    """One knowledge base folder: SQLite store, FAISS vectors and a manifest.

    Args:
        path: the folder (created if missing); defaults to the `home` setting.
        settings: the settings; built from the environment and `kenning.toml` when omitted.
        embedder: an embedder to use instead of the one the settings name.

    Raises:
        IndexMismatchError: the folder was built with another embedding model.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self.path = Path(path) if path is not None else self.settings.home
        self.path.mkdir(parents=True, exist_ok=True)
        self._embedder = embedder
        self.chunking = ChunkSettings(
            transcript_window_words=self.settings.transcript_window_words,
            section_chunk_chars=self.settings.section_chunk_chars,
            section_overlap_chars=self.settings.section_overlap_chars,
        )
        self.manifest = self._read_manifest()
        model = embedder.name if embedder is not None else self.settings.embedding_model
        built_with = self.manifest.get("embedding_model")
        if built_with and built_with != model:
            raise IndexMismatchError(
                f"{self.path} was built with embedding model {built_with!r}, not {model!r}; "
                f"set KENNING_EMBEDDING_MODEL={built_with} or use another --kb folder"
            )
        self._resolve_quantization()
        self.store = Store(self.path / DB_FILE)
        self.store.common_term_share = self.settings.bm25_common_share
        self._vectors: SharedIndex | None = None
        # The store generation the in-memory vectors reflect; None: unknown (rebuild on save).
        self._vectors_generation: int | None = None
        self._foreign_generation: int | None = None  # another process's latest, and since when
        self._foreign_since = 0.0
        self._lock = threading.RLock()  # this process's writes and index swaps
        self._retriever: Retriever | None = None
        self._qa: QAService | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def _resolve_quantization(self) -> None:
        """Settle `embedding_quantization` for this knowledge base.

        A knowledge base keeps the quantisation it was built with (its manifest says which;
        int8 and float32 vectors are close but not equal). "auto" follows it, and a new
        knowledge base is float32.
        """
        wanted = self.settings.embedding_quantization
        built = None
        if self.manifest.get("embedding_model"):
            built = self.manifest.get("embedding_quantization", "none")
        if self._embedder is not None:
            chosen = getattr(self._embedder, "quantization", "none")
        elif wanted == "auto":
            chosen = built or "none"
        else:
            chosen = wanted
        if built is not None and chosen != built:
            raise IndexMismatchError(
                f"{self.path} was embedded with quantization {built!r}, not {chosen!r}; "
                f"set KENNING_EMBEDDING_QUANTIZATION={built} (or auto) or use another --kb folder"
            )
        self.settings = self.settings.model_copy(update={"embedding_quantization": chosen})

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use."""
        if self._embedder is None:
            self._embedder = create_embedder(self.settings)
        return self._embedder

    def _read_manifest(self) -> dict[str, Any]:
        path = self.path / MANIFEST_FILE
        if not path.exists():
            return {}
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise KenningError(f"{path}: unreadable manifest ({exc})") from exc

    def _write_manifest(self) -> None:
        self.manifest = {
            "schema_version": SCHEMA_VERSION,
            "embedding_model": self.embedder.name,
            "embedding_quantization": getattr(self.embedder, "quantization", "none"),
            "dimension": self.embedder.dimension,
            "chunking": self.chunking.signature(),
            "vector_generation": self._vectors_generation,
            "vectors": len(self.vectors),
        }
        path = self.path / MANIFEST_FILE
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.manifest, indent=2), encoding="utf-8")
        os.replace(tmp, path)

    @property
    def vectors(self) -> SharedIndex:
        """The vector index, loaded on first use; rebuilt from the store if it is stale."""
        with self._lock:
            if self._vectors is None:
                self._vectors = SharedIndex(self._load_vectors())
            return self._vectors

    def _load_vectors(self) -> VectorIndex:
        """The saved index when it matches the store, else one rebuilt from the store.

        SQLite is the source of truth: the saved index is used only when the manifest
        records the store's current generation (a crash between a write and the save, or
        another process's write, leaves them apart) and it holds one vector per chunk.
        """
        dimension = int(self.manifest.get("dimension") or self.embedder.dimension)
        path = self.path / VECTORS_FILE
        generation = self.store.generation
        if path.exists() and self._saved_generation() == generation:
            try:
                index = load_vector_index(path, dimension, ann_options(self.settings))
            except (RuntimeError, ValueError) as exc:
                logger.warning("rebuilding unreadable vector index %s: %s", path, exc)
            else:
                if len(index) == self.store.count_chunks():
                    self._vectors_generation = generation
                    return index
        generation, ids, vectors = self.store.embeddings_snapshot(dimension)
        index = create_vector_index(dimension, ann_options(self.settings))
        index.add(ids, vectors)
        if len(ids):
            logger.info("rebuilt vector index from %d stored embeddings", len(ids))
        self._vectors_generation = generation
        return index

    def _saved_generation(self) -> int | None:
        """The store generation the saved index matches, as its manifest says right now."""
        try:
            return self._read_manifest().get("vector_generation")
        except KenningError:
            return None

    def _note_write(self) -> None:
        """Record that this process wrote to the store and applied it to the vector index.

        When the write's generation is not the next one after the index's, another process
        wrote in between, so the index misses its changes: it is rebuilt before it is saved.
        """
        written = self.store.last_write_generation
        if self._vectors_generation is not None and written == self._vectors_generation + 1:
            self._vectors_generation = written
        else:
            self._vectors_generation = None

    def _save_vectors(self) -> None:
        with self._lock:
            if self._vectors_generation != self.store.generation:
                self.vectors.index = self._load_vectors()  # another process wrote too
            self.vectors.save(self.path / VECTORS_FILE)
            self._write_manifest()

    def _refresh_vectors(self) -> None:
        """Pick up writes made by another process (a CLI ingest while the server runs).

        Until that process saves its index, searches here use the index they had (the old
        vectors) and the store (lexical matches and passages: each document old or new, as
        each one is replaced atomically); hits on chunks gone from the store are dropped.
        Once it saves, the saved index is loaded; if its writes stop without a save (it
        crashed), the index is rebuilt from the store after `REFRESH_QUIET_SECONDS`.
        """
        if self._vectors is None:
            return
        generation = self.store.generation
        if generation == self._vectors_generation:
            return
        with self._lock:
            generation = self.store.generation
            if generation == self._vectors_generation:
                return
            now = time.monotonic()
            if generation != self._foreign_generation:
                self._foreign_generation, self._foreign_since = generation, now
            quiet = now - self._foreign_since >= REFRESH_QUIET_SECONDS
            if self._saved_generation() == generation or quiet:
                self._vectors.index = self._load_vectors()

    @property
    def retriever(self) -> Retriever:
        """Hybrid retrieval over this knowledge base."""
        if self._retriever is None:
            self._retriever = Retriever(self.store, self.vectors, self.embedder, self.settings)
        return self._retriever

    # ---- ingestion ------------------------------------------------------------------------

    def ingest(
        self,
        paths: list[str | Path] | str | Path,
        prune: bool = False,
        kind: str | None = None,
        groups: list[str] | None = None,
        tags: list[str] | None = None,
        progress: bool = False,
    ) -> IngestReport:
        """Ingest files and folders; unchanged files are skipped, changed ones replaced.

        Args:
            paths: files or folders (walked recursively).
            prune: also remove documents whose source file no longer exists.
            kind: force the kind of every ingested document.
            groups: groups allowed to read the ingested documents (added to front matter's).
            tags: tags added to every ingested document.
            progress: show a progress bar on stderr.

        Returns:
            A report with one line per file; failures carry a one-line reason.
        """
        started = time.perf_counter()
        self._vectors_before_writing()
        if isinstance(paths, str | Path):
            paths = [paths]
        files, directory_files, missing, refused = discover([Path(p) for p in paths])
        report = IngestReport()
        for path in missing:
            report.files.append(FileReport(path, "failed", "no such file or folder"))
        for path, reason in refused:
            report.files.append(FileReport(path, "skipped", reason))
        context = IngestContext(
            directory=PeopleDirectory(self.store.people()),
            chunking=self.chunking,
            kind=kind,
            groups=tuple(groups or ()),
            default_groups=tuple(self.settings.default_groups),
            tags=tuple(tags or ()),
            transcription=TranscriptionOptions(
                self.settings.whisper_model, self.path / TRANSCRIPT_CACHE, progress
            ),
        )
        self._load_directories(directory_files, context, report)
        pending: list[tuple[SourceFile, Prepared, FileReport]] = []
        bar = _progress_bar(len(files), progress)
        chunk_total = 0
        try:
            for source in files:
                file_report = self._prepare_one(source, context, pending)
                report.files.append(file_report)
                if sum(len(p.chunks) for _, p, _ in pending) >= EMBED_BATCH_CHUNKS:
                    chunk_total += self._store_pending(pending)
                bar.update(1)
                bar.set_postfix(chunks=chunk_total, failed=report.count("failed"), refresh=False)
            chunk_total += self._store_pending(pending)
        finally:
            bar.close()
            if prune:
                report.pruned = self.prune()
            if report.count("added") or report.count("updated") or not self.manifest:
                self._save_vectors()
        report.chunks = chunk_total
        report.people = self.store.stats()["people"]
        report.seconds = round(time.perf_counter() - started, 3)
        return report

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
            with self._lock:
                self.store.save_people(context.directory.people, listed=people)
                self._note_write()
            report.files.append(
                FileReport(str(path), "skipped", f"people directory: {len(people)} people")
            )

    def _prepare_one(
        self,
        source: SourceFile,
        context: IngestContext,
        pending: list[tuple[SourceFile, Prepared, FileReport]],
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
            from kenning.ingest.parsers import parser_for, suffix_of

            if parser_for(path) is None:
                status = "failed" if source.explicit else "skipped"
                return FileReport(str(path), status, f"unsupported file type '{suffix_of(path)}'")
            if source.root not in context.codeowners:
                context.codeowners[source.root] = find_codeowners(source.root)
            rules = context.codeowners[source.root]
            owners = rules.owners_of(path) if rules else ()
            data = source_bytes(path)
            content_hash = fingerprint(data, owners, context, path)
            stored = self.store.content_hash(str(path))
            if stored and stored[1] == content_hash:
                return FileReport(str(path), "unchanged", document_id=stored[0])
            git = self._git_history(path, context) if self.settings.git_history else None
            prepared = prepare(path, source.root, content_hash, owners, git, context)
        except (ParseError, OSError, ValueError) as exc:
            return FileReport(str(path), "failed", _reason(exc))
        except Exception as exc:  # a parser bug must not stop the batch
            logger.exception("unexpected error ingesting %s", path)
            return FileReport(str(path), "failed", f"internal error: {type(exc).__name__}: {exc}")
        status = "updated" if stored else "added"
        file_report = FileReport(
            str(path), status, prepared.note, len(prepared.chunks), prepared.document.id
        )
        pending.append((source, prepared, file_report))
        return file_report

    def _git_history(self, path: Path, context: IngestContext) -> GitHistory | None:
        root = repository_root(path)
        if root is None:
            return None
        if root not in context.git:
            context.git[root] = GitHistory(root)
        return context.git[root]

    def _store_pending(self, pending: list[tuple[SourceFile, Prepared, FileReport]]) -> int:
        """Embed the waiting documents together, then store each atomically."""
        if not pending:
            return 0
        texts = [embedding_text(p.document, c) for _, p, _ in pending for c in p.chunks]
        unique = list(dict.fromkeys(texts))  # identical chunks are embedded once
        vectors_unique = self.embedder.embed_documents(unique)
        position = {text: i for i, text in enumerate(unique)}
        vectors = (
            vectors_unique[[position[t] for t in texts]]
            if texts
            else np.zeros((0, self.embedder.dimension), dtype=np.float32)
        )
        offset = 0
        stored = 0
        for _, prepared, file_report in pending:
            n = len(prepared.chunks)
            with self._lock:
                try:
                    removed, added = self.store.replace_document(
                        prepared.document, prepared.chunks, vectors[offset : offset + n],
                        prepared.people,
                    )  # fmt: skip
                except Exception as exc:  # e.g. disk full: this file fails, the batch goes on
                    logger.exception("could not store %s", prepared.document.source)
                    file_report.status = "failed"
                    file_report.reason = f"could not store: {type(exc).__name__}: {exc}"
                    offset += n
                    continue
                self._note_write()
                self.vectors.remove(np.array(removed, dtype=np.int64))
                self.vectors.add(np.array(added, dtype=np.int64), vectors[offset : offset + n])
            offset += n
            stored += n
        pending.clear()
        return stored

    def _vectors_before_writing(self) -> None:
        """Load (or rebuild) the vector index before the store changes, so that the changes
        are applied to it exactly once."""
        _ = self.vectors

    def prune(self) -> list[str]:
        """Remove documents whose source file no longer exists; returns their sources."""
        self._vectors_before_writing()
        removed: list[str] = []
        for document_id, source in self.store.sources().items():
            if "://" in source or Path(source).exists():
                continue
            with self._lock:
                rowids = self.store.delete_document(document_id)
                self._note_write()
                self.vectors.remove(np.array(rowids, dtype=np.int64))
            removed.append(source)
        if removed:
            self._save_vectors()
        return removed

    def delete(self, document_id: str) -> bool:
        """Delete one document; returns False when it does not exist."""
        if self.store.document(document_id) is None:
            return False
        self._vectors_before_writing()
        with self._lock:
            rowids = self.store.delete_document(document_id)
            self._note_write()
            self.vectors.remove(np.array(rowids, dtype=np.int64))
        self._save_vectors()
        return True

    # ---- search ---------------------------------------------------------------------------

    def retrieve(
        self, query: str, k: int = 5, filters: Filters | dict[str, Any] | None = None
    ) -> Retrieval:
        """Hits plus the scores and people behind them (used by answering)."""
        if not query or not query.strip():
            raise ValueError("query is empty")
        self._refresh_vectors()
        filters = _filters(filters)
        if filters.source_prefix and "://" not in filters.source_prefix:
            prefix = str(Path(filters.source_prefix).resolve())
            if filters.source_prefix.endswith("/"):
                prefix += "/"
            filters = Filters(**{**filters.__dict__, "source_prefix": prefix})
        return self.retriever.retrieve(query, k, filters)

    def search(
        self, query: str, k: int = 5, filters: Filters | dict[str, Any] | None = None
    ) -> list[Hit]:
        """The k best passages for a query.

        Args:
            query: the question or keywords.
            k: how many hits to return.
            filters: `Filters` or a mapping with keys kind, tags, team, person, date_from,
                date_to, source_prefix, groups.

        Raises:
            ValueError: the query is empty, or a filter is unknown.
        """
        return self.retrieve(query, k, filters).hits

    def stats(self) -> dict[str, Any]:
        """Counts of documents by kind, chunks and people."""
        return self.store.stats()

    # ---- answers and experts ----------------------------------------------------------------

    @property
    def qa(self) -> QAService:
        """The answering service over this knowledge base."""
        if self._qa is None:
            self._qa = QAService(self)
        return self._qa

    def ask(
        self,
        question: str,
        k: int = 5,
        filters: Filters | dict[str, Any] | None = None,
        answerer: str | None = None,
    ) -> AskResponse:
        """Answer a question with cited passages and the people who know.

        Args:
            question: the question in plain language.
            k: passages to retrieve.
            filters: as for `search`.
            answerer: "extractive" or "llm" (default: the LLM when one is configured).

        Raises:
            ValueError: the question is empty or too long, or a filter or answerer is unknown.
        """
        return self.qa.ask(question, k, _filters(filters), answerer)

    def experts(
        self, topic: str, k: int = 5, filters: Filters | dict[str, Any] | None = None
    ) -> list[Expert]:
        """The people most likely to know about a topic, with reasons and evidence."""
        return self.qa.experts(topic, k, _filters(filters))

    def check_answer(self, answer: str, passages: list[Hit]) -> CheckedAnswer:
        """Check an answer's `[n]` markers against the passages they cite (1-based).

        The check LLM answers pass before they are shown, exposed for evaluation: sentences
        no cited passage supports come back in `dropped`.
        """
        return check_answer(answer, passages, self.embedder, self.settings.support_threshold)


class SharedIndex:
    """The vector index behind a lock, safe to use from many threads.

    FAISS indexes must not be searched while they change; the server searches from a thread
    pool while an upload ingests. The inner index can be swapped (`index`) when it is
    reloaded, while the retriever keeps its reference to this wrapper.
    """

    def __init__(self, index: VectorIndex) -> None:
        self.index = index
        self._lock = threading.Lock()

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        with self._lock:
            self.index.add(ids, vectors)

    def remove(self, ids: np.ndarray) -> None:
        with self._lock:
            self.index.remove(ids)

    def search(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return self.index.search(*args, **kwargs)

    def save(self, path: Path) -> None:
        with self._lock:
            self.index.save(path)

    def __len__(self) -> int:
        return len(self.index)

    def __getattr__(self, name: str) -> Any:  # kind, dimension, ... of the inner index
        return getattr(self.index, name)


def _filters(filters: Filters | dict[str, Any] | None) -> Filters:
    return filters if isinstance(filters, Filters) else Filters.from_dict(filters)


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
