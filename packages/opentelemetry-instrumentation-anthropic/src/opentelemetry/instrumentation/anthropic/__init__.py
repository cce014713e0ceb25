"""OpenTelemetry instrumentation for the anthropic SDK, on the shared GenAI core.

```python
from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor

AnthropicInstrumentor().instrument()
```
"""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor, Patch

from .version import __version__

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

    instruments = _instruments
    version = __version__

    def patches(self, **kwargs: Any) -> list[Patch]:
        from . import surfaces

        messages, streams, counts = surfaces.Messages(), surfaces.MessageStreams(), surfaces.CountTokens()
        rows = []
        # Each resource module that exists in the installed SDK is patched when it is imported.
        for module, name, twin in MESSAGE_RESOURCES:
            rows += [
                Patch(module, name, "create", messages, twin),
                Patch(module, name, "parse", messages, twin),
                Patch(module, name, "count_tokens", counts, twin),
                Patch(module, name, "stream", streams, twin, deferred=True),
            ]
        completions = surfaces.Completions()
        rows += [
            Patch(module, name, "create", completions, twin) for module, name, twin in COMPLETION_RESOURCES
        ]
        return rows

    def _instrument(self, **kwargs: Any) -> None:
        from .native_tracing import MODULE, NativeTracing

        super()._instrument(**kwargs)
        self._native = native = NativeTracing()
        self.patcher.when_imported(MODULE, native.stand_aside)

    def _uninstrument(self, **kwargs: Any) -> None:
        super()._uninstrument(**kwargs)
        native = getattr(self, "_native", None)
        if native is not None:
            native.restore()


__all__ = ["AnthropicInstrumentor", "__version__"]
