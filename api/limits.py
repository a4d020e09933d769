"""Request body limits, enforced while the body streams in (before any parsing).

Starlette spools uploaded files to disk as they arrive and only then hands them to the
route, so a size check in the route would come after a 10 GB body had filled the disk. This
ASGI middleware refuses a body whose declared length is too large at once, and stops one
that grows past the limit while streaming (chunked uploads declare no length). It covers every
route, the UI's (mounted at /ui) included: upload routes get the upload limit, all others the
small limit of a JSON body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from kenning.errors import KenningError
from kenning.ui.catalogues import best_language

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# JSON bodies (questions, filters, feedback, chat messages) are small.
DEFAULT_LIMIT = 1 << 20


class BodyTooLarge(HTTPException):
    """The request body passed its limit while it was being received.

    An HTTPException, because FastAPI turns any other error raised while it reads a body
    into "400 error parsing the body"; this one it passes on as a 413.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over the {limit / 1048576:g} MB limit")


def refusal(
    status: int, message: str, kind: str, headers: dict[str, str] | None = None,
    code: str | None = None,
) -> JSONResponse:  # fmt: skip
    """An error a middleware answers before the app sees the request, in the API's JSON shape
    (`{"error": {"message", "type"}}`, with `code` when the error has one)."""
    body: dict[str, Any] = {"error": {"message": message, "type": kind}}
    if code:
        body["error"]["code"] = code
    return JSONResponse(body, status_code=status, headers=headers)


def error_text(exc: KenningError, headers: Mapping[str, str]) -> str:
    """An error's message in the language of what was asked when Kenning knows it (a French
    question), else in the one the request's `Accept-Language` prefers (English by default)."""
    return exc.in_language(exc.language or best_language(headers.get("accept-language")))


class BodyLimit:
    """Cap request bodies: `upload_limit` bytes on the `upload_paths`, `default_limit` on
    every other route."""

    def __init__(
        self, app: ASGIApp, upload_limit: int, upload_paths: Collection[str] = ("/v1/documents",),
        default_limit: int = DEFAULT_LIMIT,
    ) -> None:  # fmt: skip
        self.app = app
        self.upload_limit = upload_limit
        self.upload_paths = frozenset(upload_paths)
        self.default_limit = default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        is_upload = scope["path"].rstrip("/") in self.upload_paths
        limit = self.upload_limit if is_upload else self.default_limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(scope, receive, send, limit)


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = refusal(413, BodyTooLarge(limit).detail, "request_too_large")
    await response(scope, receive, send)
