"""Where a request comes from: the host name it was sent to, and the page that sent it.

Two ASGI middlewares, outside every route (the UI's included), that read headers only:

- `HostRule` answers only requests whose `Host` is one of `allowed_hosts` (the loopback names
  by default) or the address the connection arrived at. A page on a name its attacker
  controls can have that name resolve to 127.0.0.1 (DNS rebinding) and then read the server
  as its own origin; the Host header still names the attacker's host, so it is refused.
- `CrossSiteWrites` refuses writes (POST, PUT, PATCH, DELETE) sent by another site's page: a
  form or a script elsewhere can make the browser post to this server, and with no keys
  configured (or with a login cookie) that post would act as the local user. The browser
  says where the request comes from (`Origin`, `Sec-Fetch-Site`); the server's own pages and
  the origins listed in `cors_origins` may write, and clients that send neither header (curl,
  SDKs) are not browsers acting for someone else.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from kenning.api.limits import refusal

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def host_name(host: str | None) -> str | None:
    """The name in a Host header, lower case, without the port (IPv6 keeps its brackets);
    None when there is none."""
    host = (host or "").strip().lower()
    if host.startswith("["):
        name, bracket, _ = host.partition("]")
        return name + bracket if bracket else None
    name = host.partition(":")[0]
    return name or None


class HostRule:
    """Answer only requests sent to an allowed host name (400 for the others).

    Args:
        app: the app inside.
        allowed_hosts: names as `Settings.allowed_hosts` holds them: exact names, IPv6
            addresses in brackets, `*.example.com` for its subdomains, `*` for any host.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Collection[str]) -> None:
        self.app = app
        self.any = "*" in allowed_hosts
        self.names = frozenset(h for h in allowed_hosts if not h.startswith("*"))
        self.suffixes = tuple(h[1:] for h in allowed_hosts if h.startswith("*."))

    def allows(self, name: str | None, scope: Scope) -> bool:
        """Whether a host name is allowed, or is the address the connection arrived at (an
        IP address as the server reports it: a rebinding page cannot send that)."""
        if name is None:
            return False
        if name in self.names or name.endswith(self.suffixes):
            return True
        server = scope.get("server")
        if not server:
            return False
        address = str(server[0]).lower()  # IPv4 on an IPv6 socket: ::ffff:192.0.2.1
        return name in (address, f"[{address}]", address.removeprefix("::ffff:"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.any or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self.allows(host_name(Headers(scope=scope).get("host")), scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        message = ("this server does not answer to the host name in the request; to serve it, "
                   "add it to KENNING_ALLOWED_HOSTS")  # fmt: skip
        await refusal(400, message, "invalid_host")(scope, receive, send)


def is_same_origin(origin: str, host: str | None) -> bool:
    """Whether an `Origin` names the host (and port) the request was sent to. The scheme is
    not compared: behind a TLS proxy the server sees http while the page is https."""
    parts = urlsplit(origin.strip().lower())
    netloc = parts.netloc.removesuffix(DEFAULT_PORTS.get(parts.scheme, ""))
    return bool(netloc) and netloc == (host or "").strip().lower()


class CrossSiteWrites:
    """Refuse (403) writes that a browser sends on behalf of another site's page.

    Args:
        app: the app inside.
        trusted_origins: origins whose pages may write too (`Settings.cors_origins`).
    """

    def __init__(self, app: ASGIApp, trusted_origins: Collection[str]) -> None:
        self.app = app
        self.trusted = frozenset(o.strip().rstrip("/").lower() for o in trusted_origins)

    def allows(self, headers: Headers) -> bool:
        """Whether a write with these headers comes from this server's pages, a listed origin,
        or no browser page at all."""
        origin = headers.get("origin")
        if origin is not None and origin.strip().rstrip("/").lower() in self.trusted:
            return True
        if origin is not None and not is_same_origin(origin, headers.get("host")):
            return False
        return headers.get("sec-fetch-site", "").lower() != "cross-site"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WRITE_METHODS
            or self.allows(Headers(scope=scope))
        ):
            await self.app(scope, receive, send)
            return
        message = ("a write sent from another site's page is refused; to allow a site, add its "
                   "origin to KENNING_CORS_ORIGINS")  # fmt: skip
        await refusal(403, message, "cross_site_request")(scope, receive, send)
