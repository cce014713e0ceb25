"""OpenTelemetry instrumentation for the mistralai SDK (1.x to 3.x), on the shared GenAI core.

```python
from opentelemetry.instrumentation.mistralai import MistralAIInstrumentor

MistralAIInstrumentor().instrument()  # tracer_provider= / meter_provider= optional
```
"""

from __future__ import annotations

import logging
import os
from types import ModuleType
from typing import Any

from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor

from .version import __version__

logger = logging.getLogger(__name__)

# mistralai 1.x keeps its resources at the top (`mistralai.chat`); 2.0 moved them under
# `mistralai.client`. Both are listed: only what the installed SDK has is ever imported and patched.
LAYOUTS = ("mistralai.client", "mistralai")
# (module, class, method, surface); every method has an `_async` twin on the same class.
METHODS = (
    ("chat", "Chat", "complete", "chat"),
    ("chat", "Chat", "stream", "chat_stream"),
    ("fim", "Fim", "complete", "fim"),
    ("fim", "Fim", "stream", "fim_stream"),
    ("embeddings", "Embeddings", "create", "embeddings"),
)


def _log_layout(package: ModuleType) -> None:
    """Says once, at debug, which layout the installed SDK has: the other one is absent, as expected."""
    # 1.x has a `mistralai/client.py` of its own: look for the 2.x package directory, importing nothing.
    moved = any(os.path.isdir(os.path.join(path, "client")) for path in getattr(package, "__path__", ()))
    found, absent = ("mistralai.client", "mistralai") if moved else ("mistralai", "mistralai.client")
    logger.debug("mistralai: instrumenting %s.*; %s.* is absent", found, absent)


class MistralAIInstrumentor(GenAIInstrumentor):
    """Instruments `chat.complete` / `chat.stream`, `fim.complete` / `fim.stream` and
    `embeddings.create`, with their `_async` twins, on mistralai 1.x and on 2.x/3.x."""

    instruments = ("mistralai >= 1.0, < 4",)
    version = __version__

    def _instrument(self, **kwargs: Any) -> None:
        super()._instrument(**kwargs)  # the core's telemetry and patcher; the table is below
        from .surfaces import SURFACES  # the mapping, loaded only when instrumenting

        patcher = self.patcher
        patcher.when_imported("mistralai", _log_layout)
        for layout in LAYOUTS:
            for module, owner, method, kind in METHODS:
                # The async twin is a method of the same class: a `Patch` row's twin is another class.
                for name, is_async in ((method, False), (method + "_async", True)):
                    patcher.patch_lazily(f"{layout}.{module}", owner, name, SURFACES[kind], is_async=is_async)


__all__ = ["MistralAIInstrumentor", "__version__"]
