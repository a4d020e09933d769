"""`POST /v1/feedback`, `GET /v1/stats` and `GET /healthz`."""

from __future__ import annotations

from fastapi import APIRouter, Request

from kenning.api.deps import ServiceDep
from kenning.api.models import FeedbackRequest
from kenning.errors import KenningError

router = APIRouter(tags=["admin"])


@router.post("/v1/feedback")
def feedback(body: FeedbackRequest, service: ServiceDep) -> dict[str, object]:
    """Store a thumbs up or down on an answer."""
    service.reader.add_feedback(body.question, body.helpful, body.comment)
    return {"stored": True}


@router.get("/v1/stats")
def stats(service: ServiceDep) -> dict[str, object]:
    """Documents by kind, people, chunks, stale documents, knowledge gaps and feedback, counted
    over what the caller may read."""
    return service.reader.stats()


@router.get("/healthz")
def healthz(request: Request) -> dict[str, object]:
    """Liveness, open to all; with a key (or open anonymous access), the readable passages."""
    try:
        principal = request.app.state.auth.authenticate(request)
    except KenningError:
        return {"status": "ok"}
    service = request.app.state.service.for_principal(principal)
    return {"status": "ok", "chunks": service.reader.stats()["chunks"]}
