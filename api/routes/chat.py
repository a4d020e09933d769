"""`POST /v1/chat/completions`: OpenAI-compatible, so existing chat clients can ask Kenning."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from kenning.api.deps import ServiceDep
from kenning.api.models import ChatCompletionRequest, ChatMessage
from kenning.api.routes.models import model_not_found, prompt_text, usage, usage_chunk
from kenning.errors import InvalidRequest
from kenning.schema import AskResponse

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL = "kenning"
SOURCES_HEADING = "\n\nSources:"


def message_text(message: ChatMessage) -> str:
    """The text of one message (its text parts joined)."""
    if isinstance(message.content, str):
        return message.content
    return " ".join(p.text for p in message.content or [] if p.type == "text" and p.text)


def conversation(body: ChatCompletionRequest) -> tuple[str, list[dict[str, str]]]:
    """The last user message and every user and assistant message before it, as history
    (the sources block Kenning appended to its replies is left out)."""
    last = max((n for n, m in enumerate(body.messages) if m.role == "user"), default=None)
    if last is None:
        raise InvalidRequest(key="no_user_message")
    history = [
        {"role": m.role, "content": message_text(m).split(SOURCES_HEADING, 1)[0]}
        for m in body.messages[:last] if m.role in ("user", "assistant")
    ]  # fmt: skip
    return message_text(body.messages[last]), history


def sources_block(response: AskResponse) -> str:
    """The sources an answer rests on, as a plain-text list."""
    if not response.citations:
        return ""
    lines = ["", "", SOURCES_HEADING.strip()]
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
    if (refused := model_not_found(body.model)) is not None:
        return refused
    question, history = conversation(body)  # earlier messages are the history
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.stream:
        response = service.ask(question, history=history)
        content = response.answer + sources_block(response)
        return {
            "id": completion_id, "object": "chat.completion", "created": created,
            "model": MODEL,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": usage(prompt_text(body), content, service.settings.embedding_model),
            "kenning": response.to_dict(),
        }  # fmt: skip

    answer = service.ask_events(question, history=history)  # checks before the stream starts

    def events() -> Iterator[str]:
        yield _chunk(completion_id, created, {"role": "assistant", "content": ""}, None)
        sent: list[str] = []
        for event, data in answer:
            if event == "token":
                sent.append(data)
                yield _chunk(completion_id, created, {"content": data}, None)
            elif event == "answer":
                sent.append(sources_block(data))
                yield _chunk(completion_id, created, {"content": sent[-1]}, None)
        yield _chunk(completion_id, created, {}, "stop")
        if ((body.model_extra or {}).get("stream_options") or {}).get("include_usage"):
            counts = usage(prompt_text(body), "".join(sent), service.settings.embedding_model)
            yield usage_chunk(completion_id, created, counts)
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")
