"""The four bedrock-runtime operations as `Surface`s, and how they get into botocore's client classes.

botocore builds one client class per client from the service model: `client_methods` wraps the four
methods while a bedrock-runtime class is built, so no other service or operation is ever touched.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

from opentelemetry.semconv_ai import Operation, Request, Surface, Telemetry, capture_enabled, names, wrap
from opentelemetry.semconv_ai.content import plain
from opentelemetry.semconv_ai.inplace import end_on_close, observe_calls, observe_end, replayed, serve_again
from opentelemetry.semconv_ai.request import request_params, server_from_url
from opentelemetry.semconv_ai.safe import field

from . import mapping

logger = logging.getLogger(__name__)
MAX_BODY = 1 << 20  # larger request bodies are not parsed for parameters
PARAMS = {  # the request fields of every family, Converse's inferenceConfig included
    "max_tokens": ("maxTokens", "max_tokens", "max_gen_len", "maxTokenCount", "max_new_tokens"),
    "temperature": "temperature",
    "top_p": ("topP", "top_p", "p"),
    "top_k": ("topK", "top_k", "k"),
    "stop_sequences": ("stopSequences", "stop_sequences", "stop"),
}
_server = functools.lru_cache(maxsize=64)(server_from_url)


def _json(body: Any) -> dict[str, Any]:
    """A JSON object body; {} for anything else (a file-like body is the SDK's to read)."""
    try:
        parsed = json.loads(body) if isinstance(body, (bytes, str)) and len(body) <= MAX_BODY else None
    except ValueError:
        parsed = None
    return parsed if isinstance(parsed, dict) else {}


def _operation(body: dict[str, Any], model: Any) -> str:
    if "messages" in body or "message" in body:
        return names.CHAT
    if "texts" in body or "inputImage" in body or "images" in body:
        return names.EMBEDDINGS
    if "inputText" in body and "textGenerationConfig" not in body:  # Titan text and embeddings look alike
        return names.TEXT_COMPLETION if "titan-t" in str(model) else names.EMBEDDINGS
    return names.TEXT_COMPLETION


class Bedrock(Surface):
    """Converse (`chat=True`) or InvokeModel, streamed or not."""

    operation = names.CHAT

    def __init__(self, chat: bool, stream: bool) -> None:
        self.chat, self.stream = chat, stream

    def request(self, client: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        model = kwargs.get("modelId")
        body = kwargs if self.chat else _json(kwargs.get("body"))
        config = {} if self.chat else dict(body)  # InvokeModel bodies have their parameters at the top
        for key in ("inferenceConfig", "textGenerationConfig"):
            config.update(body.get(key) if isinstance(body.get(key), dict) else {})
        guardrail = kwargs.get("guardrailIdentifier") or field(
            kwargs.get("guardrailConfig"), "guardrailIdentifier"
        )
        request = Request(
            model,
            names.AWS_BEDROCK,
            server=_server(client.meta.endpoint_url),
            stream=self.stream,
            attributes={mapping.GUARDRAIL_ID: guardrail},
            operation=None if self.chat else _operation(body, model),
            **request_params(config, PARAMS),
        )
        if capture_enabled():
            request.input_messages = mapping.messages(body)
            request.system_instructions = mapping.parts(body.get("system")) or None
            tools = field(body.get("toolConfig"), "tools") or body.get("tools")
            request.tool_definitions = plain(tools) if isinstance(tools, list) else None
        return request

    def response(self, op: Operation, result: Any) -> Any:
        metadata = field(result, "ResponseMetadata") or {}
        if metadata.get("RequestId"):
            op.set_attributes({mapping.REQUEST_ID: metadata["RequestId"]})
        if self.stream:
            watch(op, result["stream" if self.chat else "body"], mapping.Events(op, chunks=not self.chat))
            return result
        body = result if self.chat else _json(replayed(result.get("body")))
        if not mapping.record_usage(op, body.get("usage")) and not mapping.record_usage(op, body):
            mapping.record_headers(op, metadata.get("HTTPHeaders") or {})
        if op.operation != names.EMBEDDINGS:
            reason = mapping.record_stop(op, mapping.stop_reason(body), body)
            mapping.record_output(op, mapping.answer(body.get("output") if self.chat else body), reason)
        return result

    def error(self, op: Operation, exc: BaseException) -> None:
        request_id = field(field(getattr(exc, "response", None), "ResponseMetadata"), "RequestId")
        if request_id:
            op.set_attributes({mapping.REQUEST_ID: request_id})


SURFACES = {
    "converse": Bedrock(chat=True, stream=False),
    "converse_stream": Bedrock(chat=True, stream=True),
    "invoke_model": Bedrock(chat=False, stream=False),
    "invoke_model_with_response_stream": Bedrock(chat=False, stream=True),
}


# -- the read-once body of invoke_model ---------------------------------------------------------


def buffered(original: Any, is_async: bool) -> Any:
    """`invoke_model`, its body read once here so that the caller reads the same bytes again."""

    async def ainvoke(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = await original(self, *args, **kwargs)
        body = field(result, "body")
        if hasattr(body, "read"):
            try:
                data: bytes | BaseException = await body.read()
            except Exception as exc:
                data = exc
            serve_again(body, data, is_async=True)
        return result

    def invoke(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        body = field(result, "body")
        if hasattr(body, "read"):
            try:
                data: bytes | BaseException = body.read()
            except Exception as exc:
                data = exc
            serve_again(body, data)
        return result

    return ainvoke if is_async else invoke


# -- event streams, observed in place -----------------------------------------------------------


def watch(op: Operation, stream: Any, handler: mapping.Events) -> None:
    """Observe a botocore (or aiobotocore) `EventStream` in place: the caller keeps the SDK's object.

    Each parsed event is a chunk; an exception event raises from the parser, and fails the operation.
    """
    observer = op.observer(handler)
    stream._parse_event = observe_calls(stream._parse_event, observer)
    stream._event_generator = observe_end(stream._event_generator, observer)
    end_on_close(stream, observer)


# -- building the client class -----------------------------------------------------------------


def client_methods(original: Any, telemetry: Telemetry, surfaces: dict[str, Surface]) -> Any:
    """Wraps `ClientCreator._create_methods`: a bedrock-runtime class gets its four methods instrumented."""

    def _create_methods(self: Any, service_model: Any) -> Any:
        methods = original(self, service_model)
        try:
            if telemetry.enabled and service_model.service_name == "bedrock-runtime":
                is_async = type(self).__module__.startswith("aiobotocore")  # its methods return coroutines
                for name, surface in surfaces.items():
                    method = methods.get(name)
                    if method is not None:
                        inner = buffered(method, is_async) if name == "invoke_model" else method
                        methods[name] = functools.update_wrapper(
                            wrap(inner, telemetry, surface, is_async=is_async), method
                        )
        except Exception:
            logger.debug("instrumenting bedrock-runtime failed", exc_info=True)
        return methods

    return _create_methods
