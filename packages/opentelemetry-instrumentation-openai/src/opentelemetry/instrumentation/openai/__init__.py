"""OpenTelemetry instrumentation for the openai SDK (1.x to 3.x), on the shared GenAI core.

```python
from opentelemetry.instrumentation.openai import OpenAIInstrumentor

OpenAIInstrumentor().instrument(tracer_provider=..., meter_provider=..., inject_stream_usage=False)
```
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
from collections.abc import Callable, Collection
from types import ModuleType
from typing import Any

from opentelemetry.semconv_ai import Patcher, Surface, Telemetry, is_patched
from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor

from .streams import end_raw_stream

__version__ = "0.1.0"
__all__ = ["STREAM_USAGE_ENV", "OpenAIInstrumentor"]

logger = logging.getLogger(__name__)

STREAM_USAGE_ENV = "OTEL_INSTRUMENTATION_OPENAI_STREAM_USAGE"
_SCOPE = "opentelemetry.instrumentation.openai"

# (module, class of the sync resource, method, surface kind); the Async twin is patched alike.
# Every user call goes through exactly one of these: `.stream()` helpers call `create(stream=True)`,
# `parse()` posts on its own.
_METHODS = (
    ("openai.resources.chat.completions", "Completions", "create", "chat"),
    ("openai.resources.chat.completions", "Completions", "parse", "chat"),
    ("openai.resources.beta.chat.completions", "Completions", "parse", "chat"),  # openai 1.40 to 1.9x
    ("openai.resources.completions", "Completions", "create", "text"),
    ("openai.resources.embeddings", "Embeddings", "create", "embeddings"),
    ("openai.resources.responses", "Responses", "create", "responses"),
    ("openai.resources.responses", "Responses", "parse", "responses"),
    ("openai.resources.images", "Images", "generate", "images"),
)
# The `.stream()` helpers close the HTTP response themselves; their close() also ends our stream proxy.
_HELPER_STREAMS = (
    ("openai.lib.streaming.chat", "ChatCompletionStream"),
    ("openai.lib.streaming.responses", "ResponseStream"),
)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _accepts(owner: type | None, method: str, parameter: str) -> bool:
    try:
        return parameter in inspect.signature(getattr(owner, method)).parameters
    except (AttributeError, TypeError, ValueError):
        return False


def _patch_resources(
    patcher: Patcher, surfaces: dict[str, Surface], methods: list[tuple[str, str, str]], module: ModuleType
) -> None:
    for name, method, kind in methods:
        surface = surfaces[kind]
        if kind in ("chat", "text") and method == "create":
            # SDKs older than the `stream_options` parameter get it through extra_body instead.
            accepts = _accepts(getattr(module, name, None), method, "stream_options")
            surface.stream_options_param = accepts  # type: ignore[attr-defined]
        for prefix, is_async in (("", False), ("Async", True)):
            owner = getattr(module, prefix + name, None)
            if isinstance(owner, type) and not is_patched(owner.__dict__.get(method)):
                patcher.patch(owner, method, surface, is_async=is_async)


def _closing(original: Callable[..., Any], telemetry: Telemetry, surface: Surface) -> Callable[..., Any]:
    def close(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        finally:
            try:
                end_raw_stream(self)
            except Exception:
                logger.debug("ending a helper stream failed", exc_info=True)

    return close


def _closing_async(
    original: Callable[..., Any], telemetry: Telemetry, surface: Surface
) -> Callable[..., Any]:
    async def close(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(self, *args, **kwargs)
        finally:
            try:
                pending = end_raw_stream(self)
                if pending is not None:
                    await pending
            except Exception:
                logger.debug("ending a helper stream failed", exc_info=True)

    return close


class OpenAIInstrumentor(GenAIInstrumentor):
    """Instruments chat completions, completions, embeddings, responses and images, sync and async.

    `inject_stream_usage=True` (or `OTEL_INSTRUMENTATION_OPENAI_STREAM_USAGE=true`) asks streamed chat and
    completions for usage (`stream_options={"include_usage": True}`) when the caller did not set
    `stream_options`. Off by default: the stream then ends with an extra chunk whose `choices` is empty.
    """

    _patcher: Patcher | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("openai >= 1.0, < 4",)

    def _instrument(self, **kwargs: Any) -> None:
        from . import adapter  # imports openai: loading the entry point alone must not need it

        inject = kwargs.get("inject_stream_usage")
        if inject is None:
            inject = _env_flag(STREAM_USAGE_ENV)
        telemetry = self.telemetry = Telemetry(
            _SCOPE, kwargs.get("tracer_provider"), kwargs.get("meter_provider"), __version__
        )
        patcher = self._patcher = self.patcher = Patcher(telemetry)
        surfaces: dict[str, Surface] = {
            "chat": adapter.ChatCompletions(bool(inject)),
            "text": adapter.TextCompletions(bool(inject)),
            "embeddings": adapter.Embeddings(),
            "responses": adapter.Responses(),
            "images": adapter.Images(),
        }
        # openai imports most resources on first use: patch each module when it is imported.
        by_module: dict[str, list[tuple[str, str, str]]] = {}
        for module, name, method, kind in _METHODS:
            by_module.setdefault(module, []).append((name, method, kind))
        for module, methods in by_module.items():
            patcher.when_imported(module, functools.partial(_patch_resources, patcher, surfaces, methods))
        for module, name in _HELPER_STREAMS:
            for prefix, make in (("", _closing), ("Async", _closing_async)):
                patcher.patch_lazily(module, prefix + name, "close", Surface(), make=make)

    def _uninstrument(self, **kwargs: Any) -> None:
        if self._patcher is not None:
            self._patcher.restore()
            self._patcher = None
