"""Many calls with abandoned streams mixed in: memory stays flat and no per-call state outlives a call."""

from __future__ import annotations

import gc
import json
import os
from typing import Any

import openai
import pytest
from reliability_support import API_KEY

from opentelemetry.semconv_ai import Operation
from opentelemetry.semconv_ai.testing import Capture

try:
    import httpx2 as httpx
except ImportError:  # openai 1.x
    import httpx  # type: ignore[no-redef]

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
CALLS = 100_000 if LONG else 8_000
WARMUP = 10_000 if LONG else 2_000

COMPLETION = json.dumps(
    {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
).encode()
CHUNK = json.dumps(
    {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "delta": {"content": "word "}, "finish_reason": None}],
    }
)
STREAM = ("".join(f"data: {CHUNK}\n\n" for _ in range(8)) + "data: [DONE]\n\n").encode()


def handler(request: Any) -> Any:
    if b'"stream":true' in request.content or b'"stream": true' in request.content:
        return httpx.Response(200, content=STREAM, headers={"content-type": "text/event-stream"})
    return httpx.Response(200, content=COMPLETION, headers={"content-type": "application/json"})


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_soak_memory_is_flat(instrumented: Capture) -> None:
    client = openai.OpenAI(
        api_key=API_KEY,
        base_url="http://soak.test/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    messages = [{"role": "user", "content": "hi"}]

    def batch(n: int) -> None:
        for i in range(n):
            if i % 1000 == 0:
                instrumented.exporter.clear()  # finished spans are the exporter's, not per-call state
            if i % 10 == 0:  # an abandoned stream: one chunk read, never closed, dropped
                stream = client.chat.completions.create(model="gpt-4o", messages=messages, stream=True)
                next(iter(stream))
                del stream
            else:
                client.chat.completions.create(model="gpt-4o", messages=messages)

    # Operations of earlier tests in this process may outlive them in other libraries' event-loop
    # timers and background tasks (LiteLLM's, holding the context they started in): not the soak's.
    earlier = {id(o) for o in gc.get_objects() if isinstance(o, Operation)}
    batch(WARMUP)
    instrumented.exporter.clear()
    gc.collect()
    before = rss_kib()
    batch(CALLS)
    instrumented.exporter.clear()
    gc.collect()
    after = rss_kib()
    growth = after - before
    print(f"soak: {CALLS} calls after {WARMUP} warm-up: RSS {before} KiB -> {after} KiB ({growth:+d} KiB)")
    assert growth < 2048
    assert instrumented.value("llm.requests", model="gpt-4o") == WARMUP + CALLS
    assert [o for o in gc.get_objects() if isinstance(o, Operation) and id(o) not in earlier] == []
