"""`POST /v1/feedback`, `GET /v1/stats` and `GET /healthz`."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from kenning.qa.deps import KbDep
from kenning.qa.models import FeedbackRequest

router = APIRouter(tags=["admin"])
LOW_CONFIDENCE_MARGIN = 0.1


@router.post("/v1/feedback")
def feedback(body: FeedbackRequest, kb: KbDep) -> dict[str, object]:
    """Store a thumbs up or down on an answer."""
    kb.store.add_feedback(body.question, body.helpful, body.comment)
    return {"stored": True}


@router.get("/v1/stats")
def stats(kb: KbDep) -> dict[str, object]:
    """Documents by kind, people, chunks, stale documents, knowledge gaps and feedback."""
    low = kb.settings.abstain_threshold + LOW_CONFIDENCE_MARGIN
    return {
        **kb.store.stats(),
        "stale_documents": kb.store.stale_documents(date.today().isoformat()),
        "questions": kb.store.question_counts(),
        "knowledge_gaps": kb.store.knowledge_gaps(low),
        "feedback": kb.store.feedback_summary(),
    }


@router.get("/healthz")
def healthz(kb: KbDep) -> dict[str, object]:
    """Liveness and the size of the knowledge base."""
    return {"status": "ok", "chunks": kb.store.count_chunks()}
