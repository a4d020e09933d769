"""The OpenAI-compatible routes, driven by the official `openai` client against `kenning serve`
on loopback: `/v1/models`, the model check, and token counts in `usage` (streamed and not)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from support import GOOD, served

from kenning.api.routes.models import count_tokens

QUESTION = "What did Bob say about pelican?"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[openai.OpenAI]:
    home = tmp_path_factory.mktemp("openai")
    env = {**os.environ, "KENNING_EMBEDDING_MODEL": "hash", "KENNING_GIT_HISTORY": "false",
           "KENNING_ABSTAIN_THRESHOLD": "0.05"}  # fmt: skip
    subprocess.run([sys.executable, "-m", "kenning", "ingest", str(GOOD), "--kb", str(home)],
                   env=env, check=True, capture_output=True)  # fmt: skip
    with served(Path(home), env, Path(home) / "server.log") as base:
        # No keys configured: the server ignores the one every OpenAI client sends.
        yield openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)


def test_models_lists_kenning(client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == ["kenning"]
    assert client.models.retrieve("kenning").owned_by == "kenning"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


@pytest.mark.parametrize("stream", [False, True])
def test_unknown_model_is_an_openai_404(client: openai.OpenAI, stream: bool) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": QUESTION}], stream=stream
        )
    assert raised.value.code == "model_not_found"
    assert raised.value.body["type"] == "invalid_request_error"
    assert raised.value.body["param"] == "model"
    assert "gpt-4o" in raised.value.body["message"]


def test_completion_counts_tokens(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model="kenning", messages=[{"role": "user", "content": QUESTION}]
    )
    content = reply.choices[0].message.content
    assert reply.model == "kenning" and "[1]" in content
    # The embedding model's tokenizer (WordPiece): a word such as "pelican" is one token or more.
    assert reply.usage.prompt_tokens == count_tokens(QUESTION, "hash") >= len(QUESTION.split())
    assert reply.usage.completion_tokens == count_tokens(content, "hash") > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_stream_ends_with_usage(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(
        model="kenning", messages=[{"role": "user", "content": QUESTION}], stream=True,
        stream_options={"include_usage": True},
    ))  # fmt: skip
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "[1]" in text and chunks[-1].choices == []
    usage = chunks[-1].usage
    assert usage.prompt_tokens == count_tokens(QUESTION, "hash")
    assert usage.completion_tokens == count_tokens(text, "hash") > 0
    # Without the option, no usage chunk (as OpenAI streams).
    plain = list(client.chat.completions.create(
        model="kenning", messages=[{"role": "user", "content": QUESTION}], stream=True
    ))  # fmt: skip
    assert all(c.usage is None and c.choices for c in plain)
