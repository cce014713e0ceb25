"""OpenTelemetry instrumentation for the openai SDK (1.x to 3.x), on the shared GenAI core.

```python
from opentelemetry.instrumentation.openai import OpenAIInstrumentor

OpenAIInstrumentor().instrument(tracer_provider=..., meter_provider=..., inject_stream_usage=False)
```
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable
from typing import Any

from opentelemetry.semconv_ai import Surface, Telemetry
from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor, Patch

from .streams import end_raw_stream

__version__ = "0.1.0"
__all__ = ["STREAM_USAGE_ENV", "OpenAIInstrumentor"]

logger = logging.getLogger(__name__)

STREAM_USAGE_ENV = "OTEL_INSTRUMENTATION_OPENAI_STREAM_USAGE"

# (module, class of the sync resource, method, surface kind); the Async twin is patched alike.
# Every user call goes through exactly one of these: `.stream()` helpers call `create(stream=True)`,
# `parse()` posts on its own.
_METHODS = (
    ("openai.resources.chat.completions", "Completions", "create", "chat"),
    ("openai.resources.chat.completions", "Completions", "parse", "chat"),
    ("openai.resources.beta.chat.completions", "Completions", "parse", "chat"),  # openai 1.40 to 1.9x
    ("openai.resources.completions", "Completions", "create", "text"),
    ("openai.resources.embeddings", "Embeddings", "create", "embeddings"),
    ("openai.resources.responses", "Responses", "create", "responses"),
    ("openai.resources.responses", "Responses", "parse", "responses"),
    ("openai.resources.images", "Images", "generate", "images"),
)
# The `.stream()` helpers close the HTTP response themselves; their close() also ends our stream proxy.
_HELPER_STREAMS = (
    ("openai.lib.streaming.chat", "ChatCompletionStream"),
    ("openai.lib.streaming.responses", "ResponseStream"),
)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _closing(original: Callable[..., Any], telemetry: Telemetry, surface: Surface) -> Callable[..., Any]:
    """A helper stream's close(), sync or async as the SDK's is, that also ends our stream proxy."""
    if inspect.iscoroutinefunction(original):

        async def aclose(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await original(self, *args, **kwargs)
            finally:
                try:
                    pending = end_raw_stream(self)
                    if pending is not None:
                        await pending
                except Exception:
                    logger.debug("ending a helper stream failed", exc_info=True)

        return aclose

    def close(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        finally:
            try:
                end_raw_stream(self)
            except Exception:
                logger.debug("ending a helper stream failed", exc_info=True)

    return close


class OpenAIInstrumentor(GenAIInstrumentor):
    """Instruments chat completions, completions, embeddings, responses and images, sync and async.

    `inject_stream_usage=True` (or `OTEL_INSTRUMENTATION_OPENAI_STREAM_USAGE=true`) asks streamed chat and
    completions for usage (`stream_options={"include_usage": True}`) when the caller did not set
    `stream_options`. Off by default: the stream then ends with an extra chunk whose `choices` is empty.
    """

    instruments = ("openai >= 1.0, < 4",)
    version = __version__

    def patches(self, **kwargs: Any) -> list[Patch]:
        from . import adapter  # imports openai: loading the entry point alone must not need it

        inject = kwargs.get("inject_stream_usage")
        inject = _env_flag(STREAM_USAGE_ENV) if inject is None else bool(inject)
        surfaces: dict[str, Surface] = {
            "chat": adapter.ChatCompletions(inject),
            "text": adapter.TextCompletions(inject),
            "embeddings": adapter.Embeddings(),
            "responses": adapter.Responses(),
            "images": adapter.Images(),
        }
        # openai imports most resources on first use: each row applies when its module is imported.
        rows = [Patch(module, name, method, surfaces[kind]) for module, name, method, kind in _METHODS]
        rows += [Patch(module, name, "close", Surface(), make=_closing) for module, name in _HELPER_STREAMS]
        return rows
