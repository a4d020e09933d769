"""`POST /v1/ask`: an answer with citations and experts, whole or streamed (SSE)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from kenning.qa.deps import ServiceDep
from kenning.qa.models import AskRequest
from kenning.schema import Filters

router = APIRouter(prefix="/v1", tags=["answers"])


def sse(event: str, data: object) -> str:
    """One Server-Sent Event."""
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


@router.post("/ask")
def ask(body: AskRequest, service: ServiceDep) -> object:
    """Answer a question; with `stream: true`, `token` events then one `answer` event."""
    filters = Filters.from_dict(body.filters)
    service.validate_question(body.question)
    service.pick_answerer(body.answerer)
    if not body.stream:
        return service.ask(body.question, body.k, filters, body.answerer).to_dict()

    def events() -> Iterator[str]:
        try:
            for event, data in service.ask_events(body.question, body.k, filters, body.answerer):
                payload = data.to_dict() if event == "answer" else {"text": data}
                yield sse(event, payload)
        except Exception as exc:  # the status line is sent already: report in-band
            yield sse("error", {"error": {"message": str(exc), "type": type(exc).__name__}})

    return StreamingResponse(events(), media_type="text/event-stream")
