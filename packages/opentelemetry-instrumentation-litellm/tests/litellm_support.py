"""Running LiteLLM's async calls in a test's own event loop without leaving anything on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def stop_litellm_worker() -> None:
    """LiteLLM starts a logging task on the loop of its first async call; stop it before that loop closes,
    or it is left pending (and keeps the context it was started in) for the rest of the process."""
    try:
        from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER
    except ImportError:  # older LiteLLM
        return
    task = getattr(GLOBAL_LOGGING_WORKER, "_worker_task", None)
    if task is not None and task.get_loop() is asyncio.get_running_loop():
        await GLOBAL_LOGGING_WORKER.stop(discard_pending=True)


def run(awaitable: Awaitable[Any]) -> Any:
    async def main() -> Any:
        try:
            return await awaitable
        finally:
            await stop_litellm_worker()

    return asyncio.run(main())
