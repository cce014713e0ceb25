"""OpenTelemetry instrumentation for the together SDK (1.x to 3.x) on the core's OpenAI-compatible mapping.

```python
from opentelemetry.instrumentation.together import TogetherInstrumentor

TogetherInstrumentor().instrument()  # tracer_provider= / meter_provider= optional
```
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor, Patch

from .version import __version__

PROVIDER = "together"
# together 2.0 is generated from the API (`CompletionsResource`); 1.x was written by hand
# (`ChatCompletions`). Only the classes the installed SDK has are patched; each has an Async twin.
RESOURCES = (
    ("together.resources.chat.completions", ("CompletionsResource", "ChatCompletions"), "chat"),
    ("together.resources.completions", ("CompletionsResource", "Completions"), "text"),
    ("together.resources.embeddings", ("EmbeddingsResource", "Embeddings"), "embeddings"),
)


class TogetherInstrumentor(GenAIInstrumentor):
    """Instruments `chat.completions.create`, `completions.create` and `embeddings.create`, sync and
    async, streams included. Together sends a stream's usage on its last chunk."""

    instruments = ("together >= 1.2, < 4",)
    version = __version__

    def patches(self, **kwargs: Any) -> Sequence[Patch]:
        from opentelemetry.semconv_ai import openai_compat as compat  # loaded only when instrumenting

        surfaces = {
            "chat": compat.ChatCompletions(PROVIDER),
            "text": compat.TextCompletions(PROVIDER),
            "embeddings": compat.Embeddings(PROVIDER),
        }
        return [
            Patch(module, owner, "create", surfaces[kind])
            for module, owners, kind in RESOURCES
            for owner in owners
        ]


__all__ = ["PROVIDER", "TogetherInstrumentor", "__version__"]
