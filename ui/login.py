"""Signing in to the UI with an API key: `/login` sets an HttpOnly cookie, `/logout` clears it.

Browsers cannot send an `Authorization` header with a page load, so the key travels in the
`kenning_key` cookie (HttpOnly, SameSite=Strict: scripts cannot read it and other sites
cannot make the browser send it). The API accepts the same cookie, so a citation's source
link opens for the signed-in user.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from kenning.access import COOKIE, Authenticator, presented_key
from kenning.ui.catalogues import DEFAULT, request_language, tr
from kenning.ui.render import esc

LOGIN_PATH = "/login"
COOKIE_DAYS = 30
PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; background: #f8fafc; color: #0f172a; }}
main {{ max-width: 26rem; margin: 12vh auto; background: white; padding: 2rem;
        border-radius: 12px; box-shadow: 0 1px 4px #0002; }}
label, input, button {{ display: block; width: 100%; box-sizing: border-box; }}
input {{ margin: .4rem 0 1rem; padding: .6rem; font-size: 1rem; }}
button {{ padding: .6rem; font-size: 1rem; background: #4f46e5; color: white; border: 0;
          border-radius: 8px; }}
.error {{ color: #b91c1c; }}
</style></head>
<body><main>
<h1>Kenning</h1>
<p>{intro}</p>
{error}
<form method="post" action="{action}">
<label for="key">{key_label}</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{next}">
<button type="submit" id="kn-sign-in">{sign_in}</button>
</form>
</main></body></html>
"""


def safe_next(target: str | None, default: str) -> str:
    """Where to go after signing in: a path on this server only (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def login_page(next_path: str, error: str = "", lang: str = DEFAULT) -> str:
    """The sign-in form, in `lang`."""
    shown = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    return PAGE.format(error=shown, action=LOGIN_PATH, next=esc(next_path), lang=esc(lang),
                       title=esc(tr("sign_in_title", lang)), intro=esc(tr("sign_in_intro", lang)),
                       key_label=esc(tr("api_key", lang)),
                       sign_in=esc(tr("sign_in", lang)))  # fmt: skip


class LoginRedirect:
    """Sends a browser that opens the UI without a usable key to the sign-in page (Gradio
    itself would answer 401 JSON)."""

    def __init__(self, app: ASGIApp, auth: Authenticator, ui_path: str) -> None:
        self.app = app
        self.auth = auth
        self.pages = {ui_path, ui_path + "/"}
        self.ui_path = ui_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] in self.pages:
            request = Request(scope)
            if self.auth.principal_for(presented_key(request)) is None:
                target = f"{LOGIN_PATH}?next={self.ui_path}/"
                await RedirectResponse(target, status_code=303)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def add_login_routes(app: FastAPI, auth: Authenticator, ui_path: str) -> None:
    """`GET|POST /login` and `GET /logout` on the app, and the redirect of signed-out UI loads."""
    home = ui_path + "/"

    @app.get(LOGIN_PATH, include_in_schema=False)
    def login_form(request: Request, next: str | None = None) -> HTMLResponse:  # noqa: A002
        lang = request_language(request.headers, request.cookies)
        return HTMLResponse(login_page(safe_next(next, home), lang=lang))

    @app.post(LOGIN_PATH, include_in_schema=False)
    def login(
        request: Request,
        key: Annotated[str, Form(max_length=512)],
        next: Annotated[str, Form(max_length=2000)] = home,  # noqa: A002
    ) -> Response:
        target = safe_next(next, home)
        if auth.principal_for(key.strip() or None) is None or not key.strip():
            lang = request_language(request.headers, request.cookies)
            return HTMLResponse(login_page(target, tr("key_not_valid", lang), lang),
                                status_code=401)  # fmt: skip
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE, key.strip(), max_age=COOKIE_DAYS * 86400, httponly=True, samesite="strict",
            secure=request.url.scheme == "https", path="/",
        )  # fmt: skip
        return response

    @app.get("/logout", include_in_schema=False)
    def logout() -> RedirectResponse:
        response = RedirectResponse(LOGIN_PATH, status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    # Innermost of the app's middleware, unlike `add_middleware`: the Host, origin and body
    # rules of the API come first for the UI's pages too.
    app.user_middleware.append(Middleware(LoginRedirect, auth=auth, ui_path=ui_path))
