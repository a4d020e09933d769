"""Request bodies of the HTTP API, validated at the edge."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_K = 50


class AskRequest(BaseModel):
    """`POST /v1/ask`."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=4000, description="The question.")
    k: int = Field(default=5, ge=1, le=MAX_K, description="Passages to retrieve.")
    filters: dict[str, Any] | None = Field(
        default=None,
        description="kind, tags, team, person, date_from, date_to, source_prefix.",
    )
    answerer: Literal["extractive", "llm"] | None = Field(
        default=None, description="Which answerer runs; default: the LLM when configured."
    )
    stream: bool = Field(default=False, description="Stream Server-Sent Events.")


class SearchRequest(BaseModel):
    """`POST /v1/search`."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=4000)
    k: int = Field(default=5, ge=1, le=MAX_K)
    filters: dict[str, Any] | None = None


class FeedbackRequest(BaseModel):
    """`POST /v1/feedback`."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=4000)
    helpful: bool
    comment: str = Field(default="", max_length=4000)


class ChatMessage(BaseModel):
    """One message of an OpenAI-style chat."""

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """`POST /v1/chat/completions`, the OpenAI-compatible subset Kenning honours."""

    model_config = ConfigDict(extra="allow")

    model: str = "kenning"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
