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

This module imports Ray at its top; only `kenning serve --ray` imports it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
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
from kenning.errors import KenningError
from kenning.index.embeddings import Embedder, create_embedder
from kenning.kb import KnowledgeBase
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
logger = logging.getLogger(__name__)


@serve.deployment(name=SHARD_DEPLOYMENT, ray_actor_options={"num_cpus": REPLICA_CPUS})
class ShardReplica:
    """A replica of one shard: its knowledge base, read through `ShardReads`."""

    def __init__(self, folder: str, settings: Settings) -> None:
        self.folder = Path(folder)
        self.kb = KnowledgeBase(self.folder, settings)
        self.reads = ShardReads(self.kb)
        _ = self.kb.vectors  # the vector index loaded before the first call

    def call(self, method: str, args: tuple[Any, ...]) -> Any:  # noqa: ANN401 - any read's result
        """One read of the shard (a public method of `ShardReads`)."""
        if method not in SHARD_METHODS:
            raise KenningError(f"unknown shard read {method!r}")
        return getattr(self.reads, method)(*args)

    def pid(self) -> int:
        """The replica's process id."""
        return os.getpid()

    def check_health(self) -> None:
        """Serve restarts a replica whose shard folder or store no longer answers."""
        if not self.folder.is_dir():
            raise KenningError(f"the shard's folder is gone: {self.folder}")
        self.kb.store.get_meta("generation")


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

    def __init__(self, handle: Any, name: str, timeout_s: float) -> None:  # noqa: ANN401
        self.handle = handle
        self.name = name
        self.timeout_s = timeout_s
        self.counters = ShardCounters()

    def submit(self, method: str, *args: Any) -> Callable[[], Any]:  # noqa: ANN401
        deadline = time.monotonic() + self.timeout_s
        self.counters.add(calls=1)
        first = self._start(method, args)

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
                response = self._start(method, args)

        return fetch

    def _start(self, method: str, args: tuple[Any, ...]) -> Any:  # noqa: ANN401
        try:
            return self.handle.call.remote(method, args)
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


class PartialResults:
    """ASGI middleware: `?allow_partial=true` lets shards that do not answer be skipped (named
    in the `X-Kenning-Missing-Shards` header); `GET /v1/shards` reports the shard calls."""

    def __init__(self, app: Any, shards: Sequence[RemoteShard]) -> None:  # noqa: ANN401
        self.app = app
        self.shards = shards

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/v1/shards" and scope["method"] == "GET":
            await _send_json(send, {"shards": [{"name": s.name, **s.counters.to_dict()}
                                               for s in self.shards]})  # fmt: skip
            return
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
        create_app: Callable[..., Any], timeout_s: float,
    ) -> None:  # fmt: skip
        handles = [serve.get_deployment_handle(SHARD_DEPLOYMENT, app_name=app)
                   for app in shard_apps]  # fmt: skip
        self.remote = [RemoteShard(h, n, timeout_s) for h, n in zip(handles, names, strict=True)]
        store = ShardedStore(self.remote, names, settings.bm25_common_share)
        embedder: list[Embedder] = [create_embedder(settings)]
        embedder[0].embed_query("warm up")
        _, qa = sharded_service(store, settings, lambda: embedder[0])
        self.server = create_app(kb=ServedShards(settings, qa), ui=False, warm=False)
        self.server.add_middleware(PartialResults, shards=self.remote)
        # The question lexicon reads every shard: built off the event loop, not awaited.
        threading.Thread(target=_warm, args=(qa,), daemon=True).start()

    def __serve_build_asgi_app__(self) -> Any:  # noqa: ANN401 - the ASGI app
        return self.server


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
    host: str = "127.0.0.1",
    port: int = 8000,
    settings: Settings | None = None,
    timeout_s: float = SHARD_TIMEOUT_S,
    proxy_location: str = "EveryNode",
) -> ServedApps:
    """Deploy the shards in `shards` (`kenning shard`), or the knowledge base `kb` as one
    shard, and the server over them on the Ray cluster at `address`; returns once every
    replica answers.

    Args:
        address: "auto" or HOST:PORT of the cluster's head.
        shards: the folder of the `shard-NN` folders (seen at the same path on every node).
        create_app: the server's factory (`kenning.api.app.create_app`).
        kb: without `shards`, a knowledge base served as a single shard.
        replicas: replicas of each shard (and of the ingress, unless `ingress_replicas`).
        ingress_replicas: replicas of the ingress.
        host: where Serve's HTTP proxies listen.
        port: their port.
        settings: the settings (the shards' embedding model).
        timeout_s: how long a shard may take to answer a call, retries included.
        proxy_location: "EveryNode" or "HeadOnly" (Serve's HTTP proxies).

    Raises:
        KenningError: no cluster at the address, or the shards do not make one split.
    """
    if replicas < 1:
        raise KenningError("--replicas must be at least 1")
    connect(address)
    if shards is not None:
        opened = ShardedKnowledgeBase.open(shards, settings)  # checks the split
    elif kb is not None:
        opened = ShardedKnowledgeBase([kb], settings, whole=True)
    else:
        raise KenningError("serve on Ray needs --shards or --kb")
    with opened:
        folders = [str(kb.path.resolve()) for kb in opened.shards]
        names = [kb.path.name for kb in opened.shards]
        served_settings = opened.settings
    serve.start(proxy_location=proxy_location, http_options={"host": host, "port": port})
    env = {"env_vars": {key: os.environ.get(key, value) for key, value in WORKER_ENV.items()}}
    shard_apps = [SHARD_APP.format(i) for i in range(len(folders))]
    for app, folder in zip(shard_apps, folders, strict=True):
        deployment = ShardReplica.options(
            num_replicas=replicas,
            ray_actor_options={"num_cpus": REPLICA_CPUS, "runtime_env": env},
        )  # fmt: skip
        serve.run(deployment.bind(folder, served_settings), name=app, route_prefix=None)
    ingress = Ingress.options(
        num_replicas=ingress_replicas or replicas,
        ray_actor_options={"num_cpus": REPLICA_CPUS, "runtime_env": env},
    )
    serve.run(ingress.bind(shard_apps, names, served_settings, create_app, timeout_s),
              name=INGRESS_APP, route_prefix="/")  # fmt: skip
    return ServedApps(f"http://{host}:{port}", shard_apps)
