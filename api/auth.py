"""Upload routes guarded before their body is read (the API's and the UI's)."""

from __future__ import annotations

from collections.abc import Collection

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from kenning.access import Authenticator
from kenning.api.limits import error_text, refusal
from kenning.errors import ForbiddenError, KenningError


class AdminUploads:
    """Refuse an upload from a caller who may not add documents before its body is read.

    FastAPI parses a form (spooling its files to disk) before the route's dependencies run,
    and Gradio's upload route reads the files of any signed-in user; this checks the key in
    the headers first: 401 without a usable key, 403 for a key without admin rights.

    Args:
        app: the app inside.
        auth: the API's authenticator.
        paths: the upload routes (`/v1/documents`, the UI's upload route).
    """

    def __init__(self, app: ASGIApp, auth: Authenticator, paths: Collection[str]) -> None:
        self.app = app
        self.auth = auth
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].rstrip("/") in self.paths
        ):
            try:
                if not self.auth.authenticate(Request(scope)).admin:
                    raise ForbiddenError(key="admin_to_add")
            except KenningError as exc:
                headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
                response = refusal(exc.status, error_text(exc, Request(scope).headers),
                                   type(exc).__name__, headers, exc.key)  # fmt: skip
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
