"""OpenTelemetry instrumentation for the ollama Python client, on the shared GenAI core.

```python
from opentelemetry.instrumentation.ollama import OllamaInstrumentor

OllamaInstrumentor().instrument()
```
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor, Patch

from .version import __version__

# `ollama.chat` and the like are methods of a default client, bound when ollama is imported.
MODULE_FUNCTIONS = ("chat", "generate", "embed", "embeddings")


class OllamaInstrumentor(GenAIInstrumentor):
    """Instruments `Client` and `AsyncClient` `chat`, `generate`, `embed` and `embeddings`, and the
    module-level `ollama.chat` / `generate` / `embed` / `embeddings`."""

    instruments = ("ollama >= 0.3, < 1",)
    version = __version__
    _rebound: dict[str, Any] = {}

    def patches(self, **kwargs: Any) -> list[Patch]:
        from . import surfaces

        embed = surfaces.Embed()
        methods = {
            "chat": surfaces.Chat(),
            "generate": surfaces.Generate(),
            "embed": embed,
            "embeddings": embed,
        }
        return [Patch("ollama._client", "Client", name, surface) for name, surface in methods.items()]

    def _instrument(self, **kwargs: Any) -> None:
        super()._instrument(**kwargs)
        self._rebound = {}
        # After the classes' rows: when ollama is imported already, those are patched first.
        self.patcher.when_imported("ollama", self._rebind)

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
        super()._uninstrument(**kwargs)
        module = sys.modules.get("ollama")
        for name, bound in self._rebound.items():
            if module is not None and module.__dict__.get(name) is bound:  # unless the app replaced it
                setattr(module, name, getattr(module._client, name))
        self._rebound = {}


__all__ = ["OllamaInstrumentor", "__version__"]
