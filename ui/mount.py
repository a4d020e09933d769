"""Mounting the UI on the API server, now or once the server is up.

Importing Gradio and building the Blocks takes several seconds on a small machine, longer
than everything else `kenning serve` does before it can answer. With `background=True` the
API starts listening at once: a placeholder at `/ui` answers 503 with a page that reloads
itself, a thread imports Gradio and builds the UI (as soon as someone opens `/ui`, else a
second after start), and the event loop then starts Gradio's queue and swaps the placeholder
for the real app. Nothing here imports Gradio.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.types import Receive, Scope, Send

from kenning.access import Authenticator
from kenning.qa.service import QAService
from kenning.ui.catalogues import request_language, tr
from kenning.ui.login import add_login_routes
from kenning.ui.render import esc

logger = logging.getLogger(__name__)

UI_PATH = "/ui"
# Gradio's upload route, under the UI's path: it stores files for any signed-in user, so the
# API gives it the rules of `POST /v1/documents` (see `kenning.app.create_app`).
GRADIO_UPLOAD = "/gradio_api/upload"
RETRY_SECONDS = 2
# The UI build (Gradio's import, seconds of CPU) waits this long after start, or until someone
# opens `/ui`, so that it does not slow the first answers of API clients on a small machine.
BUILD_DELAY_SECONDS = 1.0
# Browsers ask the server root for /favicon.ico whatever the page says; without one every
# page load logs a 404 in the console.
FAVICON_SVG = (
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'>"
    "<rect width='32' height='32' rx='7' fill='#4f46e5'/>"
    "<path d='M11 7v18M11 17l10-10M14 14l8 11' stroke='white' stroke-width='3.5' fill='none'/>"
    "</svg>"
)
STARTING_PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{retry}"><title>{title}</title>
<link rel="icon" type="image/svg+xml" href="/favicon.ico"></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;color:#27272a">
<h1>Kenning</h1><p>{message}</p><p><a href="/docs">{api}</a></p></body></html>"""


class PlaceholderUI:
    """What `/ui` answers until the UI is ready: 503 and a self-reloading page, or the
    reason the UI could not start (500)."""

    def __init__(self) -> None:
        self.error: str | None = None
        self.wanted = threading.Event()  # someone opened the UI: build it now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.wanted.set()
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1013})  # try again later
            return
        request = Request(scope)
        lang = request_language(request.headers, request.cookies)
        if self.error:
            message, status, headers = esc(tr("could_not_start", lang, error=self.error)), 500, {}
        else:
            message = esc(tr("starting", lang))
            status, headers = 503, {"Retry-After": str(RETRY_SECONDS)}
        page = STARTING_PAGE.format(retry=RETRY_SECONDS, message=message, lang=esc(lang),
                                    title=esc(tr("starting_title", lang)),
                                    api=esc(tr("http_api", lang)))  # fmt: skip
        await HTMLResponse(page, status_code=status, headers=headers)(scope, receive, send)


def mount_ui(
    app: FastAPI, service: QAService, auth: Authenticator, path: str = UI_PATH,
    background: bool = False,
) -> None:
    """Mount the UI at `path`, with `/login`, `/logout` and the favicon beside it.

    Every request to the UI is authenticated like the API's: without a valid key, or open
    anonymous access, Gradio answers 401 and `/login` takes the key.

    Args:
        app: the API app.
        service: the answering service the UI reads through.
        auth: the API's authenticator (keys to principals).
        path: where the UI lives.
        background: build the UI after the server starts (see the module docstring) instead
            of now.
    """
    add_login_routes(app, auth, path)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(FAVICON_SVG, media_type="image/svg+xml")

    @app.get(path, include_in_schema=False)
    def ui_home() -> RedirectResponse:
        # A relative redirect: Starlette's own (`/ui` to `/ui/`) spells out the Host header.
        return RedirectResponse(f"{path}/")

    if not background:
        from kenning.ui.app import attach_gradio

        attach_gradio(app, service, auth, path)
        return
    placeholder = PlaceholderUI()
    app.mount(path, placeholder)
    placeholder_route = app.router.routes[-1]
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def run_gradio(gradio_app: Any) -> None:
        """Gradio's own start-up (its queue), held until the server shuts down."""
        async with gradio_app.router.lifespan_context(gradio_app):
            blocks = gradio_app.get_blocks()
            blocks.run_startup_events()
            await blocks.run_extra_startup_events()
            app.router.routes = [r for r in app.router.routes if r is not placeholder_route]
            logger.info("the UI is ready at %s", path)
            await stop.wait()

    def build(loop: asyncio.AbstractEventLoop) -> None:
        placeholder.wanted.wait(BUILD_DELAY_SECONDS)
        try:
            from kenning.ui.app import attach_gradio

            gradio_app = attach_gradio(app, service, auth, path)
        except Exception as exc:  # noqa: BLE001 (the API keeps serving; /ui says why)
            logger.exception("the UI could not start")
            placeholder.error = f"{type(exc).__name__}: {exc}"
            return
        loop.call_soon_threadsafe(lambda: tasks.append(loop.create_task(run_gradio(gradio_app))))

    @app.on_event("startup")
    async def start_ui() -> None:
        loop = asyncio.get_running_loop()
        threading.Thread(target=build, args=(loop,), name="kenning-ui", daemon=True).start()

    @app.on_event("shutdown")
    async def stop_ui() -> None:
        stop.set()
        if tasks:
            await asyncio.wait(tasks, timeout=5)

