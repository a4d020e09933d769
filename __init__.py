"""Kenning: answers from an organisation's own knowledge, with citations and the people who know.

The public Python API is `KnowledgeBase`; the shared types live in `kenning.schema`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["KnowledgeBase", "Settings", "load_settings", "__version__"]

if TYPE_CHECKING:
    from kenning.config import Settings, load_settings
    from kenning.kb import KnowledgeBase


def __getattr__(name: str) -> Any:
    # Imported lazily so `import kenning.schema` stays light (no torch, no FAISS).
    if name == "KnowledgeBase":
        from kenning.kb import KnowledgeBase

        return KnowledgeBase
    if name in ("Settings", "load_settings"):
        from kenning import config

        return getattr(config, name)
    raise AttributeError(f"module 'kenning' has no attribute {name!r}")
