"""The HTTP API over shards through Ray Serve (`kenning serve --ray`).

One Serve application per shard (`kenning-shard-NN`, a deployment of R replicas, each
holding the shard's knowledge base and answering its `ShardReads`), and one ingress
application (`kenning`, R replicas) whose replicas run the ordinary server (`create_app`,
handed in by the CLI) over a `ShardedStore` of remote shards: the same routes, the same
answers as one knowledge base.

Failures: a shard call that fails for want of a replica (killed, restarting, deleted) is
tried again until the shard's deadline (`timeout_s`); a shard still not answering fails the
request with 503 naming it, unless the request asks `?allow_partial=true`, in which case
the other shards answer and the response's `X-Kenning-Missing-Shards` header names the
missing ones. `GET /v1/shards` reports, per shard, the calls made, retried and failed.

Snapshots: served from a snapshot root (`snapshots.py`), every shard call names the snapshot
it reads. Each request reads the snapshot its ingress replica was on when it started, on
every shard; an ingress replica switches to a newly published one (it re-reads `CURRENT`
every `poll_s`) once every shard has opened it, so no request fails or mixes two splits.
Shard replicas open a snapshot at its first call (or when they see the pointer change) and
keep the two most recent open.

Replicas: a fixed number, or autoscaled by Serve between bounds (`replica_options`).

This module imports Ray at its top; only `kenning serve --ray` imports it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ray import serve
from ray.exceptions import RayTaskError
from ray.serve.exceptions import DeploymentUnavailableError

from kenning.config import Settings
from kenning.distributed.cluster import WORKER_ENV, connect
from kenning.distributed.search import ShardedKnowledgeBase, ShardedStore, sharded_service
from kenning.distributed.shard_reads import MISSING_SHARDS, ShardReads, ShardUnavailableError
from kenning.distributed.snapshots import (
    OpenSnapshots,
    ShardSource,
    current_version,
    shard_names,
    snapshot_folder,
)
from kenning.errors import KenningError
from kenning.index.embeddings import Embedder, create_embedder
from kenning.qa.service import QAService

INGRESS_APP = "kenning"
SHARD_APP = "kenning-shard-{:02d}"
SHARD_DEPLOYMENT = "shard"
SHARD_TIMEOUT_S = 10.0  # how long a shard may take to answer one call, retries included
RETRY_PAUSE_S = 0.05
REPLICA_CPUS = 0.25  # a replica mostly waits on SQLite, FAISS or its shards
SHARD_METHODS = frozenset(
    name for name in dir(ShardReads)
    if not name.startswith("_") and callable(getattr(ShardReads, name))
)
PARTIAL_VALUES = ("1", "true", "yes")
POLL_S = 1.0  # how often replicas re-read a snapshot root's CURRENT
PREPARE_TIMEOUT_S = 120.0  # how long a shard may take to open a new snapshot
# Set per request by the ingress: the snapshot every shard call of the request reads.
SNAPSHOT: ContextVar[str | None] = ContextVar("kenning_snapshot", default=None)
logger = logging.getLogger(__name__)


def replica_options(
    replicas: int = 1, min_replicas: int | None = None, max_replicas: int | None = None
) -> dict[str, Any]:
    """Serve's options for a deployment's replicas: `replicas` of them, or autoscaled between
    `min_replicas` (default 1) and `max_replicas` when that is given.

    Raises:
        KenningError: a count under 1, a minimum above the maximum, or a minimum alone.
    """
    if max_replicas is None:
        if min_replicas is not None:
            raise KenningError("--min-replicas needs --max-replicas")
        if replicas < 1:
            raise KenningError("--replicas must be at least 1")
        return {"num_replicas": replicas}
    low = 1 if min_replicas is None else min_replicas
    if low < 1 or max_replicas < low:
        raise KenningError("autoscaling needs 1 <= --min-replicas <= --max-replicas "
                           f"(got {low} and {max_replicas})")  # fmt: skip
    return {"autoscaling_config": {"min_replicas": low, "initial_replicas": low,
                                   "max_replicas": max_replicas}}  # fmt: skip


@serve.deployment(name=SHARD_DEPLOYMENT, ray_actor_options={"num_cpus": REPLICA_CPUS})
class ShardReplica:
    """A replica of one shard: its knowledge base (by snapshot, when published ones are
    served), read through `ShardReads`."""

    def __init__(self, source: ShardSource, settings: Settings, poll_s: float = POLL_S) -> None:
        self.snapshots = OpenSnapshots(source, settings)
        self.stopped = threading.Event()
        self._open_current()  # before the first call
        if source.root is not None:
            threading.Thread(target=self._watch, args=(poll_s,), daemon=True).start()

    def call(
        self, method: str, args: tuple[Any, ...], version: str | None = None
    ) -> Any:  # noqa: ANN401 - any read's result
        """One read of the shard (a public method of `ShardReads`) in snapshot `version`
        (None: the current one)."""
        if method not in SHARD_METHODS:
            raise KenningError(f"unknown shard read {method!r}")
        with self.snapshots.reads(version) as reads:
            return getattr(reads, method)(*args)

    def opened(self) -> list[str | None]:
        """The snapshots open in this replica."""
        return self.snapshots.opened()

    def pid(self) -> int:
        """The replica's process id."""
        return os.getpid()

    def check_health(self) -> None:
        """Serve restarts a replica whose shard folder or store no longer answers (a newly
        published snapshot that does not open does not count: calls do not read it)."""
        for version in self.snapshots.opened():
            folder = self.snapshots.source.path(version)
            if not folder.is_dir():
                raise KenningError(f"the shard's folder is gone: {folder}")
            with self.snapshots.reads(version) as reads:
                reads.store.get_meta("generation")

    def __del__(self) -> None:
        self.stopped.set()

    def _open_current(self) -> None:
        try:
            with self.snapshots.reads(None):
                pass
        except (KenningError, OSError) as exc:
            if self.snapshots.source.root is None:
                raise
            # A call naming a good snapshot still answers; the ingress does not switch to it.
            logger.warning("shard %s: the current snapshot does not open: %s",
                           self.snapshots.source.folder, exc)  # fmt: skip

    def _watch(self, poll_s: float) -> None:
        """Open each newly published snapshot as soon as the pointer names it."""
        tried: str | None = None
        while not self.stopped.wait(poll_s):
            try:
                version = self.snapshots.source.current()
            except (KenningError, OSError):
                continue
            if version != tried and version not in self.snapshots.opened():
                tried = version
                self._open_current()


