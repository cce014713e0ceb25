"""OpenTelemetry instrumentation for LiteLLM, on the shared GenAI core.

```python
from opentelemetry.instrumentation.litellm import LiteLLMInstrumentor

LiteLLMInstrumentor().instrument(tracer_provider=..., meter_provider=...)
```

One LiteLLM call is one operation, whatever LiteLLM calls underneath: its nested entry points
(`acompletion` runs `completion` in a thread) and an instrumented SDK it calls (the openai SDK, for
OpenAI-compatible providers) stand aside inside it.
"""

from __future__ import annotations

import functools
import sys
from types import ModuleType
from typing import Any

from opentelemetry.semconv_ai import Surface, is_patched
from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor

__version__ = "0.1.0"
__all__ = ["LiteLLMInstrumentor"]

# (module, (sync, async) function names, surface kind): the public names, the functions LiteLLM calls
# internally (`litellm.main`), and the Python paths its dispatchers call, which also catch a
# `from litellm import completion` done before instrument(). Names a version lacks are skipped.
_MODULES = (
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
# The classes holding the Router's methods (newer LiteLLM serves them from its Rust core).
_ROUTERS = (("litellm.router", "Router"), ("litellm.router_rust.core", "RustCore"))


class LiteLLMInstrumentor(GenAIInstrumentor):
    """Instruments LiteLLM's completion, text completion, embedding and responses calls, sync and async,
    and the same methods of `litellm.Router`."""

    instruments = ("litellm >= 1.67, < 2",)
    version = __version__

    def _instrument(self, **kwargs: Any) -> None:
        super()._instrument(**kwargs)
        patcher = self.patcher

        @functools.cache  # one surface per kind, flavour and caller
        def surface(kind: str, is_async: bool, router: bool = False) -> Surface:
            from . import adapter  # imports nothing of LiteLLM itself

            cls = adapter.SURFACES[kind]
            return (adapter.for_router(cls) if router else cls)(is_async)

        def functions(_litellm: ModuleType) -> None:
            for module_name, pair, kind in _MODULES:
                module = sys.modules.get(module_name)
                for name, is_async in zip(pair, (False, True), strict=True):
                    if module is not None and not is_patched(module.__dict__.get(name)):
                        patcher.patch(module, name, surface(kind, is_async), is_async=is_async)

        def router(module: ModuleType, owner_name: str) -> None:
            owner = getattr(module, owner_name, None)
            for _, pair, kind in _MODULES[:4] if isinstance(owner, type) else ():
                for name, is_async in zip(pair, (False, True), strict=True):
                    if name in owner.__dict__ and not is_patched(owner.__dict__[name]):
                        patcher.patch(owner, name, surface(kind, is_async, router=True), is_async=is_async)

        # Importing LiteLLM imports every module of _MODULES; its Rust router core comes later.
        patcher.when_imported("litellm", functions)
        for module_name, owner_name in _ROUTERS:
            patcher.when_imported(module_name, functools.partial(router, owner_name=owner_name))
