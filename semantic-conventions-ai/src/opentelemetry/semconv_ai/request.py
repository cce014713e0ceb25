"""What a provider reads off a request: typed, validated fields that become span attributes.

Adapters pass SDK values as they come; the core drops `None`, wrong types and non-finite numbers,
so no adapter carries a type-filter table of its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from . import names

# Typed fields of `Request` -> the conventions' attribute.
_FLOATS = {
    "temperature": names.REQUEST_TEMPERATURE,
    "top_p": names.REQUEST_TOP_P,
    "frequency_penalty": names.REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": names.REQUEST_PRESENCE_PENALTY,
}
_INTS = {
    "top_k": names.REQUEST_TOP_K,
    "max_tokens": names.REQUEST_MAX_TOKENS,
    "seed": names.REQUEST_SEED,
    "choice_count": names.REQUEST_CHOICE_COUNT,
    "dimensions": names.EMBEDDINGS_DIMENSION_COUNT,
}
_STRINGS = {
    "stop_sequences": names.REQUEST_STOP_SEQUENCES,
    "encoding_formats": names.REQUEST_ENCODING_FORMATS,
}
FIELDS = frozenset(_FLOATS) | frozenset(_INTS) | frozenset(_STRINGS)
"""The typed request fields, as `request_params` tables name them."""

_PRIMITIVES = (str, bool, int, float)
_DEFAULT_PORTS = {"https": 443, "http": 80, "wss": 443, "ws": 80}
MAX_SEQUENCE = 64


class Server(NamedTuple):
    address: str | None
    port: int | None


NO_SERVER = Server(None, None)


def server_from_url(url: Any) -> Server:
    """Host and port of a base URL (an `httpx.URL`, a string, or anything with `host`/`port`/`scheme`).

    The port defaults by scheme (443 for https, 80 for http); the path and credentials are never read.
    """
    try:
        if isinstance(url, str):
            parts = urlsplit(url)
            host, port, scheme = parts.hostname, parts.port, parts.scheme
        else:
            host = getattr(url, "host", None)
            port = getattr(url, "port", None)
            scheme = getattr(url, "scheme", None)
    except (ValueError, TypeError):
        return NO_SERVER
    if not isinstance(host, str) or not host:
        return NO_SERVER
    if not isinstance(port, int) or isinstance(port, bool):
        port = _DEFAULT_PORTS.get(scheme.lower()) if isinstance(scheme, str) else None
    return Server(host, port)


def request_params(kwargs: Mapping[str, Any], table: Mapping[str, str | tuple[str, ...]]) -> dict[str, Any]:
    """`{field: value}` for a table of `field -> kwarg name` (a tuple: the first one given wins)."""
    out: dict[str, Any] = {}
    for name, keys in table.items():
        if isinstance(keys, str):
            value = kwargs.get(keys)
        else:
            value = next((kwargs[k] for k in keys if kwargs.get(k) is not None), None)
        if value is not None:
            out[name] = value
    return out


def _number(value: Any, kinds: type | tuple[type, ...]) -> Any:
    if isinstance(value, bool) or not isinstance(value, kinds):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        kept = tuple(v for v in value[:MAX_SEQUENCE] if isinstance(v, str))
        return kept or None
    return None


def clean_value(value: Any) -> Any:
    """A span attribute value as OpenTelemetry takes it, or None to drop it."""
    if isinstance(value, (str, bool)):
        return value
    if isinstance(value, (int, float)):
        return _number(value, (int, float))
    if isinstance(value, (list, tuple)) and value:
        first = type(value[0])
        if first in _PRIMITIVES:
            kept = tuple(v for v in value[:MAX_SEQUENCE] if type(v) is first and clean_value(v) is not None)
            return kept or None
    return None


def clean_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """Only the entries with a string key and a value OpenTelemetry accepts; None values dropped."""
    if not attributes:
        return {}
    out = {}
    for key, value in attributes.items():
        if isinstance(key, str) and value is not None:
            value = clean_value(value)
            if value is not None:
                out[key] = value
    return out


class Request:
    """What a provider adapter reads off a request (see the README's provider contract)."""

    __slots__ = (
        "attributes",
        "input_messages",
        "model",
        "operation",
        "output_type",
        "provider",
        "server_address",
        "server_port",
        "state",
        "stream",
        "system_instructions",
        "tool_definitions",
    )

    def __init__(
        self,
        model: Any,
        provider: str,
        *,
        server: Server | None = None,
        server_address: str | None = None,
        server_port: int | None = None,
        stream: bool = False,
        output_type: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        input_messages: list[Any] | None = None,
        system_instructions: list[Any] | None = None,
        tool_definitions: list[Any] | None = None,
        state: Any = None,
        operation: str | None = None,
        **fields: Any,
    ) -> None:
        self.model = model
        self.provider = provider
        # Overrides the surface's operation where one SDK method serves several (Bedrock's invoke_model).
        self.operation = operation if isinstance(operation, str) and operation else None
        if server is not None:
            server_address, server_port = server
        self.server_address = server_address if isinstance(server_address, str) and server_address else None
        self.server_port = server_port if type(server_port) is int else None
        self.stream = stream is True
        self.output_type = output_type if isinstance(output_type, str) and output_type else None
        self.input_messages = input_messages
        self.system_instructions = system_instructions
        self.tool_definitions = tool_definitions
        self.state = state
        attrs = clean_attributes(attributes)
        for name, value in fields.items():
            if value is None:
                continue
            key = _FLOATS.get(name)
            if key is not None:
                value = _number(value, (int, float))
            elif (key := _INTS.get(name)) is not None:
                value = _number(value, int)
                if name == "choice_count" and value == 1:
                    value = None
            elif (key := _STRINGS.get(name)) is not None:
                value = _strings(value)
            else:
                raise TypeError(f"Request() got an unexpected keyword argument {name!r}")
            if value is not None:
                attrs[key] = value
        if self.stream:
            attrs[names.REQUEST_STREAM] = True
        self.attributes = attrs
