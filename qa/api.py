"""The FastAPI application: routers assembled, errors mapped to JSON in one place."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kenning.errors import AuthenticationError, KenningError, RateLimitError
from kenning.qa.auth import AdminUploads, Authenticator
from kenning.qa.limits import BodyLimit
from kenning.qa.origins import CrossSiteWrites, HostRule
from kenning.qa.routes import admin, ask, chat, documents, people, search
from kenning.qa.service import KnowledgeBaseLike, QAService

logger = logging.getLogger(__name__)


def error(
    status: int, message: str, kind: str, details: object = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An error response: always JSON with a message."""
    body: dict[str, object] = {"error": {"message": message, "type": kind}}
    if details is not None:
        body["error"]["details"] = details  # type: ignore[index]
    return JSONResponse(status_code=status, content=body, headers=headers)


def create_api(
    kb: KnowledgeBaseLike, title: str = "Kenning", ui_uploads: Sequence[str] = ()
) -> FastAPI:
    """The HTTP API over a knowledge base. Nothing runs at import time.

    Args:
        kb: the knowledge base.
        title: the title of the OpenAPI schema.
        ui_uploads: upload routes of a UI to be mounted on the app; they get the rules of
            `POST /v1/documents` (an admin key, checked before the body; the upload limit).
    """
    app = FastAPI(
        title=title,
        version="0.1.0",
        summary="Answers from your organisation's own knowledge, with citations and experts.",
    )
    app.state.service = QAService(kb)
    app.state.auth = Authenticator(kb.settings)
    for router in (ask.router, search.router, people.router, documents.router, admin.router,
                   chat.router):  # fmt: skip
        app.include_router(router)
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

    @app.exception_handler(ValueError)
    async def bad_value(_: Request, exc: ValueError) -> JSONResponse:
        return error(422, str(exc), "invalid_request")

    @app.exception_handler(KenningError)
    async def kenning_error(_: Request, exc: KenningError) -> JSONResponse:
        headers: dict[str, str] = {}
        if isinstance(exc, RateLimitError):
            headers["Retry-After"] = str(exc.retry_after)
        elif isinstance(exc, AuthenticationError):
            headers["WWW-Authenticate"] = "Bearer"
        return error(exc.status, str(exc), type(exc).__name__, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        return error(500, "internal error; see the server log", "internal_error")

    return app
