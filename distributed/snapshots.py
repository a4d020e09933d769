"""Published snapshots of a split: versioned folders and an atomic `CURRENT` pointer.

A split that is served and re-published lives under one root:

    ROOT/snapshots/0001/shard-00 ... shard-NN    a split, never changed once published
    ROOT/snapshots/0002/...
    ROOT/CURRENT                                 "0002": the snapshot to read

`publish_snapshot` splits a knowledge base into a hidden building folder, syncs it to disk,
renames it to the next version (a rename is atomic, so no reader sees a half-written
snapshot) and only then replaces `CURRENT` (written beside it, synced, `os.replace`d). A crash
at any point leaves the previous snapshot current; the next publish on the same machine removes
what a killed one left (`_remove_abandoned`). Readers resolve the pointer
(`split_folder`); served shards open a snapshot by version (`OpenSnapshots`), so that one
request reads one snapshot on every shard while the ingress switches between requests
(`serving.py`).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kenning.config import Settings
from kenning.distributed.search import SHARD_FOLDER, SHARD_META
from kenning.distributed.shard_reads import ShardReads
from kenning.distributed.shards import shard_folder, split_knowledge_base
from kenning.errors import KenningError
from kenning.index.embeddings import Embedder
from kenning.kb import DB_FILE, KnowledgeBase

CURRENT_FILE = "CURRENT"
SNAPSHOTS_DIR = "snapshots"
BUILDING_PREFIX = ".building-"  # + host, pid and a random part: a publish in progress
VERSION = re.compile(r"^\d{4,}$")
BUILDING = re.compile(r"^\.building-(?P<host>.+)-(?P<pid>\d+)-[0-9a-f]{8}$")
POINTER = re.compile(r"^CURRENT\.(?P<host>.+)-(?P<pid>\d+)-[0-9a-f]{8}$")
KEEP = 3  # snapshots kept on disk: the current one and two before it (requests may pin them)
LOG_TABLES = ("questions", "feedback")  # served questions and ratings, in a split's first shard
COLUMNS = "SELECT name FROM pragma_table_info(?, ?)"
OPEN_VERSIONS = 2  # snapshots a shard replica keeps open: the current one and the previous


def current_version(root: Path) -> str | None:
    """The version `ROOT/CURRENT` names, or None when the root has no published snapshot.

    Raises:
        KenningError: the pointer names no version.
    """
    try:
        version = (Path(root) / CURRENT_FILE).read_text().strip()
    except FileNotFoundError:
        return None
    if not VERSION.match(version):
        raise KenningError(f"{Path(root) / CURRENT_FILE} names no snapshot: {version[:40]!r}")
    return version


def snapshot_folder(root: Path, version: str) -> Path:
    """The folder of one snapshot (its `shard-NN` folders)."""
    return Path(root) / SNAPSHOTS_DIR / version


def split_folder(folder: Path) -> Path:
    """The folder of the `shard-NN` folders to read: the current snapshot's when `folder` is
    a snapshot root, else `folder` itself."""
    version = current_version(folder)
    return folder if version is None else snapshot_folder(folder, version)


def shard_names(folder: Path) -> list[str]:
    """The `shard-NN` folders in a split's folder, in order."""
    found = [p for p in Path(folder).iterdir() if p.is_dir() and SHARD_FOLDER.search(p.name)]
    return [p.name for p in sorted(found, key=lambda p: int(SHARD_FOLDER.search(p.name)[1]))]  # type: ignore[index]


def versions(root: Path) -> list[str]:
    """The published versions under a root, oldest first."""
    folder = Path(root) / SNAPSHOTS_DIR
    if not folder.is_dir():
        return []
    return sorted((p.name for p in folder.iterdir() if VERSION.match(p.name)), key=int)


