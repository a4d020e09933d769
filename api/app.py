"""The server: the HTTP API and the UI over one knowledge base; routers assembled, request
rules (hosts, origins, keys, body sizes) applied, errors mapped to JSON in one place."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from kenning.access import Authenticator
from kenning.api.auth import AdminUploads
from kenning.api.limits import BodyLimit, error_text, refusal
from kenning.api.origins import CrossSiteWrites, HostRule
from kenning.api.routes import admin, ask, chat, documents, models, people, search
from kenning.config import Settings, load_settings
from kenning.errors import AuthenticationError, InvalidRequest, KenningError, RateLimitError
from kenning.kb import KnowledgeBase
from kenning.ui.mount import GRADIO_UPLOAD, UI_PATH, mount_ui

logger = logging.getLogger(__name__)


def error(
    status: int, message: str, kind: str, details: object = None,
    headers: dict[str, str] | None = None, code: str | None = None,
) -> JSONResponse:
    """An error response: always JSON with a message (and `code`, the message's stable key,
    for an error that has one)."""
    body: dict[str, Any] = {"error": {"message": message, "type": kind}}
    if code:
        body["error"]["code"] = code
    if details is not None:
        body["error"]["details"] = details
    return JSONResponse(status_code=status, content=body, headers=headers)


def create_app(
    settings: Settings | None = None,
    *,
    kb: KnowledgeBase | None = None,
    owns_kb: bool = False,
    ui: bool = True,
    warm: bool = True,
    ui_in_background: bool = False,
    title: str = "Kenning",
    watch: Sequence[str | Path] = (),
) -> FastAPI:
    """The server for a knowledge base. Nothing runs at import time.

    Args:
        settings: the settings; read from the environment when omitted (ignored with `kb`).
        kb: an open knowledge base to serve (default: the one `settings.home` names, closed
            when the app shuts down).
        owns_kb: close `kb` when the app shuts down, as one the app opened itself.
        ui: mount the web UI at `/ui` (with `/login`); the API alone otherwise.
        warm: load the embedding model, vector index and question lexicon now, so the first
            question is fast.
        ui_in_background: build the UI once the server has started, so the API answers
            while Gradio loads (`/ui` answers 503 and reloads itself until then).
        title: the title of the OpenAPI schema.
        watch: files and folders to keep ingested while the server runs (`serve --watch`).
    """
    owned = kb is None or owns_kb
    if kb is None:
        settings = settings or load_settings()
        kb = KnowledgeBase(settings.home, settings)
    if warm and owned:
        kb.warm()
    ui_uploads = [UI_PATH + GRADIO_UPLOAD] if ui else []
    app = FastAPI(
        title=title,
        version="0.1.0",
        summary="Answers from your organisation's own knowledge, with citations and experts.",
    )
    app.state.kb = kb
    app.state.service = kb.qa
    app.state.auth = Authenticator(kb.settings)
    for router in (ask.router, search.router, people.router, documents.router, admin.router,
                   chat.router, models.router):  # fmt: skip
        app.include_router(router)
    _mount_mcp(app)
    settings = kb.settings
    upload_mb = settings.max_file_mb * settings.max_upload_files + 1 / 16  # + form fields
    uploads = (documents.router.prefix, *ui_uploads)
    # The last added runs first: the Host, CORS, the page a write comes from and the uploader's
    # key are all checked before any body is read; then the body's size.
    app.add_middleware(BodyLimit, upload_limit=int(upload_mb * 1048576), upload_paths=uploads)
    app.add_middleware(AdminUploads, auth=app.state.auth, paths=uploads)
    app.add_middleware(CrossSiteWrites, trusted_origins=settings.cors_origins)
    # Always present, even with no origins (then no CORS at all): Gradio, mounted on this app,
    # leaves CORS to it instead of trusting any origin when the Host is not localhost.
    app.add_middleware(
        CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "X-API-Key", "Content-Type"],
    )  # fmt: skip
    app.add_middleware(HostRule, allowed_hosts=settings.allowed_hosts)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = "request_too_large" if exc.status_code == 413 else "http_error"
        return error(exc.status_code, str(exc.detail), kind, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}"
            for e in exc.errors()
        ]
        return error(422, "; ".join(problems), "invalid_request",
                     [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()])  # fmt: skip

    @app.exception_handler(KenningError)
    async def kenning_error(request: Request, exc: KenningError) -> JSONResponse:
        headers: dict[str, str] = {}
        if isinstance(exc, RateLimitError):
            headers["Retry-After"] = str(exc.retry_after)
        elif isinstance(exc, AuthenticationError):
            headers["WWW-Authenticate"] = "Bearer"
        kind = "invalid_request" if isinstance(exc, InvalidRequest) else type(exc).__name__
        return error(exc.status, error_text(exc, request.headers), kind, headers=headers,
                     code=exc.key)  # fmt: skip

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        return error(500, "internal error; see the server log", "internal_error")

    if ui:
        @app.get("/", include_in_schema=False)
        def root() -> RedirectResponse:
            return RedirectResponse(f"{UI_PATH}/")

        mount_ui(app, app.state.service, app.state.auth, background=ui_in_background)

    if watch:
        _watch(app, kb, watch)

    if owned:
        @app.on_event("shutdown")
        def close() -> None:
            kb.close()

    return app


def _watch(app: FastAPI, kb: KnowledgeBase, paths: Sequence[str | Path]) -> None:
    """Re-ingest what changes under `paths` in a thread started with the server (an ingest
    first) and stopped before the knowledge base closes (see `kenning.ingest.watch`)."""
    from kenning.ingest.watch import Watcher  # the ingest pipeline: only a watching server

    watcher = Watcher(paths, kb.ingest, kb.writer, ignore=[kb.path])
    app.state.watcher = watcher
    threads = []

    @app.on_event("startup")
    def start_watching() -> None:
        threads.append(watcher.start())

    @app.on_event("shutdown")
    def stop_watching() -> None:
        watcher.stop()
        for thread in threads:
            thread.join(timeout=60)


def _mount_mcp(app: FastAPI) -> None:
    """The MCP server at `/mcp` (streamable HTTP), made on its first request and run in the
    app's lifespan; the same keys and groups as the API (see `kenning.api.mcp`)."""
    endpoint = McpOnFirstUse(app)
    app.router.add_route("/mcp", endpoint, include_in_schema=False)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: object) -> AsyncIterator[object]:
        async with inner(application) as state, endpoint.running():
            yield state

    app.router.lifespan_context = lifespan


