"""OpenTelemetry instrumentation for the google-genai SDK (Gemini API and Vertex AI), on the GenAI core.

```python
from opentelemetry.instrumentation.google_genai import GoogleGenAIInstrumentor

GoogleGenAIInstrumentor().instrument()
```

Generation is patched at the SDK's one-request methods (`Models._generate_content` and
`_generate_content_stream`, sync and async), which every public path goes through: `generate_content`,
`generate_content_stream`, `client.chats` and each model call of automatic function calling. So an
operation is one model call, whoever made it, and nothing is counted twice.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor, Patch

from .version import __version__

MODULE = "google.genai.models"


class GoogleGenAIInstrumentor(GenAIInstrumentor):
    """Instruments `models.generate_content` / `generate_content_stream` / `embed_content` / `count_tokens`
    (sync and `client.aio`), and through them `client.chats` and automatic function calling."""

    instruments = ("google-genai >= 1.0, < 4",)
    version = __version__

    def patches(self, **kwargs: Any) -> list[Patch]:
        from . import surfaces

        return [  # each on `Models` and `AsyncModels`
            Patch(MODULE, "Models", "_generate_content", surfaces.Generate()),
            Patch(MODULE, "Models", "_generate_content_stream", surfaces.Generate(stream=True)),
            Patch(MODULE, "Models", "embed_content", surfaces.Embed()),
            Patch(MODULE, "Models", "count_tokens", surfaces.CountTokens()),
        ]


__all__ = ["GoogleGenAIInstrumentor", "__version__"]
