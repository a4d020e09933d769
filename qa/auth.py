"""Who is calling: API keys to principals, and how often each may call.

Keys come in `Authorization: Bearer <key>`, `X-API-Key: <key>`, or the `kenning_key` cookie
that the browser login (`/login`) sets. Only sha256 digests of the configured keys are kept
here, and nothing logs a presented key.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Collection

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from kenning.config import ANONYMOUS, Principal, Settings
from kenning.errors import AuthenticationError, ForbiddenError, KenningError, RateLimitError
from kenning.qa.limits import refusal

COOKIE = "kenning_key"
KEY_HEADER = "x-api-key"


def digest(key: str) -> str:
    """The sha256 of a key, the only form in which keys are looked up."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def presented_key(request: Request) -> str | None:
    """The key a request carries, if any: bearer token, X-API-Key, then the login cookie."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get(KEY_HEADER) or request.cookies.get(COOKIE) or None


class Authenticator:
    """Maps keys to principals and counts requests per key (`rate_limit` setting)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._principals = {
            digest(k.key.get_secret_value()): k.principal() for k in settings.api_keys
        }
        # limits' moving window, in memory: one server process holds the counts.
        self._limits: list[RateLimitItem] = (
            parse_many(settings.rate_limit) if settings.rate_limit else []
        )
        self._limiter = MovingWindowRateLimiter(MemoryStorage()) if self._limits else None

    def principal_for(self, key: str | None) -> Principal | None:
        """The principal of a key (None for an unknown key), or the anonymous one without a key
        when anonymous callers are allowed. With no keys configured, keys are ignored (OpenAI
        clients always send one)."""
        if key and self._principals:
            return self._principals.get(digest(key))
        if self.settings.anonymous_allowed:
            return self.settings.anonymous_principal()
        return None

    def principal_named(self, name: str | None) -> Principal | None:
        """The principal a name stands for (as the UI's login reports it), if any."""
        if name == ANONYMOUS or name is None:
            return self.principal_for(None)
        return next((p for p in self._principals.values() if p.name == name), None)

    def authenticate(self, request: Request) -> Principal:
        """The request's principal.

        Raises:
            AuthenticationError: no key where one is needed, or a key nobody configured.
        """
        key = presented_key(request)
        principal = self.principal_for(key)
        if principal is not None:
            return principal
        if key:
            raise AuthenticationError("invalid API key")
        raise AuthenticationError(
            "an API key is needed: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
        )

    def check_rate(self, principal: Principal, request: Request) -> None:
        """Count one request against the caller's limits.

        Raises:
            RateLimitError: a limit is used up; carries the seconds until it frees up.
        """
        if self._limiter is None:
            return
        client = request.client.host if request.client else "unknown"
        who = f"ip:{client}" if principal.name == ANONYMOUS else f"key:{principal.name}"
        for item in self._limits:
            if not self._limiter.hit(item, who):
                reset = self._limiter.get_window_stats(item, who).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                raise RateLimitError(f"rate limit of {item} exceeded; retry in {wait} s", wait)


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
                    raise ForbiddenError("adding documents needs an admin API key")
            except KenningError as exc:
                headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
                response = refusal(exc.status, str(exc), type(exc).__name__, headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
