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

from collections.abc import Collection
from typing import Any

from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor

from .version import __version__

_instruments = ("google-genai >= 1.0, < 4",)
MODULE = "google.genai.models"


class GoogleGenAIInstrumentor(GenAIInstrumentor):
    """Instruments `models.generate_content` / `generate_content_stream` / `embed_content` / `count_tokens`
    (sync and `client.aio`), and through them `client.chats` and automatic function calling."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        from opentelemetry.semconv_ai import Patcher, Telemetry

        from . import surfaces

        telemetry = Telemetry(
            "opentelemetry.instrumentation.google_genai",
            kwargs.get("tracer_provider"),
            kwargs.get("meter_provider"),
            __version__,
        )
        self._patcher = patcher = Patcher(telemetry)
        table = (
            ("_generate_content", surfaces.Generate()),
            ("_generate_content_stream", surfaces.GenerateStream()),
            ("embed_content", surfaces.Embed()),
            ("count_tokens", surfaces.CountTokens()),
        )
        for owner, is_async in (("Models", False), ("AsyncModels", True)):
            for name, surface in table:
                patcher.patch_lazily(MODULE, owner, name, surface, is_async=is_async)

    def _uninstrument(self, **kwargs: Any) -> None:
        patcher = getattr(self, "_patcher", None)
        if patcher is not None:
            patcher.restore()


__all__ = ["GoogleGenAIInstrumentor", "__version__"]
