"""Request bodies of the HTTP API, validated at the edge."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from kenning.schema import check_text

MAX_K = 50
# Every text that can reach the model or the log: refused (422) when it is not valid Unicode.
Text = Annotated[str, AfterValidator(check_text)]


class HistoryMessage(BaseModel):
    """One earlier message of the conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: Text = Field(max_length=20000)


class AskRequest(BaseModel):
    """`POST /v1/ask`."""

    model_config = ConfigDict(extra="forbid")

    question: Text = Field(
        min_length=1, description="The question (at most KENNING_MAX_QUESTION_CHARS characters)."
    )
    k: int = Field(default=5, ge=1, le=MAX_K, description="Passages to retrieve.")
    filters: dict[str, Any] | None = Field(
        default=None,
        description="kind, tags, team, person, date_from, date_to, source_prefix.",
    )
    answerer: Literal["extractive", "llm"] | None = Field(
        default=None, description="Which answerer runs; default: the LLM when configured."
    )
    stream: bool = Field(default=False, description="Stream Server-Sent Events.")
    history: list[HistoryMessage] | None = Field(
        default=None,
        description="The conversation so far, oldest first (at most KENNING_MAX_HISTORY_TURNS "
        "messages and KENNING_MAX_HISTORY_CHARS characters); a follow-up is searched as a "
        "standalone question, returned as rewritten_question.",
    )

    def history_dicts(self) -> list[dict[str, str]] | None:
        """The history as plain messages, for the service."""
        if self.history is None:
            return None
        return [{"role": m.role, "content": m.content} for m in self.history]


class SearchRequest(BaseModel):
    """`POST /v1/search`."""

    model_config = ConfigDict(extra="forbid")

    query: Text = Field(min_length=1, description="At most KENNING_MAX_QUESTION_CHARS characters.")
    k: int = Field(default=5, ge=1, le=MAX_K)
    filters: dict[str, Any] | None = None


class FeedbackRequest(BaseModel):
    """`POST /v1/feedback`."""

    model_config = ConfigDict(extra="forbid")

    question: Text = Field(min_length=1, max_length=4000)
    helpful: bool
    comment: Text = Field(default="", max_length=4000)


class ContentPart(BaseModel):
    """One part of a message's content; only `text` parts are read."""

    model_config = ConfigDict(extra="allow")

    type: Text
    text: Text | None = None


class ChatMessage(BaseModel):
    """One message of an OpenAI-style chat."""

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: Text | list[ContentPart] | None = None


class ChatCompletionRequest(BaseModel):
    """`POST /v1/chat/completions`, the OpenAI-compatible subset Kenning honours."""

    model_config = ConfigDict(extra="allow")

    model: Text = "kenning"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
