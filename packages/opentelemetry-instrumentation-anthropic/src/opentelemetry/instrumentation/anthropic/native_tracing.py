"""One span per call: the SDK's own tracing stands aside while one of our operations runs.

anthropic 2.x starts its own CLIENT span (`anthropic.messages.create`) for every API call whenever
a TracerProvider exists. While our operation is current, the SDK gets a non-recording span that
carries our span's context instead: it records nothing, does none of its response bookkeeping, and
still propagates the trace context the way the client is configured to, now with our span as the
parent. The adapter records what that span held that matters (request id, HTTP status). Calls we do
not instrument (files, batches, ...) keep the SDK's spans.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from opentelemetry import trace
from opentelemetry.semconv_ai import current_operation

logger = logging.getLogger(__name__)

MODULE = "anthropic._base_client"
FUNCTION = "start_api_call_span"


class NativeTracing:
    def __init__(self) -> None:
        self._module: Any = None
        self._original: Callable[..., Any] | None = None
        self._wrapper: Callable[..., Any] | None = None

    def stand_aside(self, module: Any) -> bool:
        """Install the hook in `anthropic._base_client` (once it is imported: the instrumentor registers
        this with its patcher); False when the SDK has no tracing of its own (before 2.x)."""
        original = getattr(module, FUNCTION, None)
        if not callable(original):
            return False

        def start_api_call_span(*args: Any, **kwargs: Any) -> Any:
            try:
                op = current_operation()
                # A span of ours that records nothing leaves the SDK's span as the one that may.
                if op is not None and op.span.is_recording():
                    return trace.NonRecordingSpan(op.span.get_span_context())
            except Exception:
                logger.debug("checking for a current GenAI operation failed", exc_info=True)
            return original(*args, **kwargs)

        setattr(module, FUNCTION, start_api_call_span)
        self._module, self._original, self._wrapper = module, original, start_api_call_span
        return True

    def restore(self) -> None:
        module, original = self._module, self._original
        if module is not None and getattr(module, FUNCTION, None) is self._wrapper:
            setattr(module, FUNCTION, original)
        self._module = self._original = self._wrapper = None
