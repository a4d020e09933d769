"""`POST /v1/chat/completions`: OpenAI-compatible, so existing chat clients can ask Kenning."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from kenning.api.deps import ServiceDep
from kenning.api.models import ChatCompletionRequest
from kenning.errors import InvalidRequest
from kenning.schema import AskResponse

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL = "kenning"


def last_user_text(body: ChatCompletionRequest) -> str:
    """The text of the last user message."""
    for message in reversed(body.messages):
        if message.role == "user":
            if isinstance(message.content, str):
                return message.content
            parts = [p.text for p in message.content or [] if p.type == "text" and p.text]
            return " ".join(parts)
    raise InvalidRequest("messages has no user message")


def sources_block(response: AskResponse) -> str:
    """The sources an answer rests on, as a plain-text list."""
    if not response.citations:
        return ""
    lines = ["", "", "Sources:"]
    for c in response.citations:
        where = f" — {c.location}" if c.location else ""
        lines.append(f"[{c.n}] {c.title}{where} ({c.source})")
    return "\n".join(lines)


def _chunk(completion_id: str, created: int, delta: dict, finish: str | None) -> str:
    payload = {
        "id": completion_id, "object": "chat.completion.chunk", "created": created,
        "model": MODEL, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }  # fmt: skip
    return f"data: {json.dumps(payload)}\n\n"


@router.post("/chat/completions")
def chat_completions(body: ChatCompletionRequest, service: ServiceDep) -> object:
    """Answer the last user message; the reply ends with its sources."""
    question = last_user_text(body)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.stream:
        response = service.ask(question)
        content = response.answer + sources_block(response)
        return {
            "id": completion_id, "object": "chat.completion", "created": created,
            "model": MODEL,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "kenning": response.to_dict(),
        }  # fmt: skip

    answer = service.ask_events(question)  # checks the question before the stream starts

    def events() -> Iterator[str]:
        yield _chunk(completion_id, created, {"role": "assistant", "content": ""}, None)
        for event, data in answer:
            if event == "token":
                yield _chunk(completion_id, created, {"content": data}, None)
            elif event == "answer":
                yield _chunk(completion_id, created, {"content": sources_block(data)}, None)
        yield _chunk(completion_id, created, {}, "stop")
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")
