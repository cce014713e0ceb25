"""A warning raised inside the SDK call names the same frame as without instrumentation (main named
`semconv_ai/patch.py` for a deprecated model, so Python's default filter hid it)."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from typing import Any

import anthropic
import pytest
from reliability_support import API_KEY, Toggle

try:
    from anthropic._data import DEPRECATED_MODELS
except ImportError:  # older SDKs keep the list next to the resource, or have none
    DEPRECATED_MODELS = getattr(
        __import__("anthropic.resources.messages.messages", fromlist=["x"]), "DEPRECATED_MODELS", {}
    )

pytestmark = pytest.mark.skipif(
    not DEPRECATED_MODELS, reason="this anthropic has no deprecated-model warning"
)
MSG = [{"role": "user", "content": "hi"}]


def where(call: Callable[[], Any]) -> list[tuple[str, int]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [(w.filename, w.lineno) for w in caught if issubclass(w.category, DeprecationWarning)]


def calls(mock: Any) -> dict[str, Callable[[], Any]]:
    model = next(iter(DEPRECATED_MODELS))
    sync = anthropic.Anthropic(base_url=mock.anthropic_base_url, api_key=API_KEY, max_retries=0)
    aio = anthropic.AsyncAnthropic(base_url=mock.anthropic_base_url, api_key=API_KEY, max_retries=0)

    def create() -> Any:
        return sync.messages.create(model=model, max_tokens=5, messages=MSG)  # the user's line

    def stream() -> Any:
        with sync.messages.stream(model=model, max_tokens=5, messages=MSG) as s:
            return s.get_final_text()

    def acreate() -> Any:
        return asyncio.run(aio.messages.create(model=model, max_tokens=5, messages=MSG))

    def astream() -> Any:
        async def run() -> Any:
            async with aio.messages.stream(model=model, max_tokens=5, messages=MSG) as s:
                return await s.get_final_text()

        return asyncio.run(run())

    return {"create": create, "stream": stream, "acreate": acreate, "astream": astream}


@pytest.mark.parametrize("kind", ["create", "stream", "acreate", "astream"])
def test_sdk_warnings_name_the_same_frame(toggle: Toggle, mock_provider: Any, kind: str) -> None:
    bare = where(calls(mock_provider)[kind])
    toggle.on()
    try:
        instrumented = where(calls(mock_provider)[kind])
    finally:
        toggle.off()
    assert bare, "the SDK warned nothing"
    assert instrumented == bare
    assert not [f for f, _ in instrumented if "semconv_ai" in f or "instrumentation" in f]
