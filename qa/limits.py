"""Request body limits, enforced while the body streams in (before any parsing).

Starlette spools uploaded files to disk as they arrive and only then hands them to the
route, so a size check in the route would come after a 10 GB body had filled the disk. This
ASGI middleware refuses a body whose declared length is too large at once, and stops one
that grows past the limit while streaming (chunked uploads declare no length).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

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


class BodyLimit:
    """Cap request bodies: `upload_limit` bytes for uploads, `default_limit` elsewhere."""

    def __init__(
        self, app: ASGIApp, upload_limit: int, upload_path: str = "/v1/documents",
        default_limit: int = DEFAULT_LIMIT,
    ) -> None:  # fmt: skip
        self.app = app
        self.upload_limit = upload_limit
        self.upload_path = upload_path
        self.default_limit = default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in ("GET", "HEAD", "OPTIONS")
            or not scope["path"].startswith("/v1/")  # the UI (mounted at /ui) has its own
        ):
            await self.app(scope, receive, send)
            return
        is_upload = scope["path"].rstrip("/") == self.upload_path
        limit = self.upload_limit if is_upload else self.default_limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
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
                await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    message = BodyTooLarge(limit).detail
    body = json.dumps({"error": {"message": message, "type": "request_too_large"}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
