"""@workflow, @agent, @tool and @task on the four kinds of function, and LLM calls inside them."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest

from openllmetry import agent, task, tool, workflow
from opentelemetry import trace
from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.semconv_ai import current_workflow
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import SpanKind, StatusCode

KINDS = ["function", "coroutine", "generator", "async_generator"]


def make(kind: str, body: Callable[[], Any], decorator: Callable[[Any], Any]) -> Callable[[], Any]:
    """A decorated function of `kind` whose body (or each item) is body(); running it returns a list."""
    if kind == "function":

        def fn() -> Any:
            return [body()]

    elif kind == "coroutine":

        async def fn() -> Any:
            await asyncio.sleep(0)
            return [body()]

    elif kind == "generator":

        def fn() -> Any:
            yield body()
            yield body()

    else:

        async def fn() -> Any:
            yield body()
            await asyncio.sleep(0)
            yield body()

    return decorator(fn)


def run(kind: str, fn: Callable[[], Any]) -> list[Any]:
    if kind == "function":
        return fn()
    if kind == "coroutine":
        return asyncio.run(fn())
    if kind == "generator":
        return list(fn())

    async def drain() -> list[Any]:
        return [item async for item in fn()]

    return asyncio.run(drain())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("decorator", "span_name", "attributes"),
    [
        (workflow(name="ai_assistant"), "invoke_workflow ai_assistant",
         {"gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "ai_assistant"}),
        (agent(name="planner"), "invoke_agent planner",
         {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"}),
        (tool(name="search"), "execute_tool search",
         {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search",
          "gen_ai.tool.type": "function"}),
        (task(name="rank"), "rank", {}),
    ],
)  # fmt: skip
def test_each_decorator_on_each_kind_makes_one_span(
    global_capture: Capture, kind: str, decorator: Any, span_name: str, attributes: dict[str, str]
) -> None:
    seen: list[Any] = []

    def body() -> str:
        seen.append(trace.get_current_span())
        return current_workflow()

    workflows = run(kind, make(kind, body, decorator))

    [span] = global_capture.spans()
    assert span.name == span_name
    assert span.kind is SpanKind.INTERNAL
    assert dict(span.attributes or {}) == attributes
    assert span.status.status_code is StatusCode.UNSET
    assert all(current.get_span_context().span_id == span.context.span_id for current in seen)
    expected_workflow = "ai_assistant" if span_name.startswith("invoke_workflow") else ""
    assert workflows == [expected_workflow] * len(workflows)
    assert current_workflow() == ""
    assert not trace.get_current_span().get_span_context().is_valid


def nested(kind: str) -> Callable[[], Any]:
    """workflow → agent of `kind` → sync tool, each decorated function calling the next."""

    @tool(name="lookup")
    def lookup() -> str:
        return current_workflow()

    if kind == "function":
        inner = agent(name="helper")(lambda: [lookup()])
        return workflow(name="outer")(lambda: inner())
    if kind == "coroutine":

        @agent(name="helper")
        async def helper() -> Any:
            return [lookup()]

        @workflow(name="outer")
        async def outer() -> Any:
            return await helper()

        return outer
    if kind == "generator":

        @agent(name="helper")
        def helper_gen() -> Any:
            yield lookup()

        @workflow(name="outer")
        def outer_gen() -> Any:
            yield from helper_gen()

        return outer_gen

    @agent(name="helper")
    async def helper_agen() -> Any:
        yield lookup()

    @workflow(name="outer")
    async def outer_agen() -> Any:
        async for item in helper_agen():
            yield item

    return outer_agen


@pytest.mark.parametrize("kind", KINDS)
def test_nested_decorators_make_a_tree(global_capture: Capture, kind: str) -> None:
    assert run(kind, nested(kind)) == ["outer"]

    spans = {span.name: span for span in global_capture.spans()}
    assert set(spans) == {"invoke_workflow outer", "invoke_agent helper", "execute_tool lookup"}
    root, middle, leaf = (
        spans["invoke_workflow outer"],
        spans["invoke_agent helper"],
        spans["execute_tool lookup"],
    )
    assert root.parent is None
    assert middle.parent.span_id == root.context.span_id
    assert leaf.parent.span_id == middle.context.span_id
    assert len({span.context.trace_id for span in spans.values()}) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_errors_are_recorded_and_reraised_unchanged(global_capture: Capture, kind: str) -> None:
    error = ValueError("bad input")

    def body() -> None:
        raise error

    with pytest.raises(ValueError) as raised:
        run(kind, make(kind, body, workflow(name="failing")))

    assert raised.value is error
    [span] = global_capture.spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ValueError"
    assert [event.name for event in span.events] == ["exception"]
    assert current_workflow() == ""


def test_generator_span_lasts_until_the_generator_ends(global_capture: Capture) -> None:
    @workflow(name="streaming")
    def produce() -> Iterator[str]:
        yield current_workflow()
        yield current_workflow()

    items = produce()
    assert next(items) == "streaming"
    # Suspended: the span is open, and neither it nor the workflow leaks into the caller.
    assert global_capture.spans() == []
    assert current_workflow() == ""
    assert not trace.get_current_span().get_span_context().is_valid
    assert next(items) == "streaming"
    assert global_capture.spans() == []
    assert list(items) == []
    assert [span.name for span in global_capture.spans()] == ["invoke_workflow streaming"]


def test_async_generator_span_lasts_until_the_generator_ends(global_capture: Capture) -> None:
    @agent(name="streamer")
    async def produce() -> Any:
        yield trace.get_current_span().get_span_context().span_id
        yield trace.get_current_span().get_span_context().span_id

    async def scenario() -> list[Any]:
        items = produce()
        first = await items.__anext__()
        open_spans = len(global_capture.spans())
        outside = trace.get_current_span().get_span_context().is_valid
        rest = [item async for item in items]
        return [first, open_spans, outside, *rest]

    first, open_spans, outside, second = asyncio.run(scenario())
    [span] = global_capture.spans()
    assert (open_spans, outside) == (0, False)
    assert first == second == span.context.span_id


def test_generator_closed_early_ends_its_span_without_error(global_capture: Capture) -> None:
    closed = []

    @task(name="pages")
    def pages() -> Iterator[int]:
        try:
            yield 1
            yield 2
        finally:
            closed.append(current_workflow())

    @workflow(name="reader")
    def read_first() -> int:
        for page in pages():
            return page
        return 0

    assert read_first() == 1
    assert closed == ["reader"]
    spans = {span.name: span for span in global_capture.spans()}
    assert spans["pages"].status.status_code is StatusCode.UNSET
    assert spans["pages"].parent.span_id == spans["invoke_workflow reader"].context.span_id


def test_generators_keep_send_throw_and_return_semantics(global_capture: Capture) -> None:
    @task(name="echo")
    def echo() -> Any:
        received = []
        while len(received) < 2:
            try:
                received.append((yield len(received)))
            except KeyError:
                received.append("handled")
        return received

    def delegate() -> Any:
        return (yield from echo())

    items = delegate()
    assert next(items) == 0
    assert items.throw(KeyError("x")) == 1
    with pytest.raises(StopIteration) as stop:
        items.send("last")
    assert stop.value.value == ["handled", "last"]
    [span] = global_capture.spans()
    assert span.status.status_code is StatusCode.UNSET


def test_async_generator_athrow_reaches_the_inner_generator(global_capture: Capture) -> None:
    @tool(name="retrying")
    async def retrying() -> Any:
        try:
            yield "first"
        except TimeoutError:
            yield "recovered"

    async def scenario() -> list[str]:
        items = retrying()
        out = [await items.__anext__(), await items.athrow(TimeoutError())]
        await items.aclose()
        return out

    assert asyncio.run(scenario()) == ["first", "recovered"]
    [span] = global_capture.spans()
    assert span.status.status_code is StatusCode.UNSET


def test_bare_decorators_use_the_function_name_and_keep_its_shape(global_capture: Capture) -> None:
    @workflow
    def summarize() -> str:
        return current_workflow()

    @task
    async def fetch() -> int:
        return 1

    @tool
    def items() -> Iterator[int]:
        yield 1

    @agent
    async def chatter() -> Any:
        yield 1

    assert summarize() == "summarize"
    assert summarize.__name__ == "summarize" and summarize.__wrapped__ is not None
    assert inspect.iscoroutinefunction(fetch)
    assert inspect.isgeneratorfunction(items)
    assert inspect.isasyncgenfunction(chatter)
    with pytest.raises(TypeError):
        workflow(name=42)


def test_llm_calls_inside_are_children_and_carry_the_workflow_label(
    global_capture: Capture, mock_provider: Any
) -> None:
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=global_capture.tracer_provider, meter_provider=global_capture.meter_provider
    )
    client = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key="test-key")
    async_client = openai.AsyncOpenAI(base_url=mock_provider.openai_base_url, api_key="test-key")
    messages = [{"role": "user", "content": "hello there"}]
    try:

        @task(name="draft")
        def draft() -> str:
            return client.chat.completions.create(model="gpt-4o-mini", messages=messages).id

        @workflow(name="ai_assistant")
        def assist() -> str:
            draft()
            return client.chat.completions.create(model="gpt-4o-mini", messages=messages).id

        @workflow(name="streamer")
        async def stream_answer() -> Any:
            stream = await async_client.chat.completions.create(
                model="gpt-4o-mini", messages=messages, stream=True
            )
            async for chunk in stream:
                yield chunk

        async def consume() -> int:
            return len([chunk async for chunk in stream_answer()])

        assist()
        assert asyncio.run(consume()) > 1
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    finally:
        instrumentor.uninstrument()
        client.close()

    spans = global_capture.spans()
    by_name: dict[str, list[Any]] = {}
    for span in spans:
        by_name.setdefault(span.name, []).append(span)
    [root] = by_name["invoke_workflow ai_assistant"]
    [draft_span] = by_name["draft"]
    [stream_root] = by_name["invoke_workflow streamer"]
    chats = by_name["chat gpt-4o-mini"]
    assert len(chats) == 4
    parents = sorted(span.parent.span_id if span.parent else 0 for span in chats)
    assert parents == sorted(
        [draft_span.context.span_id, root.context.span_id, stream_root.context.span_id, 0]
    )
    assert draft_span.parent.span_id == root.context.span_id

    labels = {"model": "gpt-4o-mini", "provider": "openai", "operation": "chat"}
    assert global_capture.value("llm.requests", labels, workflow="ai_assistant") == 2
    assert global_capture.value("llm.requests", labels, workflow="streamer") == 1
    assert global_capture.value("llm.requests", labels, workflow="") == 1
    # "hello there" is 2 tokens in, "Mock reply: hello there" 4 out.
    assert global_capture.value("llm.tokens.usage", labels, workflow="ai_assistant", token_type="input") == 4
    assert global_capture.value("llm.tokens.usage", labels, workflow="ai_assistant", token_type="output") == 8
