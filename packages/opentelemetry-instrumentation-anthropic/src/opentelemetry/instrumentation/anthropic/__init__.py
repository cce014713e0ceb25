"""OpenTelemetry instrumentation for the anthropic SDK, on the shared GenAI core.

```python
from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor

AnthropicInstrumentor().instrument()
```
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor

from .version import __version__

logger = logging.getLogger(__name__)

_instruments = ("anthropic >= 0.40, < 3",)

# (module, sync class, async class): each resource that exists in the installed SDK is patched.
MESSAGE_RESOURCES = (
    ("anthropic.resources.messages", "Messages", "AsyncMessages"),
    ("anthropic.resources.beta.messages", "Messages", "AsyncMessages"),
    ("anthropic.resources.beta.prompt_caching.messages", "Messages", "AsyncMessages"),  # older SDKs
)
COMPLETION_RESOURCES = (("anthropic.resources.completions", "Completions", "AsyncCompletions"),)


class AnthropicInstrumentor(GenAIInstrumentor):
    """Instruments `messages.create` / `stream` / `parse` / `count_tokens` (stable and beta, sync and
    async) and the legacy `completions.create`, on Anthropic, Bedrock and Vertex clients."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        from opentelemetry.semconv_ai import Patcher, Telemetry

        from . import surfaces
        from .native_tracing import NativeTracing
        from .streams import stream_wrapper

        telemetry = Telemetry(
            "opentelemetry.instrumentation.anthropic",
            kwargs.get("tracer_provider"),
            kwargs.get("meter_provider"),
            __version__,
        )
        self._patcher = patcher = Patcher(telemetry)
        messages, streams, counts = surfaces.Messages(), surfaces.MessageStreams(), surfaces.CountTokens()
        # Each resource module that exists in the installed SDK is patched when it is imported.
        for module, *names in MESSAGE_RESOURCES:
            for name in names:
                is_async = name.startswith("Async")
                patcher.patch_lazily(module, name, "create", messages, is_async=is_async)
                patcher.patch_lazily(module, name, "parse", messages, is_async=is_async)
                patcher.patch_lazily(module, name, "count_tokens", counts, is_async=is_async)
                patcher.patch_lazily(module, name, "stream", streams, make=stream_wrapper)
        completions = surfaces.Completions()
        for module, *names in COMPLETION_RESOURCES:
            for name in names:
                patcher.patch_lazily(module, name, "create", completions, is_async=name.startswith("Async"))
        self._native = NativeTracing()
        self._native.stand_aside()

    def _uninstrument(self, **kwargs: Any) -> None:
        patcher = getattr(self, "_patcher", None)
        if patcher is not None:
            patcher.restore()
        native = getattr(self, "_native", None)
        if native is not None:
            native.restore()


__all__ = ["AnthropicInstrumentor", "__version__"]
