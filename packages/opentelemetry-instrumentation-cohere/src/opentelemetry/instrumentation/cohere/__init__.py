"""OpenTelemetry instrumentation for the cohere Python SDK's v2 client, on the shared GenAI core.

```python
from opentelemetry.instrumentation.cohere import CohereInstrumentor

CohereInstrumentor().instrument()
```
"""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor, Patch

from .version import __version__

# `ClientV2` / `AsyncClientV2` (and `Client().v2`) get these methods from `V2Client` / `AsyncV2Client`.
MODULE = "cohere.v2.client"


class CohereInstrumentor(GenAIInstrumentor):
    """Instruments the v2 client's `chat`, `chat_stream`, `embed` and `rerank`, sync and async."""

    instruments = ("cohere >= 5.10, < 8",)
    version = __version__

    def patches(self, **kwargs: Any) -> list[Patch]:
        from . import surfaces

        methods = {
            "chat": surfaces.Chat(),
            "chat_stream": surfaces.ChatStream(),  # the async one is an async generator: never awaited
            "embed": surfaces.Embed(),
            "rerank": surfaces.Rerank(),
        }
        return [
            Patch(MODULE, "V2Client", name, surface, "AsyncV2Client") for name, surface in methods.items()
        ]


__all__ = ["CohereInstrumentor", "__version__"]
