"""`POST /v1/ask`: an answer with citations and experts, whole or streamed (SSE)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from kenning.api.deps import ServiceDep
from kenning.api.models import AskRequest
from kenning.schema import Filters

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["answers"])


def sse(event: str, data: object) -> str:
    """One Server-Sent Event."""
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


@router.post("/ask")
def ask(body: AskRequest, service: ServiceDep) -> object:
    """Answer a question; with `stream: true`, `token` events then one `answer` event."""
    filters = Filters.from_dict(body.filters)
    if not body.stream:
        return service.ask(body.question, body.k, filters, body.answerer,
                           body.history_dicts()).to_dict()  # fmt: skip
    answer = service.ask_events(body.question, body.k, filters, body.answerer,
                                body.history_dicts())  # checks first  # fmt: skip

    def events() -> Iterator[str]:
        try:
            for event, data in answer:
                payload = data.to_dict() if event == "answer" else {"text": data}
                yield sse(event, payload)
        except Exception:  # the status line is sent already: report in-band
            logger.exception("answer stream failed")
            yield sse("error", {"error": {"message": "internal error; see the server log",
                                          "type": "internal_error"}})  # fmt: skip

    return StreamingResponse(events(), media_type="text/event-stream")
