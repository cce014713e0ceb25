"""OpenTelemetry instrumentation for the ollama Python client, on the shared GenAI core.

```python
from opentelemetry.instrumentation.ollama import OllamaInstrumentor

OllamaInstrumentor().instrument()
```
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from types import ModuleType
from typing import TYPE_CHECKING, Any

from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor

from .version import __version__

if TYPE_CHECKING:
    from opentelemetry.semconv_ai import Patcher

_instruments = ("ollama >= 0.3, < 1",)

# `ollama.chat` and the like are methods of a default client, bound when ollama is imported.
MODULE_FUNCTIONS = ("chat", "generate", "embed", "embeddings")


class OllamaInstrumentor(GenAIInstrumentor):
    """Instruments `Client` and `AsyncClient` `chat`, `generate`, `embed` and `embeddings`, and the
    module-level `ollama.chat` / `generate` / `embed` / `embeddings`."""

    _patcher: Patcher | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        from opentelemetry.semconv_ai import Patcher, Telemetry

        from . import surfaces

        telemetry = Telemetry(
            "opentelemetry.instrumentation.ollama",
            kwargs.get("tracer_provider"),
            kwargs.get("meter_provider"),
            __version__,
        )
        patcher = self._patcher = Patcher(telemetry)
        methods = {
            "chat": surfaces.Chat(),
            "generate": surfaces.Generate(),
            "embed": surfaces.Embed(),
            "embeddings": surfaces.Embed(),
        }
        for owner, is_async in (("Client", False), ("AsyncClient", True)):
            for name, surface in methods.items():
                patcher.patch_lazily("ollama._client", owner, name, surface, is_async=is_async)
        self._rebound: dict[str, Any] = {}
        # Registered after the classes: when ollama is imported already, those are patched first.
        patcher.when_imported("ollama", self._rebind)

    def _rebind(self, module: ModuleType) -> None:
        """Point `ollama.chat` & co. at the patched methods of the default client they were bound to."""
        default = getattr(module, "_client", None)
        if default is None:
            return
        for name in MODULE_FUNCTIONS:
            if getattr(module.__dict__.get(name), "__self__", None) is default:
                bound = self._rebound[name] = getattr(default, name)
                setattr(module, name, bound)

    def _uninstrument(self, **kwargs: Any) -> None:
        if self._patcher is not None:
            self._patcher.restore()
            self._patcher = None
        module = sys.modules.get("ollama")
        default = getattr(module, "_client", None)
        for name, bound in self._rebound.items():
            if module is not None and module.__dict__.get(name) is bound:  # unless the app replaced it
                setattr(module, name, getattr(default, name))
        self._rebound = {}


__all__ = ["OllamaInstrumentor", "__version__"]
