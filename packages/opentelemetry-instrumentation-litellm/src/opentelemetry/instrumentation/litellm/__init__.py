"""OpenTelemetry instrumentation for LiteLLM, on the shared GenAI core.

```python
from opentelemetry.instrumentation.litellm import LiteLLMInstrumentor

LiteLLMInstrumentor().instrument(tracer_provider=..., meter_provider=...)
```

One LiteLLM call is one operation, whatever LiteLLM calls underneath: LiteLLM's nested entry points
(`acompletion` runs `completion` in a thread) and an instrumented SDK it calls (the openai SDK, for
OpenAI-compatible providers) stand aside inside it.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Collection
from types import ModuleType
from typing import Any

from opentelemetry.semconv_ai import Patcher, Surface, Telemetry, is_patched
from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor

__version__ = "0.1.0"
__all__ = ["LiteLLMInstrumentor"]

_SCOPE = "opentelemetry.instrumentation.litellm"

# (module, function, surface kind, async). The public names, the functions LiteLLM calls internally
# (`litellm.main`), and the Python paths its dispatchers call, which also catch a
# `from litellm import completion` done before instrument(). Names an installed version lacks are skipped.
_FUNCTIONS = tuple(
    (module, name, kind, name.startswith(("a", "_PYTHON_A")))
    for module, names_, kind in (
        ("litellm", ("completion", "acompletion"), "chat"),
        ("litellm", ("text_completion", "atext_completion"), "text"),
        ("litellm", ("embedding", "aembedding"), "embeddings"),
        ("litellm", ("responses", "aresponses"), "responses"),
        ("litellm.main", ("completion", "acompletion"), "chat"),
        ("litellm.main", ("text_completion", "atext_completion"), "text"),
        ("litellm.main", ("embedding", "aembedding"), "embeddings"),
        ("litellm.responses.main", ("responses", "aresponses"), "responses"),
        ("litellm.chat_completions.dispatch", ("_PYTHON_COMPLETION", "_PYTHON_ACOMPLETION"), "chat"),
        ("litellm.embeddings.dispatch", ("_PYTHON_EMBEDDING", "_PYTHON_AEMBEDDING"), "embeddings"),
        ("litellm.responses.dispatch", ("_PYTHON_RESPONSES", "_PYTHON_ARESPONSES"), "responses"),
    )
    for name in names_
)
# Router endpoints: the class that holds them (new LiteLLM serves them from its Rust core), and names.
_ROUTER_CLASSES = (("litellm.router", "Router"), ("litellm.router_rust.core", "RustCore"))
_ROUTER_METHODS = tuple((name, kind, is_async) for module, name, kind, is_async in _FUNCTIONS[:8])


class LiteLLMInstrumentor(GenAIInstrumentor):
    """Instruments LiteLLM's completion, text completion, embedding and responses calls, sync and async."""

    _patcher: Patcher | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("litellm >= 1.50, < 2",)

    def _instrument(self, **kwargs: Any) -> None:
        telemetry = Telemetry(
            _SCOPE, kwargs.get("tracer_provider"), kwargs.get("meter_provider"), __version__
        )
        patcher = self._patcher = Patcher(telemetry)

        surfaces: dict[tuple[str, bool, bool], Surface] = {}

        def surface(kind: str, is_async: bool, router: bool = False) -> Surface:
            from . import adapter  # imports nothing of litellm itself

            made = surfaces.get((kind, is_async, router))
            if made is None:
                cls = adapter.for_router(adapter.SURFACES[kind]) if router else adapter.SURFACES[kind]
                made = surfaces[kind, is_async, router] = cls(is_async)
            return made

        def apply(_litellm: ModuleType) -> None:
            for module_name, name, kind, is_async in _FUNCTIONS:
                module = sys.modules.get(module_name)
                if module is not None and not is_patched(module.__dict__.get(name)):
                    patcher.patch(module, name, surface(kind, is_async), is_async=is_async)

        def apply_router(module: ModuleType, class_name: str) -> None:
            owner = getattr(module, class_name, None)
            for name, kind, is_async in _ROUTER_METHODS if isinstance(owner, type) else ():
                if name in owner.__dict__ and not is_patched(owner.__dict__[name]):
                    patcher.patch(owner, name, surface(kind, is_async, router=True), is_async=is_async)

        # LiteLLM's package imports every module of _FUNCTIONS; its Rust router core comes later.
        patcher.when_imported("litellm", apply)
        for module_name, class_name in _ROUTER_CLASSES:
            patcher.when_imported(module_name, functools.partial(apply_router, class_name=class_name))

    def _uninstrument(self, **kwargs: Any) -> None:
        if self._patcher is not None:
            self._patcher.restore()
            self._patcher = None
