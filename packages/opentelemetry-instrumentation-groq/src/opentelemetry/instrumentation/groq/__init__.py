"""OpenTelemetry instrumentation for the groq SDK: the core's OpenAI-compatible mapping, Groq's surfaces.

```python
from opentelemetry.instrumentation.groq import GroqInstrumentor

GroqInstrumentor().instrument()  # tracer_provider= / meter_provider= optional
```
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor, Patch

from .version import __version__


class GroqInstrumentor(GenAIInstrumentor):
    """Instruments `chat.completions.create` and `embeddings.create`, sync and async, streams included."""

    instruments = ("groq >= 0.9, < 2",)
    version = __version__

    def patches(self, **kwargs: Any) -> Sequence[Patch]:
        from .surfaces import CHAT, EMBEDDINGS  # the core's mapping, loaded only when instrumenting

        return (
            Patch("groq.resources.chat.completions", "Completions", "create", CHAT),
            Patch("groq.resources.embeddings", "Embeddings", "create", EMBEDDINGS),
        )


__all__ = ["GroqInstrumentor", "__version__"]