@dataclass
class ShardCounters:
    """What one ingress replica saw of one shard."""

    calls: int = 0
    retried: int = 0
    failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    def to_dict(self) -> dict[str, int]:
        return {"calls": self.calls, "retried": self.retried, "failed": self.failed}


class RemoteShard:
    """A shard's reads through its Serve deployment: `submit` starts a call and returns a
    function that awaits it, trying again (another replica) until the deadline when the
    replica it went to died or none is running; a deployment Serve reports unavailable
    (deleted, or failed to deploy) fails at once."""

    def __init__(
        self, handle: Any, name: str, timeout_s: float,  # noqa: ANN401
        snapshot: Callable[[], str | None] = lambda: None,
    ) -> None:  # fmt: skip
        self.handle = handle
        self.name = name
        self.timeout_s = timeout_s
        self.snapshot = snapshot  # the snapshot a call reads (None: the shard's current)
        self.counters = ShardCounters()

    def submit(self, method: str, *args: Any) -> Callable[[], Any]:  # noqa: ANN401
        """Start a read in the snapshot of the moment; returns a function awaiting it."""
        return self.submit_at(self.snapshot(), self.timeout_s, method, *args)

    def submit_at(
        self, version: str | None, timeout_s: float, method: str, *args: Any
    ) -> Callable[[], Any]:  # fmt: skip
        """Start a read in snapshot `version`, answered within `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        self.counters.add(calls=1)
        first = self._start(method, args, version)

        def fetch() -> Any:  # noqa: ANN401
            response, reason, gone = first, "", False
            while True:
                left = deadline - time.monotonic()
                if response is not None and left > 0:
                    try:
                        return response.result(timeout_s=left)
                    except (KenningError, RayTaskError):  # the shard's own error: not retried
                        raise
                    except Exception as exc:  # noqa: BLE001 - any failure to reach a replica
                        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                        if isinstance(exc, DeploymentUnavailableError):
                            gone = True  # deleted or failed to deploy: no replica is coming
                if gone or time.monotonic() >= deadline:
                    self.counters.add(failed=1)
                    raise ShardUnavailableError(self.name, reason or "no answer in time")
                self.counters.add(retried=1)
                time.sleep(RETRY_PAUSE_S)
                response = self._start(method, args, version)

        return fetch

    def _start(self, method: str, args: tuple[Any, ...], version: str | None) -> Any:  # noqa: ANN401
        try:
            return self.handle.call.remote(method, args, version)
        except Exception:  # noqa: BLE001 - the app is gone: tried again until the deadline
            logger.debug("shard %s: call not started", self.name, exc_info=True)
            return None


class ServedShards:
    """What `create_app` serves: the answering service over remote shards."""

    def __init__(self, settings: Settings, qa: QAService) -> None:
        self.settings = settings
        self.qa = qa

    def close(self) -> None:
        """Nothing to close: the shards' replicas hold the knowledge bases."""