class McpOnFirstUse:
    """`/mcp`, its server made when the first MCP request comes: the MCP SDK takes about half a
    second to import, which every start paid before its first answer. Once made, its session
    manager runs until the app stops (a new one each time the app starts)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.endpoint: Any = None  # the running `kenning.api.mcp.MCPEndpoint`
        self._wanted: anyio.Event | None = None
        self._ready: anyio.Event | None = None
        self._failure = ""

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """While the app runs: wait for the first MCP request, then serve MCP."""
        self._wanted, self._ready, stop = anyio.Event(), anyio.Event(), anyio.Event()
        async with anyio.create_task_group() as group:
            group.start_soon(self._serve, stop)
            try:
                yield
            finally:
                stop.set()
                self._wanted.set()
        self._wanted = self._ready = None

    async def _serve(self, stop: anyio.Event) -> None:
        assert self._wanted is not None and self._ready is not None
        await self._wanted.wait()
        if stop.is_set():  # the app stops: a request still waiting is refused
            self._ready.set()
            return
        try:
            endpoint = await anyio.to_thread.run_sync(self._make)
        except Exception as exc:  # noqa: BLE001 (reported to each MCP request, logged once)
            logger.exception("the MCP server could not start")
            self._failure = f"the MCP server could not start: {exc}"
            self._ready.set()
            return
        async with endpoint.running():
            self.endpoint = endpoint
            self._ready.set()
            await stop.wait()
        self.endpoint = None

    def _make(self) -> Any:  # noqa: ANN401 - kenning.api.mcp is imported here, on first use
        from kenning.api.mcp import MCPEndpoint

        return MCPEndpoint(self.app.state.service, self.app.state.auth)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._wanted is None or self._ready is None:
            await refusal(503, "the MCP endpoint is not running", "unavailable")(
                scope, receive, send
            )
            return
        self._wanted.set()
        await self._ready.wait()
        if self.endpoint is None:
            message = self._failure or "the MCP endpoint is not running"
            await refusal(503, message, "unavailable")(scope, receive, send)
            return
        await self.endpoint(scope, receive, send)
