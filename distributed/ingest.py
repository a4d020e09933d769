"""Ingest on a Ray cluster: files are read, hashed and parsed by parallel Ray Data tasks,
chunks are embedded by a pool of actors (one model each), and this process is the single
writer of the knowledge base.

The ordinary `IngestRunner` still decides everything else, in the order a local ingest does:
change detection, people and identity resolution (the people directory learns names file
after file, so resolving in parallel would give other people), kinds, chunking, the report,
pruning. Ray takes the order-free, costly work: parsing — each file and each sibling a
folder's roster is learnt from, once — and embedding. The knowledge base is the one a local
ingest makes: same documents, chunks and people, vectors equal within float tolerance
(batches are padded differently).
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kenning.config import Settings
from kenning.distributed.cluster import cluster_cpus, connect
from kenning.errors import ParseError
from kenning.index.embeddings import create_embedder
from kenning.index.writer import DocumentWriter, embedding_text
from kenning.ingest.chunking import ChunkSettings
from kenning.ingest.codeowners import find_codeowners
from kenning.ingest.directory import PeopleDirectory
from kenning.ingest.exports import export_format
from kenning.ingest.git_history import GitHistory
from kenning.ingest.identity import (
    MAX_FOLDER_FILE_BYTES,
    MAX_FOLDER_FILES,
    ROSTER_SUFFIXES,
    IdentityResolver,
)
from kenning.ingest.parsers import parser_for
from kenning.ingest.parsers.audio import TranscriptionOptions
from kenning.ingest.people import extract_mentions
from kenning.ingest.pipeline import (
    IngestContext,
    Prepared,
    fingerprint,
    parse_file,
    prepare,
    roster_entry,
    source_bytes,
)
from kenning.ingest.runner import IngestRunner
from kenning.ingest.sources import SourceFile, discover
from kenning.kb import TRANSCRIPT_CACHE, KnowledgeBase
from kenning.schema import IngestReport, ParsedDocument, Person

logger = logging.getLogger(__name__)

# Files per parse task call: small, so a few slow files do not hold one worker back.
PARSE_BATCH_FILES = 4
# Chunks embedded per actor call; texts are sorted by length first, so a batch pads little.
EMBED_BATCH_CHUNKS = 128
# Chunks held prepared on the driver before they are embedded on the cluster and stored.
WINDOW_CHUNKS = 20_000


@dataclass(frozen=True)
class ParseJob:
    """What parse tasks need besides the files: the parts of the ingest context that the
    content hash and the parsers read."""

    chunking: ChunkSettings
    kind: str | None
    groups: tuple[str, ...]
    default_groups: tuple[str, ...]
    tags: tuple[str, ...]
    transcription: TranscriptionOptions

    def context(self) -> IngestContext:
        """A fresh ingest context with these values (no people: tasks resolve none)."""
        return IngestContext(
            directory=PeopleDirectory(), chunking=self.chunking, kind=self.kind,
            groups=self.groups, default_groups=self.default_groups, tags=self.tags,
            transcription=self.transcription,
        )  # fmt: skip


@dataclass(frozen=True)
class ParsedFile:
    """A file parsed on the cluster: its content hash, and the parse or the error raised."""

    content_hash: str
    parsed: bytes  # pickled ParsedDocument, empty on error
    error: bytes  # pickled (kind, details) of the exception, empty on success

    def load(self) -> ParsedDocument:
        """A fresh copy of the parse (`prepare` changes the one it gets).

        Raises:
            Exception: the error the parser raised on the worker.
        """
        if self.error:
            raise _rebuild_error(pickle.loads(self.error))
        return pickle.loads(self.parsed)


def parse_files(batch: dict[str, np.ndarray], job: ParseJob) -> dict[str, np.ndarray]:
    """A Ray Data task: hash each file as a local ingest would, and parse it when its hash
    differs from the stored one (or `force` asks: a roster sibling). Errors travel back."""
    context = job.context()
    hashes: list[str] = []
    parses: list[bytes] = []
    errors: list[bytes] = []
    for path_text, root_text, stored, force in zip(
        batch["path"], batch["root"], batch["stored"], batch["force"], strict=True
    ):
        path, root = Path(str(path_text)), Path(str(root_text))
        content_hash = ""
        try:
            if root not in context.codeowners:
                context.codeowners[root] = find_codeowners(root)
            rules = context.codeowners[root]
            owners = rules.owners_of(path) if rules else ()
            content_hash = fingerprint(source_bytes(path), owners, context, path)
        except Exception:  # noqa: BLE001 - the driver meets the same error and reports it
            content_hash = ""
        parsed, error = b"", b""
        if force or (content_hash and content_hash != str(stored)):
            try:
                parsed = pickle.dumps(parse_file(path, context.transcription))
            except Exception as exc:  # noqa: BLE001 - reported by the driver, as locally
                error = pickle.dumps(_portable_error(exc))
        hashes.append(content_hash)
        parses.append(parsed)
        errors.append(error)
    return {
        "path": np.asarray(batch["path"]),
        "hash": np.array(hashes, dtype=object),
        "parsed": np.array(parses, dtype=object),
        "error": np.array(errors, dtype=object),
    }


def _portable_error(exc: BaseException) -> tuple[str, Any]:
    """An exception in a form that survives pickling (ParseError's constructor does not)."""
    if isinstance(exc, ParseError):
        return ("parse", (exc.path, exc.reason))
    try:
        pickle.loads(pickle.dumps(exc))
        return ("pickled", exc)
    except Exception:  # noqa: BLE001
        return ("other", (type(exc).__name__, str(exc)))


def _rebuild_error(portable: tuple[str, Any]) -> BaseException:
    kind, details = portable
    if kind == "parse":
        return ParseError(*details)
    if kind == "pickled":
        return details
    name, message = details
    return type(name, (Exception,), {})(message)


class EmbedChunks:
    """A Ray Data actor: one embedding model, loaded once, embedding batch after batch."""

    def __init__(self, settings: Settings) -> None:
        self.embedder = create_embedder(settings)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.embedder.embed_documents([str(t) for t in batch["text"]])
        return {"i": batch["i"], "vector": np.asarray(vectors, dtype=np.float32)}


class _Precomputed:
    """An embedder that answers with vectors computed on the cluster (for `DocumentWriter`)."""

    def __init__(self, texts: list[str], vectors: np.ndarray) -> None:
        self.name = "precomputed"
        self.dimension = int(vectors.shape[1]) if vectors.ndim == 2 else 0
        self._position = {text: i for i, text in enumerate(texts)}
        self._vectors = vectors

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._vectors[[self._position[t] for t in texts]]

    def embed_query(self, text: str) -> np.ndarray:
        raise NotImplementedError("a cluster ingest embeds no questions")


class ClusterSink:
    """The `DocumentSink` of a Ray ingest: prepared documents wait until a window of chunks
    is embedded on the cluster, then the knowledge base's own writer stores them; everything
    else goes straight to that writer."""

    def __init__(self, kb: KnowledgeBase, embed: Callable[[list[str]], np.ndarray]) -> None:
        self.kb = kb
        self.embed = embed
        self.writer = kb.writer
        self.waiting: list[Prepared] = []
        self.failures: dict[str, str] = {}  # document id -> why it could not be stored

    def begin(self) -> None:
        self.writer.begin()

    def content_hash(self, source: str) -> tuple[str, str] | None:
        return self.writer.content_hash(source)

    def people(self) -> list[Person]:
        return self.writer.people()

    def save_people(self, people: list[Person], listed: Sequence[Person]) -> None:
        self.writer.save_people(people, listed)

    def write(self, batch: Sequence[Prepared]) -> list[str | None]:
        """Hold the documents; a full window is embedded and stored. Storage failures are
        found later and kept in `failures` (the runner's report is corrected from them)."""
        self.waiting += batch
        if sum(len(p.chunks) for p in self.waiting) >= WINDOW_CHUNKS:
            self.flush()
        return [None] * len(batch)

    def flush(self) -> None:
        """Embed the waiting documents' chunks on the cluster and store the documents."""
        if not self.waiting:
            return
        texts = list(dict.fromkeys(
            embedding_text(p.document, c) for p in self.waiting for c in p.chunks
        ))  # fmt: skip
        started = time.perf_counter()
        vectors = self.embed(texts)
        logger.info("embedded %d chunks on the cluster in %.1f s", len(texts),
                    time.perf_counter() - started)  # fmt: skip
        writer = DocumentWriter(self.kb.store, self.kb.cache, lambda: _Precomputed(texts, vectors))
        for prepared, failure in zip(self.waiting, writer.write(self.waiting), strict=True):
            if failure is not None:
                self.failures[prepared.document.id] = failure
        self.waiting = []

    def sources(self) -> dict[str, str]:
        return self.writer.sources()

    def delete(self, document_ids: Sequence[str]) -> None:
        self.writer.delete(document_ids)

    def finish(self, changed: bool) -> None:
        self.flush()
        self.writer.finish(changed)

    def stats(self) -> dict[str, Any]:
        return self.writer.stats()


class RayIngestRunner(IngestRunner):
    """An `IngestRunner` whose parsing and embedding run on a Ray cluster.

    Args:
        kb: the knowledge base written (this process is its single writer).
        ray: the `ray` module, connected to the cluster (`cluster.connect`).
        actors: embedding actors (default: one per CPU of the cluster).
    """

    def __init__(self, kb: KnowledgeBase, ray: Any, actors: int | None = None) -> None:  # noqa: ANN401
        self.ray = ray
        self.kb = kb
        self.actors = actors
        self.parsed: dict[str, ParsedFile] = {}
        sink = ClusterSink(kb, self._embed)
        super().__init__(sink, kb.settings, kb.chunking, kb.path / TRANSCRIPT_CACHE)

    def ingest(
        self,
        paths: list[str | Path] | str | Path,
        prune: bool = False,
        kind: str | None = None,
        groups: list[str] | None = None,
        tags: list[str] | None = None,
        progress: bool = False,
    ) -> IngestReport:
        """Ingest files and folders (see `KnowledgeBase.ingest`); the cluster parses and
        embeds, this process resolves people, chunks and writes."""
        started = time.perf_counter()
        if isinstance(paths, str | Path):
            paths = [paths]
        job = ParseJob(
            chunking=self.chunking, kind=kind, groups=tuple(groups or ()),
            default_groups=tuple(self.settings.default_groups), tags=tuple(tags or ()),
            transcription=TranscriptionOptions(
                self.settings.whisper_model, self.transcript_cache, False
            ),
        )  # fmt: skip
        files = discover([Path(p) for p in paths])[0]
        self.parsed = self._parse_changed(files, job)
        report = super().ingest(paths, prune, kind, groups, tags, progress)
        failures = self.sink.failures  # type: ignore[attr-defined]
        for file in report.files:
            if file.document_id in failures and file.status in ("added", "updated"):
                report.chunks -= file.chunks
                file.status, file.reason = "failed", failures[file.document_id]
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    # ---- parsing on the cluster -----------------------------------------------------------

    def _parse_changed(self, files: list[SourceFile], job: ParseJob) -> dict[str, ParsedFile]:
        """Parse, on the cluster, the files whose content hash changed, then the siblings
        their folders' rosters are learnt from that were not parsed yet."""
        limit = self.settings.max_file_mb * 1024 * 1024
        rows = []
        for source in files:
            path = source.path
            try:
                if export_format(path) is not None or parser_for(path) is None:
                    continue  # exports expand into many documents: read by the runner
                if path.stat().st_size > limit:
                    continue
            except OSError:
                continue
            stored = self.sink.content_hash(str(path))
            rows.append({"path": str(path), "root": str(source.root),
                         "stored": stored[1] if stored else "", "force": False})  # fmt: skip
        started = time.perf_counter()
        parsed = self._run_parse(rows, job)
        changed = {Path(p).parent for p, done in parsed.items() if done.parsed or done.error}
        siblings = [
            {"path": str(sibling), "root": str(folder), "stored": "", "force": True}
            for folder in sorted(changed)
            for sibling in _roster_files(folder)
            if str(sibling) not in parsed or not (parsed[str(sibling)].parsed
                                                  or parsed[str(sibling)].error)
        ]  # fmt: skip
        parsed |= self._run_parse(siblings, job)
        logger.info("parsed %d files on the cluster in %.1f s", len(parsed),
                    time.perf_counter() - started)  # fmt: skip
        return parsed

    def _run_parse(self, rows: list[dict[str, Any]], job: ParseJob) -> dict[str, ParsedFile]:
        if not rows:
            return {}
        ray = self.ray
        blocks = max(1, min(len(rows), cluster_cpus(ray) * 8))
        dataset = ray.data.from_items(rows, override_num_blocks=blocks).map_batches(
            parse_files, fn_kwargs={"job": job}, batch_size=PARSE_BATCH_FILES, num_cpus=1,
            batch_format="numpy",
        )  # fmt: skip
        results: dict[str, ParsedFile] = {}
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            for path, content_hash, parsed, error in zip(
                batch["path"], batch["hash"], batch["parsed"], batch["error"], strict=True
            ):
                results[str(path)] = ParsedFile(str(content_hash), bytes(parsed), bytes(error))
        return results

    def _prepare(
        self, source: SourceFile, content_hash: str, owners: tuple[str, ...],
        git: GitHistory | None, context: IngestContext,
    ) -> Prepared:
        """Prepare a changed file from its parse on the cluster (parsed again here only when
        the cluster saw other bytes)."""
        if context.identities is None:  # rosters from the cluster's parses too
            context.identities = IdentityResolver(context.directory, self._roster_entry)
        done = self.parsed.get(str(source.path))
        if done is None or done.content_hash != content_hash:
            return super()._prepare(source, content_hash, owners, git, context)
        parsed = done.load()
        if parsed.source != str(source.path):
            return super()._prepare(source, content_hash, owners, git, context)
        return prepare(source.path, source.root, content_hash, owners, git, context, parsed)

    def _roster_entry(self, path: Path) -> tuple[list[str], str]:
        """As `roster_entry`, from the cluster's parse when there is one."""
        done = self.parsed.get(str(path))
        if done is None:
            return roster_entry(path)
        parsed = done.load()
        names = [name for _, name, _ in extract_mentions(parsed)]
        return names, "\n".join(block.text for block in parsed.blocks)

    # ---- embedding on the cluster ---------------------------------------------------------

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts on a pool of actors, one model each; vectors in the texts' order."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        ray = self.ray
        actors = self.actors or cluster_cpus(ray)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths
        items = [{"i": i, "text": texts[i]} for i in order]
        blocks = max(1, min(-(-len(items) // EMBED_BATCH_CHUNKS), actors * 4))
        pool = ray.data.ActorPoolStrategy(size=min(actors, blocks))
        settings = self.settings.model_copy(update={"embed_threads": 1})
        dataset = ray.data.from_items(items, override_num_blocks=blocks).map_batches(
            EmbedChunks, fn_constructor_kwargs={"settings": settings},
            batch_size=EMBED_BATCH_CHUNKS, compute=pool, num_cpus=1, batch_format="numpy",
        )  # fmt: skip
        indices: list[np.ndarray] = []
        vectors: list[np.ndarray] = []
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            indices.append(np.asarray(batch["i"], dtype=np.int64))
            vectors.append(np.asarray(batch["vector"], dtype=np.float32))
        stacked = np.concatenate(vectors)
        result = np.empty_like(stacked)
        result[np.concatenate(indices)] = stacked
        return result


def _roster_files(folder: Path) -> list[Path]:
    """The files of a folder its roster is learnt from (as `identity.folder_roster` picks)."""
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in ROSTER_SUFFIXES)
    except OSError:
        return []
    picked = []
    for path in files[:MAX_FOLDER_FILES]:
        try:
            if path.is_file() and path.stat().st_size <= MAX_FOLDER_FILE_BYTES:
                picked.append(path)
        except OSError:
            continue
    return picked


def ingest_on_ray(
    kb: KnowledgeBase,
    paths: list[str | Path] | str | Path,
    address: str,
    prune: bool = False,
    kind: str | None = None,
    groups: list[str] | None = None,
    tags: list[str] | None = None,
    progress: bool = False,
    actors: int | None = None,
) -> IngestReport:
    """Ingest into `kb` with the Ray cluster at `address` ("auto" or HOST:PORT) parsing and
    embedding; same arguments and report as `KnowledgeBase.ingest`.

    The cluster's workers must see the files at the same paths (one machine, or a shared
    file system) and have Kenning installed.

    Raises:
        KenningError: Ray is not installed, or no cluster answers at the address.
    """
    ray = connect(address)
    _ = kb.embedder  # a model exported on first use is exported once, here, not per actor
    return RayIngestRunner(kb, ray, actors).ingest(paths, prune, kind, groups, tags, progress)
