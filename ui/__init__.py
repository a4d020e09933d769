"""The Gradio user interface, mounted at `/ui` on the API server.

Gradio reports usage unless told not to; a knowledge base of private documents sends nothing
anywhere, so the switch is set here, before any module of this package imports gradio.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
