"""OpenTelemetry instrumentation for the cohere Python SDK's v2 client, on the shared GenAI core.

```python
from opentelemetry.instrumentation.cohere import CohereInstrumentor

CohereInstrumentor().instrument()
```
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor

from .version import __version__

if TYPE_CHECKING:
    from opentelemetry.semconv_ai import Patcher

_instruments = ("cohere >= 5.10, < 8",)

# `ClientV2` / `AsyncClientV2` (and `Client().v2`) get these methods from `V2Client` / `AsyncV2Client`.
MODULE = "cohere.v2.client"


class CohereInstrumentor(GenAIInstrumentor):
    """Instruments the v2 client's `chat`, `chat_stream`, `embed` and `rerank`, sync and async."""

    _patcher: Patcher | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        from opentelemetry.semconv_ai import Patcher, Telemetry

        from . import surfaces

        telemetry = Telemetry(
            "opentelemetry.instrumentation.cohere",
            kwargs.get("tracer_provider"),
            kwargs.get("meter_provider"),
            __version__,
        )
        patcher = self._patcher = Patcher(telemetry)
        methods = {
            "chat": surfaces.Chat(),
            "embed": surfaces.Embed(),
            "rerank": surfaces.Rerank(),
        }
        for owner, is_async in (("V2Client", False), ("AsyncV2Client", True)):
            for name, surface in methods.items():
                patcher.patch_lazily(MODULE, owner, name, surface, is_async=is_async)
            # A (async) generator function: calling it returns the stream at once, unawaited.
            patcher.patch_lazily(MODULE, owner, "chat_stream", surfaces.ChatStream())

    def _uninstrument(self, **kwargs: Any) -> None:
        if self._patcher is not None:
            self._patcher.restore()
            self._patcher = None


__all__ = ["CohereInstrumentor", "__version__"]