class SnapshotSwitch:
    """The snapshot an ingress replica's requests read. With a snapshot root, a thread
    re-reads `CURRENT` every `poll_s`; a new version is switched to once every shard has
    opened it (`generation` read in it, on one replica each; the others open it when they
    see the pointer, or at their first call), and only when it holds the same shards.
    Requests keep the version of their start (`SNAPSHOT`).

    Args:
        root: the snapshot root, or None (shards in fixed folders).
        version: the version the shards were deployed with.
        names: the shards' names.
    """

    def __init__(self, root: str | None, version: str | None, names: Sequence[str]) -> None:
        self.root = Path(root) if root is not None else None
        self.current = version
        self.names = list(names)
        self.shards: list[RemoteShard] = []
        self.switches = 0
        self.refused: dict[str, str] = {}  # version -> why it is not read
        self.stopped = threading.Event()

    def watch(self, shards: Sequence[RemoteShard], poll_s: float = POLL_S) -> None:
        """Check the pointer once, waiting (a replica started after a publish serves the new
        snapshot from its first request: the one it was deployed with may be pruned), then
        watch it in a thread."""
        self.shards = list(shards)
        if self.root is None:
            return
        # In a thread: Serve runs a replica's constructor in an event loop, where a shard
        # call may not be awaited synchronously.
        first = threading.Thread(target=self._check_logged, daemon=True)
        first.start()
        first.join(PREPARE_TIMEOUT_S)
        threading.Thread(target=self._watch, args=(poll_s,), daemon=True).start()

    def pinned(self) -> str | None:
        """The version this request reads (the current one outside a request)."""
        version = SNAPSHOT.get()
        return version if version is not None else self.current

    def check(self) -> bool:
        """Switch to the version `CURRENT` names if it is new and every shard opens it;
        returns whether it switched."""
        if self.root is None:
            return False
        try:
            version = current_version(self.root)
        except (KenningError, OSError) as exc:
            self._refuse("CURRENT", str(exc))
            return False
        if version is None or version == self.current:
            return False
        try:
            names = shard_names(snapshot_folder(self.root, version))
        except OSError as exc:
            self._refuse(version, f"{type(exc).__name__}: {exc}")
            return False
        if names != self.names:
            self._refuse(version, f"holds {', '.join(names) or 'no shards'}, "
                                  f"not {', '.join(self.names)}")  # fmt: skip
            return False
        fetches = [s.submit_at(version, PREPARE_TIMEOUT_S, "generation") for s in self.shards]
        try:
            for fetch in fetches:
                fetch()
        except KenningError as exc:  # tried again at the next poll
            self._refuse(version, str(exc))
            return False
        except RayTaskError as exc:
            self._refuse(version, str(exc).splitlines()[-1][:300])
            return False
        previous, self.current = self.current, version
        self.switches += 1
        self.refused.pop(version, None)
        logger.warning("switched from snapshot %s to %s", previous, version)
        return True

    def report(self) -> dict[str, Any]:
        """The version read now, the switches made and the versions refused."""
        return {"snapshot": self.current, "switches": self.switches, "refused": self.refused}

    def _refuse(self, version: str, why: str) -> None:
        if self.refused.get(version) != why:
            logger.warning("not switching to snapshot %s: %s", version, why)
        self.refused[version] = why

    def _check_logged(self) -> None:
        try:
            self.check()
        except Exception:  # noqa: BLE001 - the watch goes on; requests keep their version
            logger.exception("checking the snapshot pointer failed")

    def _watch(self, poll_s: float) -> None:
        while not self.stopped.wait(poll_s):
            self._check_logged()


