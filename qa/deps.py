"""Dependencies shared by the routes, taken from `app.state` (filled by `create_api`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kenning.qa.service import KnowledgeBaseLike, QAService


def get_service(request: Request) -> QAService:
    """The answering service of this app."""
    return request.app.state.service


def get_kb(request: Request) -> KnowledgeBaseLike:
    """The knowledge base of this app."""
    return request.app.state.service.kb


ServiceDep = Annotated[QAService, Depends(get_service)]
KbDep = Annotated[KnowledgeBaseLike, Depends(get_kb)]
