"""The optional LLM answerer: any LangChain chat model, or a local GGUF model.

The prompt numbers the passages; the reply is checked by `kenning.qa.citations`. Each passage
is given as the extractive answerer reads it: its answer units in order (`qa/units.py`), in
clean text — a table row with its column headers, a list or procedure whole, a paragraph or a
speaker's turn once — so a small model reads "Location: Munich, Cap per night: €180" rather
than Markdown pipes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kenning.config import Settings
from kenning.qa.units import heading_of, split_units
from kenning.schema import Hit

SYSTEM_PROMPT = (
    "You answer questions about an organisation using only the numbered passages given. "
    "Write two to four short sentences. End every sentence with the number of the passage "
    "it comes from, like [1] or [2]. If the passages do not answer the question, say "
    "\"I don't know.\""
)
MAX_PASSAGE_CHARS = 1200


def build_messages(question: str, hits: list[Hit]) -> list[Any]:
    """The chat messages: instructions, then the numbered passages and the question."""
    from langchain_core.messages import HumanMessage, SystemMessage

    passages = []
    for n, hit in enumerate(hits, start=1):
        where = f" — {hit.location}" if hit.location else ""
        passages.append(f"[{n}] {hit.title}{where}\n{passage_text(hit)[:MAX_PASSAGE_CHARS]}")
    user = "Passages:\n\n" + "\n\n".join(passages) + f"\n\nQuestion: {question}\nAnswer:"
    return [SystemMessage(content=SYSTEM_PROMPT), HumanMessage(content=user)]


def passage_text(hit: Hit) -> str:
    """A passage as its answer units, one per line, each said once: a unit inside the one
    before (an item of its list, a sentence of its paragraph or turn) is left out."""
    lines: list[str] = []
    container = ""
    heading = heading_of(hit.location)
    for unit in split_units(hit.text, hit.kind, hit.location):
        if container and unit.text.rstrip(" …") in container:
            continue
        if unit.heading and unit.heading != heading:  # a heading inside the passage
            heading = unit.heading
            lines.append(f"{heading}:")
        shown = f"{unit.speaker}: {unit.text}" if unit.speaker else unit.text
        lines.append(shown)
        container = unit.text
    return "\n".join(lines) or hit.text


def create_chat_model(settings: Settings) -> Any:
    """The chat model named by the `llm` setting.

    Raises:
        ValueError: no LLM is configured.
        ImportError: the runtime for that model is not installed (names the pip extra).
    """
    spec = settings.llm
    if not spec:
        raise ValueError("no LLM configured; set KENNING_LLM (e.g. 'local' or 'openai:MODEL')")
    if spec == "local" or spec.startswith("local:"):
        from kenning.qa.llm_local import create_local_chat_model

        path = spec.split(":", 1)[1] if ":" in spec else None
        return create_local_chat_model(path)
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as exc:
        raise ImportError(
            "LLM answers through LangChain need the 'llm' extra: pip install 'kenning[llm]'"
        ) from exc
    kwargs: dict[str, Any] = {"temperature": 0}
    if settings.llm_base_url:
        kwargs["base_url"] = settings.llm_base_url
    if settings.llm_api_key is not None:
        kwargs["api_key"] = settings.llm_api_key.get_secret_value()
    elif settings.llm_base_url:
        kwargs["api_key"] = "not-needed"  # local OpenAI-compatible servers ignore it
    return init_chat_model(spec, **kwargs)


def generate(model: Any, question: str, hits: list[Hit]) -> str:
    """The model's full reply."""
    reply = model.invoke(build_messages(question, hits))
    return str(reply.content)


def stream(model: Any, question: str, hits: list[Hit]) -> Iterator[str]:
    """The model's reply, piece by piece."""
    for piece in model.stream(build_messages(question, hits)):
        if piece.content:
            yield str(piece.content)
