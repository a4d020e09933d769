"""`GET /v1/models`: the one model an OpenAI client can ask for (`kenning`), its check on chat
requests, and the token counts reported as `usage`.

Tokens are counted with the embedding model's tokenizer (all-MiniLM-L6-v2's WordPiece unless
the knowledge base names another model with a `tokenizer.json`), not an LLM's: the counts are
a fair size of the question and the answer, not a billing figure.
"""

from __future__ import annotations

import json
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from kenning.api.deps import PrincipalDep
from kenning.api.models import ChatCompletionRequest

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL = "kenning"
CREATED = 1735689600  # 2025-01-01, a fixed date: the model has no release of its own
_WORDS = re.compile(r"\w+|[^\w\s]")
_LOCK = threading.Lock()


def model_card() -> dict[str, Any]:
    """The model as OpenAI's `/v1/models` lists one."""
    return {"id": MODEL, "object": "model", "created": CREATED, "owned_by": "kenning"}


@router.get("/models")
def list_models(_: PrincipalDep) -> dict[str, Any]:
    """The models this server answers with: only `kenning`."""
    return {"object": "list", "data": [model_card()]}


@router.get("/models/{model_id}", response_model=None)
def get_model(model_id: str, _: PrincipalDep) -> dict[str, Any] | JSONResponse:
    """One model (OpenAI's 404 for any but `kenning`)."""
    return model_not_found(model_id) or model_card()


def model_not_found(model: str | None) -> JSONResponse | None:
    """None for `kenning` (or no model); for any other, the 404 OpenAI answers, in its shape
    (`error.type` `invalid_request_error`, `error.code` `model_not_found`), so that clients
    report it as they would OpenAI's."""
    if not model or model == MODEL:
        return None
    body = {"error": {
        "message": f"The model `{model}` does not exist or you do not have access to it. "
                   f"This server answers with `{MODEL}` only (GET /v1/models).",
        "type": "invalid_request_error", "param": "model", "code": "model_not_found",
    }}  # fmt: skip
    return JSONResponse(body, status_code=404)


@lru_cache(maxsize=4)
def _tokenizer(model: str) -> Any:
    """The `tokenizers` tokenizer of an embedding model, or None when it has none here."""
    from kenning.index.embeddings import model_location, packaged_model_path

    try:
        location = model_location(model) if model != "hash" else packaged_model_path()
    except Exception:  # noqa: BLE001 (no model here: fall back to counting words)
        location = None
    path = Path(location, "tokenizer.json") if location else None
    if path is None or not path.is_file():
        return None
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def count_tokens(text: str, embedding_model: str) -> int:
    """Tokens in a text by the embedding model's tokenizer (words and marks without one)."""
    if not text:
        return 0
    tokenizer = _tokenizer(embedding_model)
    if tokenizer is None:
        return len(_WORDS.findall(text))
    with _LOCK:  # a `tokenizers` Tokenizer is not safe to share between threads mid-encode
        return len(tokenizer.encode(text, add_special_tokens=False).ids)


def usage(prompt: str, completion: str, embedding_model: str) -> dict[str, int]:
    """OpenAI's `usage` block for a prompt and its completion."""
    prompt_tokens = count_tokens(prompt, embedding_model)
    completion_tokens = count_tokens(completion, embedding_model)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}  # fmt: skip


def prompt_text(body: ChatCompletionRequest) -> str:
    """The text of every message of a chat request (what `prompt_tokens` counts)."""
    texts: list[str] = []
    for message in body.messages:
        if isinstance(message.content, str):
            texts.append(message.content)
        else:
            texts += [p.text for p in message.content or [] if p.type == "text" and p.text]
    return "\n".join(texts)


def usage_chunk(completion_id: str, created: int, counts: dict[str, int]) -> str:
    """The last chunk of a stream asked for with `stream_options.include_usage`: no choices,
    only `usage` (as OpenAI sends it)."""
    payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
               "model": MODEL, "choices": [], "usage": counts}  # fmt: skip
    return f"data: {json.dumps(payload)}\n\n"