def publish_snapshot(
    kb: Path, root: Path, shards: int, settings: Settings, embedder: Embedder | None = None,
    keep: int = KEEP, catch_up_s: float = 0.0,
) -> dict[str, object]:  # fmt: skip
    """Split the knowledge base at `kb` into `shards` shards, publish them as the next snapshot
    of `root` and make it current; snapshots beyond the `keep` newest are removed.

    The current snapshot's question log and ratings are copied into the new one before the
    switch; what served replicas log on the previous snapshot until `catch_up_s` seconds after
    it is copied after it (replicas re-read `CURRENT` every second and switch once every shard
    has opened the new snapshot: `kenning shard --publish` waits 5 s by default).

    Returns:
        The version, its folder and, per shard, its folder, documents and chunks.

    Raises:
        KenningError: `root` holds an unpublished split, or its current snapshot has another
            number of shards (served replicas could not switch to it), or `keep` is under 2.
    """
    root = Path(root)
    if keep < 2:
        raise KenningError("keep at least 2 snapshots: requests in flight may read the previous")
    current = current_version(root)
    if current is None and root.is_dir() and shard_names(root):
        raise KenningError(f"{root} holds a split that is not a snapshot: publish elsewhere")
    if current is not None:
        count = len(shard_names(snapshot_folder(root, current)))
        if count != shards:
            raise KenningError(
                f"the current snapshot ({current}) has {count} shards, not {shards}: a served "
                "split keeps its number of shards (serve a new split to change it)"
            )
    parent = root / SNAPSHOTS_DIR
    parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(root)
    building = parent / f"{BUILDING_PREFIX}{_host()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    carried: dict[str, int] = {}
    try:
        previous = snapshot_folder(root, current) if current is not None else None
        summary = split_knowledge_base(kb, shards, building, settings, embedder, previous)
        if current is not None:
            carried = _carry_logs(snapshot_folder(root, current), building)
        _sync_tree(building)
        version = _claim_version(root, building)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    _sync(parent)
    _write_pointer(root, version)
    folder = snapshot_folder(root, version)
    if current is not None:
        time.sleep(catch_up_s)
        _carry_logs(snapshot_folder(root, current), folder, after=carried)
    for i, part in enumerate(summary):
        part["folder"] = str(shard_folder(folder, i))
    _prune(root, keep)
    return {"version": version, "folder": str(folder), "shards": summary}


def _carry_logs(previous: Path, new: Path, after: dict[str, int] | None = None) -> dict[str, int]:
    """Copy the question log and ratings served from the previous snapshot (its first shard
    holds them) into the new one: all of them, or with `after` only the rows logged since
    (their ids above `after[table]`; copied without their ids, which the new snapshot's own
    rows may have taken). Returns each table's last id copied."""
    source = previous / shard_folder(Path(), 0) / DB_FILE
    if not source.is_file():
        return {}
    target = sqlite3.connect(str(new / shard_folder(Path(), 0) / DB_FILE), timeout=30)
    last: dict[str, int] = {}
    try:
        # Read-write: a read-only attach cannot recover a write-ahead log a replica left.
        target.execute("ATTACH DATABASE ? AS previous", (str(source),))
        with target:
            for table in LOG_TABLES:
                ours = [r[0] for r in target.execute(COLUMNS, (table, "main"))]
                theirs = {r[0] for r in target.execute(COLUMNS, (table, "previous"))}
                shared = [c for c in ours if c in theirs and (after is None or c != "id")]
                since = -1 if after is None else after.get(table, -1)
                columns = ", ".join(shared)
                (top,) = target.execute(f"SELECT MAX(id) FROM previous.{table}").fetchone()
                last[table] = since if top is None else int(top)
                target.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM "
                               f"previous.{table} WHERE id > ? AND id <= ? ORDER BY id",
                               (since, last[table]))  # fmt: skip
        target.execute("DETACH DATABASE previous")
    finally:
        target.close()
    return last


def _host() -> str:
    """This machine's name as a folder name may hold it."""
    return re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname()) or "host"


