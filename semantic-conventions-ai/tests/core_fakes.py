"""Stand-ins for an SDK: the core knows no SDK, so its own tests use these."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from opentelemetry.semconv_ai import Request, Surface, names


class FakeClient:
    """Stands in for an SDK resource: the core knows no SDK, so its own tests use this."""

    def create(self, model: Any = "m-1", *, stream: bool = False, chunks: int = 3, fail: Any = None) -> Any:
        if fail is not None:
            raise fail
        if stream:
            return FakeStream(chunks)
        return {"model": f"{model}-2024", "id": "r-1", "usage": (10, 4), "reason": "stop"}

    async def acreate(self, model: Any = "m-1", *, stream: bool = False, chunks: int = 3) -> Any:
        if stream:
            return AsyncFakeStream(chunks)
        return {"model": f"{model}-2024", "id": "r-1", "usage": (10, 4), "reason": "stop"}


class FakeStream:
    def __init__(self, chunks: int, fail_at: int | None = None) -> None:
        self.items = list(range(chunks))
        self.fail_at = fail_at
        self.closed = False
        self.response = "http-response"

    def __iter__(self) -> Iterator[int]:
        for item in self.items:
            if item == self.fail_at:
                raise ConnectionError("cut")
            yield item

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> FakeStream:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncFakeStream:
    def __init__(self, chunks: int) -> None:
        self.items = list(range(chunks))
        self.closed = False

    async def _gen(self) -> Any:
        for item in self.items:
            yield item

    def __aiter__(self) -> Any:
        return self._gen()

    async def close(self) -> None:
        self.closed = True


class Handler:
    def __init__(self, op: Any) -> None:
        self.op = op
        self.seen = 0

    def on_chunk(self, chunk: int) -> None:
        self.seen += 1

    def on_end(self) -> None:
        self.op.set_usage(input_tokens=10, output_tokens=self.seen)


class FakeSurface(Surface):
    operation = names.CHAT

    def request(self, instance: Any, args: Any, kwargs: dict[str, Any]) -> Request:
        return Request(
            kwargs.get("model", "m-1"),
            "acme",
            server_address="api.acme.test",
            server_port=443,
            attributes={names.REQUEST_TEMPERATURE: 0.5},
            input_messages=[{"role": "user", "parts": [{"type": "text", "content": "SECRET-PROMPT"}]}],
        )

    def response(self, op: Any, result: Any) -> Any:
        if isinstance(result, dict):
            op.set_response(
                model=result["model"], response_id=result["id"], finish_reasons=[result["reason"]]
            )
            op.set_usage(input_tokens=result["usage"][0], output_tokens=result["usage"][1])
            if op.collect_output:
                op.set_output(
                    [{"role": "assistant", "parts": [{"type": "text", "content": "SECRET-ANSWER"}]}]
                )
            return result
        return op.stream(result, Handler(op))
