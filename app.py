"""The server: the HTTP API and (when installed) the UI, over one knowledge base."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from kenning.config import Settings, load_settings
from kenning.kb import KnowledgeBase
from kenning.qa.api import create_api
from kenning.ui.mount import GRADIO_UPLOAD, UI_PATH, mount_ui


def create_app(
    settings: Settings | None = None, warm: bool = True, ui_in_background: bool = False
) -> FastAPI:
    """Build the app for the knowledge base the settings name.

    Args:
        settings: the settings; read from the environment when omitted.
        warm: load the embedding model and vector index now, so the first question is fast.
        ui_in_background: build the UI once the server has started, so the API answers
            while Gradio loads (`/ui` answers 503 and reloads itself until then).
    """
    settings = settings or load_settings()
    kb = KnowledgeBase(settings.home, settings)
    if warm:
        _ = kb.vectors
        kb.embedder.embed_query("warm up")
    app = create_api(kb, ui_uploads=[UI_PATH + GRADIO_UPLOAD])
    app.state.kb = kb

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{UI_PATH}/")

    mount_ui(app, app.state.service, background=ui_in_background)

    @app.on_event("shutdown")
    def close() -> None:
        kb.close()

    return app