def _remove_abandoned(root: Path) -> None:
    """Remove what killed publishes on this machine left: building folders whose process is
    gone, and pointer files never renamed into place. A building folder of another machine
    (the root may be shared) is left alone: its publisher may be running."""
    parent = root / SNAPSHOTS_DIR
    for path in parent.iterdir() if parent.is_dir() else []:
        match = BUILDING.match(path.name)
        if match and match["host"] == _host() and not _alive(int(match["pid"])):
            shutil.rmtree(path, ignore_errors=True)
    for path in root.glob(f"{CURRENT_FILE}.*"):
        match = POINTER.match(path.name)
        if match and match["host"] == _host() and not _alive(int(match["pid"])):
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """Whether a process of this pid runs on this machine."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _claim_version(root: Path, building: Path) -> str:
    """Rename the built snapshot to the next free version (a rename onto an existing,
    non-empty folder fails, so two publishers never share one)."""
    while True:
        taken = versions(root)
        version = f"{int(taken[-1]) + 1 if taken else 1:04d}"
        try:
            building.rename(snapshot_folder(root, version))
        except OSError:
            if not snapshot_folder(root, version).exists():
                raise
            continue
        return version


def _write_pointer(root: Path, version: str) -> None:
    temporary = root / f"{CURRENT_FILE}.{_host()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    with temporary.open("w") as out:
        out.write(version + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, root / CURRENT_FILE)
    _sync(root)


def _prune(root: Path, keep: int) -> None:
    current = current_version(root)
    for version in versions(root)[:-keep]:
        if version != current:
            shutil.rmtree(snapshot_folder(root, version), ignore_errors=True)


def _sync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        else:
            _sync(path)
    _sync(folder)


def _sync(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class ShardSource:
    """Where one shard lies: a fixed folder, or shard `index` of `count` in the snapshots of a
    root (`root` set; `folder` is then the shard's name, `shard-NN`)."""

    folder: str
    root: str | None = None
    index: int = 0
    count: int = 1

    def current(self) -> str | None:
        """The version to read when a call names none (None: the fixed folder)."""
        return current_version(Path(self.root)) if self.root else None

    def path(self, version: str | None) -> Path:
        """The shard's folder in a snapshot (the fixed folder when there are none)."""
        if self.root is None:
            return Path(self.folder)
        if version is None or not VERSION.match(version):
            raise KenningError(f"no snapshot named {version!r} under {self.root}")
        return snapshot_folder(Path(self.root), version) / self.folder


@dataclass
class _Opened:
    kb: KnowledgeBase
    reads: ShardReads
    users: int = 0


class OpenSnapshots:
    """One shard's knowledge bases by snapshot version: opened (vector index loaded) on first
    use; the `keep` most recently used stay open, older ones are closed once no read uses
    them.

    Args:
        source: where the shard lies.
        settings: the settings to open it with.
        keep: how many versions to keep open.
    """

    def __init__(self, source: ShardSource, settings: Settings, keep: int = OPEN_VERSIONS) -> None:
        self.source = source
        self.settings = settings
        self.keep = keep
        self._lock = threading.Lock()
        self._open: OrderedDict[str | None, _Opened] = OrderedDict()
        self._gates: dict[str | None, threading.Lock] = {}

    @contextmanager
    def reads(self, version: str | None = None) -> Iterator[ShardReads]:
        """The shard's reads in snapshot `version` (None: the current one), held open while
        in use.

        Raises:
            KenningError: the snapshot does not hold this shard of this split.
        """
        if version is None:
            version = self.source.current()
        entry = self._acquire(version)
        try:
            yield entry.reads
        finally:
            with self._lock:
                entry.users -= 1
                self._evict()

    def opened(self) -> list[str | None]:
        """The versions open now, least recently used first."""
        with self._lock:
            return list(self._open)

    def close(self) -> None:
        """Close every open version."""
        with self._lock:
            for entry in self._open.values():
                entry.kb.close()
            self._open.clear()

    def _acquire(self, version: str | None) -> _Opened:
        while True:
            with self._lock:
                entry = self._open.get(version)
                if entry is not None:
                    entry.users += 1
                    self._open.move_to_end(version)
                    return entry
                gate = self._gates.setdefault(version, threading.Lock())
            with gate:  # one opening per version; reads of other versions go on meanwhile
                with self._lock:
                    if version in self._open:
                        continue
                opened = self._load(version)
                with self._lock:
                    self._open[version] = opened
                    self._gates.pop(version, None)

    def _load(self, version: str | None) -> _Opened:
        folder = self.source.path(version)
        if not (folder / DB_FILE).is_file():
            raise KenningError(f"no knowledge base at {folder}")
        kb = KnowledgeBase(folder, self.settings)
        if self.source.root is not None:
            mark = kb.store.get_meta(SHARD_META)
            if mark != f"{self.source.index}/{self.source.count}":
                kb.close()
                raise KenningError(f"{folder} is not shard {self.source.index} of "
                                   f"{self.source.count} (it is {mark})")  # fmt: skip
        _ = kb.vectors  # the vector index loaded before the first read
        return _Opened(kb, ShardReads(kb))

    def _evict(self) -> None:
        """Close the idle versions older than the `keep` most recently used (lock held)."""
        for version in list(self._open)[: -self.keep]:
            entry = self._open[version]
            if entry.users == 0:
                del self._open[version]
                entry.kb.close()
