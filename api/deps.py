"""Dependencies shared by the routes, taken from `app.state` (filled by `create_app`).

Routes get a `QAService` bound to the caller's principal, never the store: every read they
can make is already limited to what the caller may see.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPBearer

from kenning.access import Authenticator
from kenning.config import Principal
from kenning.qa.service import QAService

# Declared for the OpenAPI schema (the "Authorize" button of /docs); `Authenticator` reads the
# headers itself, so a missing key is answered by Kenning's JSON 401, not FastAPI's.
_BEARER = HTTPBearer(auto_error=False, description="An API key from KENNING_API_KEYS.")
_API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same, as a header.")


def get_principal(
    request: Request,
    _bearer: Annotated[object, Depends(_BEARER)] = None,
    _key: Annotated[object, Depends(_API_KEY)] = None,
) -> Principal:
    """The caller, authenticated and counted against the rate limit (401 or 429 otherwise)."""
    auth: Authenticator = request.app.state.auth
    principal = auth.authenticate(request)
    auth.check_rate(principal, request)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_service(request: Request, principal: PrincipalDep) -> QAService:
    """The answering service, as the caller may see it."""
    return request.app.state.service.for_principal(principal)


ServiceDep = Annotated[QAService, Depends(get_service)]
