"""Who is calling: API keys to principals, and how often each may call.

Keys come in `Authorization: Bearer <key>`, `X-API-Key: <key>`, or the `kenning_key` cookie
that the browser login (`/login`) sets. Only sha256 digests of the configured keys are kept
here, and nothing logs a presented key.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection

from kenning.config import ANONYMOUS, Principal, Settings
from kenning.errors import AuthenticationError, RateLimitError

if TYPE_CHECKING:
    from limits import RateLimitItem

COOKIE = "kenning_key"
KEY_HEADER = "x-api-key"


def digest(key: str) -> str:
    """The sha256 of a key, the only form in which keys are looked up."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def presented_key(request: HTTPConnection) -> str | None:
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
        # limits' moving window, in memory: one server process holds the counts. The library
        # is imported only when a limit is set (30 ms of a server's start otherwise).
        self._limits: list[RateLimitItem] = []
        self._limiter: Any = None
        if settings.rate_limit:
            from limits import parse_many
            from limits.storage import MemoryStorage
            from limits.strategies import MovingWindowRateLimiter

            self._limits = parse_many(settings.rate_limit)
            self._limiter = MovingWindowRateLimiter(MemoryStorage())

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

    def authenticate(self, request: HTTPConnection) -> Principal:
        """The request's principal.

        Raises:
            AuthenticationError: no key where one is needed, or a key nobody configured.
        """
        key = presented_key(request)
        principal = self.principal_for(key)
        if principal is not None:
            return principal
        if key:
            raise AuthenticationError(key="api_key_invalid")
        raise AuthenticationError(key="api_key_needed")

    def check_rate(self, principal: Principal, request: HTTPConnection) -> None:
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
                raise RateLimitError(wait, limit=item)
