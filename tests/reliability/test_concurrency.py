"""Threads, asyncio tasks and copied contexts: exact counts and the right parent for every span."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any

import openai
from reliability_support import API_KEY

from opentelemetry.semconv_ai import enter_workflow, exit_workflow
from opentelemetry.semconv_ai.testing import Capture

MSG = [{"role": "user", "content": "hello there"}]


def test_16_threads_x_200_calls(instrumented: Capture, mock_provider: Any) -> None:
    tracer = instrumented.tracer_provider.get_tracer("test")
    client = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)
    parents: dict[int, int] = {}

    def worker(i: int) -> None:
        with tracer.start_as_current_span(f"worker-{i}") as parent:
            parents[i] = parent.get_span_context().span_id
            for _ in range(200):
                client.chat.completions.create(model=f"model-{i % 4}", messages=MSG)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert instrumented.value("llm.requests") == 3200
    for m in range(4):
        assert instrumented.value("llm.requests", model=f"model-{m}") == 800
        # "hello there" is 2 input tokens; "Mock reply: hello there" is 4 output tokens.
        assert instrumented.value("llm.tokens.usage", model=f"model-{m}", token_type="input") == 1600
        assert instrumented.value("llm.tokens.usage", model=f"model-{m}", token_type="output") == 3200
    spans = instrumented.spans()
    llm = [s for s in spans if s.name.startswith("chat ")]
    assert len(llm) == 3200
    by_worker: dict[int, int] = {}
    valid = set(parents.values())
    for span in llm:
        assert span.parent is not None and span.parent.span_id in valid
        by_worker[span.parent.span_id] = by_worker.get(span.parent.span_id, 0) + 1
    assert sorted(by_worker.values()) == [200] * 16


def test_500_concurrent_async_calls(instrumented: Capture, mock_provider: Any) -> None:
    tracer = instrumented.tracer_provider.get_tracer("test")

    async def one(client: openai.AsyncOpenAI, i: int) -> int:
        with tracer.start_as_current_span(f"task-{i}") as parent:
            await client.chat.completions.create(model="gpt-4o", messages=MSG)
            return parent.get_span_context().span_id

    async def main() -> list[int]:
        # Retries stay inside one operation, so they cannot change the counts asserted below.
        client = openai.AsyncOpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=3)
        try:
            return await asyncio.gather(*(one(client, i) for i in range(500)))
        finally:
            await client.close()

    parent_ids = asyncio.run(main())
    assert instrumented.value("llm.requests", model="gpt-4o") == 500
    assert instrumented.value("llm.operation.errors", model="gpt-4o") == 0
    llm = [s for s in instrumented.spans() if s.name == "chat gpt-4o"]
    assert len(llm) == 500
    assert sorted(s.parent.span_id for s in llm) == sorted(parent_ids)


def test_copied_contexts_keep_the_workflow_label(instrumented: Capture, mock_provider: Any) -> None:
    client = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)

    def call() -> None:
        client.chat.completions.create(model="gpt-4o", messages=MSG)

    token = enter_workflow("ai_assistant")
    try:
        ctx = contextvars.copy_context()
        copied = threading.Thread(target=ctx.run, args=(call,))
        plain = threading.Thread(target=call)  # a new thread starts from an empty context
        copied.start()
        plain.start()
        copied.join()
        plain.join()
    finally:
        exit_workflow(token)
    assert instrumented.value("llm.requests", model="gpt-4o", workflow="ai_assistant") == 1
    assert instrumented.value("llm.requests", model="gpt-4o", workflow="") == 1
