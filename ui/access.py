"""Whom the UI serves: each event runs with the service of the signed-in user.

Gradio is mounted with an `auth_dependency` that turns the request's key (the `kenning_key`
cookie set by `/login`, or a header) into a principal name; every event handler asks
`UserServices` for that user's `QAService`, whose reads are limited to what they may see.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from fastapi import Request

from kenning.access import Authenticator, presented_key
from kenning.config import Principal
from kenning.qa.service import QAService
from kenning.ui.catalogues import DEFAULT, request_language, tr
from kenning.ui.render import esc

# A user the UI cannot identify (never reached while the auth dependency is mounted).
NOBODY = Principal("nobody", frozenset(), admin=False)


class UserServices:
    """The answering service as each browser's user may see it.

    Args:
        service: the service of the knowledge base (any principal).
        auth: the API's authenticator (`app.state.auth`).
    """

    def __init__(self, service: QAService, auth: Authenticator) -> None:
        self.base = service
        self.auth = auth
        self.settings = service.settings

    def user(self, request: Request) -> str | None:
        """Gradio's auth dependency: the principal's name, or None to refuse the request."""
        principal = self.auth.principal_for(presented_key(request))
        return principal.name if principal else None

    def principal(self, request: gr.Request | None) -> Principal:
        """The principal behind a Gradio event."""
        name = getattr(request, "username", None) if request is not None else None
        return self.auth.principal_named(name) or NOBODY

    def __call__(self, request: gr.Request | None) -> QAService:
        """The service for the user behind a Gradio event."""
        return self.base.for_principal(self.principal(request))

    def signed_in_html(self, request: gr.Request | None) -> Any:
        """A line naming the user, with a sign-out link, when keys are in use."""
        if not self.settings.api_keys:
            return ""
        principal = self.principal(request)
        lang = DEFAULT if request is None else request_language(request.headers, request.cookies)
        return (f'<p class="kn-user">{esc(tr("signed_in_as", lang))} <b>{esc(principal.name)}</b>'
                f' · <a href="/logout">{esc(tr("sign_out", lang))}</a></p>')  # fmt: skip