class PartialResults:
    """ASGI middleware: `?allow_partial=true` lets shards that do not answer be skipped (named
    in the `X-Kenning-Missing-Shards` header); each request is pinned to the snapshot of its
    start; `GET /v1/shards` reports the shard calls and the snapshot."""

    def __init__(
        self, app: Any, shards: Sequence[RemoteShard], snapshots: SnapshotSwitch,  # noqa: ANN401
    ) -> None:  # fmt: skip
        self.app = app
        self.shards = shards
        self.snapshots = snapshots

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/v1/shards" and scope["method"] == "GET":
            await _send_json(send, {**self.snapshots.report(),
                                    "shards": [{"name": s.name, **s.counters.to_dict()}
                                               for s in self.shards]})  # fmt: skip
            return
        pinned = SNAPSHOT.set(self.snapshots.current)
        query = scope.get("query_string", b"").decode("latin-1")
        allowed = any(part.split("=", 1)[0] == "allow_partial"
                      and part.split("=", 1)[-1].lower() in PARTIAL_VALUES
                      for part in query.split("&"))  # fmt: skip
        missing: list[str] | None = [] if allowed else None
        token = MISSING_SHARDS.set(missing)

        async def send_with_header(message: dict) -> None:
            if message["type"] == "http.response.start" and missing:
                headers = list(message.get("headers", []))
                headers.append((b"x-kenning-missing-shards", ",".join(missing).encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            MISSING_SHARDS.reset(token)
            SNAPSHOT.reset(pinned)


async def _send_json(send: Callable, body: object) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": data})


@serve.deployment(name="ingress", ray_actor_options={"num_cpus": REPLICA_CPUS})
@serve.ingress()
class Ingress:
    """A replica of the server: the ordinary app over the shards' deployments."""

    def __init__(
        self, shard_apps: list[str], names: list[str], settings: Settings,
        create_app: Callable[..., Any], timeout_s: float, root: str | None = None,
        version: str | None = None, poll_s: float = POLL_S,
    ) -> None:  # fmt: skip
        handles = [serve.get_deployment_handle(SHARD_DEPLOYMENT, app_name=app)
                   for app in shard_apps]  # fmt: skip
        self.snapshots = SnapshotSwitch(root, version, names)
        self.remote = [RemoteShard(h, n, timeout_s, self.snapshots.pinned)
                       for h, n in zip(handles, names, strict=True)]  # fmt: skip
        self.snapshots.watch(self.remote, poll_s)
        store = ShardedStore(self.remote, names, settings.bm25_common_share,
                             snapshot=self.snapshots.pinned)  # fmt: skip
        embedder: list[Embedder] = [create_embedder(settings)]
        embedder[0].embed_query("warm up")
        _, qa = sharded_service(store, settings, lambda: embedder[0])
        self.server = create_app(kb=ServedShards(settings, qa), warm=False, ui_in_background=True)
        self.server.add_middleware(PartialResults, shards=self.remote, snapshots=self.snapshots)
        # The question lexicon reads every shard: built off the event loop, not awaited.
        threading.Thread(target=_warm, args=(qa,), daemon=True).start()

    def __serve_build_asgi_app__(self) -> Any:  # noqa: ANN401 - the ASGI app
        return self.server

    def __del__(self) -> None:
        self.snapshots.stopped.set()


def _warm(qa: QAService) -> None:
    try:
        qa.warm()
    except Exception:  # noqa: BLE001 - the first question builds it then
        logger.debug("warming the question lexicon failed", exc_info=True)


@dataclass
class ServedApps:
    """What `serve_on_ray` deployed."""

    url: str
    shard_apps: list[str]
    ingress_app: str = INGRESS_APP

    def delete(self) -> None:
        """Delete the ingress and the shards' applications."""
        for name in (self.ingress_app, *self.shard_apps):
            serve.delete(name)


def serve_on_ray(
    address: str,
    shards: Path | None,
    create_app: Callable[..., Any],
    *,
    kb: Path | None = None,
    replicas: int = 1,
    ingress_replicas: int | None = None,
    min_replicas: int | None = None,
    max_replicas: int | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    settings: Settings | None = None,
    timeout_s: float = SHARD_TIMEOUT_S,
    proxy_location: str = "EveryNode",
    poll_s: float = POLL_S,
) -> ServedApps:
    """Deploy the shards in `shards` (`kenning shard`; a snapshot root of `kenning shard
    --publish`: its current snapshot, then each one published), or the knowledge base `kb`
    as one shard, and the server over them on the Ray cluster at `address`; returns once
    every replica answers.

    Args:
        address: "auto" or HOST:PORT of the cluster's head.
        shards: the folder of the `shard-NN` folders, or a snapshot root (seen at the same
            path on every node).
        create_app: the server's factory (`kenning.api.app.create_app`).
        kb: without `shards`, a knowledge base served as a single shard.
        replicas: replicas of each shard (and of the ingress, unless `ingress_replicas`).
        ingress_replicas: replicas of the ingress.
        min_replicas: with `max_replicas`, the lower bound of autoscaled replicas (default 1).
        max_replicas: autoscale each shard (and the ingress, unless `ingress_replicas`)
            between the bounds instead of running `replicas`.
        host: where Serve's HTTP proxies listen.
        port: their port.
        settings: the settings (the shards' embedding model).
        timeout_s: how long a shard may take to answer a call, retries included.
        proxy_location: "EveryNode" or "HeadOnly" (Serve's HTTP proxies).
        poll_s: how often replicas re-read a snapshot root's `CURRENT`.

    Raises:
        KenningError: no cluster at the address, the shards do not make one split, or the
            replica counts are not valid.
    """
    shard_replicas = replica_options(replicas, min_replicas, max_replicas)
    ingress_options = (replica_options(ingress_replicas) if ingress_replicas
                       else shard_replicas)  # fmt: skip
    connect(address)
    root = version = None
    if shards is not None:
        version = current_version(shards)
        root = str(Path(shards).resolve()) if version is not None else None
        opened = ShardedKnowledgeBase.open(shards, settings)  # checks the split
    elif kb is not None:
        opened = ShardedKnowledgeBase([kb], settings, whole=True)
    else:
        raise KenningError("serve on Ray needs --shards or --kb")
    with opened:
        folders = [str(kb.path.resolve()) for kb in opened.shards]
        names = [kb.path.name for kb in opened.shards]
        served_settings = opened.settings
    sources = [ShardSource(name, root, i, len(names)) if root else ShardSource(folder)
               for i, (name, folder) in enumerate(zip(names, folders, strict=True))]  # fmt: skip
    serve.start(proxy_location=proxy_location, http_options={"host": host, "port": port})
    env = {"env_vars": {key: os.environ.get(key, value) for key, value in WORKER_ENV.items()}}
    actor_options = {"num_cpus": REPLICA_CPUS, "runtime_env": env}
    shard_apps = [SHARD_APP.format(i) for i in range(len(folders))]
    for app, source in zip(shard_apps, sources, strict=True):
        deployment = ShardReplica.options(**shard_replicas, ray_actor_options=actor_options)
        serve.run(deployment.bind(source, served_settings, poll_s), name=app, route_prefix=None)
    ingress = Ingress.options(**ingress_options, ray_actor_options=actor_options)
    serve.run(ingress.bind(shard_apps, names, served_settings, create_app, timeout_s, root,
                           version, poll_s),
              name=INGRESS_APP, route_prefix="/")  # fmt: skip
    return ServedApps(f"http://{host}:{port}", shard_apps)
