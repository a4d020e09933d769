"""Connecting this process to a Ray cluster as its driver."""

from __future__ import annotations

import logging
import os
from typing import Any

from kenning.errors import KenningError

# Set for every worker of the job: private documents are parsed there, so nothing may phone
# home (unstructured's telemetry, Gradio's analytics) and models load from local files only.
WORKER_ENV = {
    "DO_NOT_TRACK": "true",
    "SCARF_NO_ANALYTICS": "true",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
}


def connect(address: str) -> Any:  # noqa: ANN401 - the ray module
    """Join the Ray cluster at `address` ("auto", or HOST:PORT of its head) unless this
    process is already connected; returns the `ray` module.

    Raises:
        KenningError: Ray is not installed, or no cluster answers at the address.
    """
    try:
        import ray
    except ImportError as exc:
        raise KenningError(
            "--ray needs Ray: pip install 'kenning[ray]' (or 'ray[data,serve]')"
        ) from exc
    if ray.is_initialized():
        return ray
    env = {key: os.environ.get(key, value) for key, value in WORKER_ENV.items()}
    try:
        ray.init(
            address=address, logging_level=logging.WARNING, log_to_driver=False,
            runtime_env={"env_vars": env},
        )  # fmt: skip
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise KenningError(f"no Ray cluster at {address!r}: {exc}") from exc
    import ray.data

    logging.getLogger("ray.data").setLevel(logging.ERROR)  # no per-job chatter on stderr
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    return ray


def cluster_cpus(ray: Any) -> int:  # noqa: ANN401 - the ray module
    """How many CPUs the cluster has (at least one)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))
