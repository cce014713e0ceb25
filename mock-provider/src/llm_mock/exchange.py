"""What a route sees (``Call``) and what it returns (``Reply`` or ``StreamReply``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import tokens


class ApiError(Exception):
    """Raised by a route to answer with an error in the provider's own format."""

    def __init__(self, status: int, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param


@dataclass
class Call:
    number: int
    """1-based sequence number of the request on this server; ids such as ``chatcmpl-mock-N`` use it."""
    method: str
    path: str
    """Path without the query string."""
    headers: dict[str, str]
    """Lower-cased header names."""
    body: Any
    base_url: str
    state: Any = None
    """Server-wide state shared by all requests: one attribute per name in a protocol's ``state``."""
    params: dict[str, str] = field(default_factory=dict)
    """Path parameters of the route's pattern (``/model/{model}/converse`` gives ``params["model"]``)."""

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def int_header(self, name: str, default: int = 0) -> int:
        value = self.headers.get(name)
        if value is None or not value.strip():
            return default
        try:
            return int(float(value))
        except ValueError:
            raise ApiError(400, f"Header {name} must be a number, got {value!r}") from None

    def reply_text(self, last_user_text: str, *, json_answer: bool = False) -> str:
        """``x-mock-reply`` verbatim (normalised) or the default reply, JSON-wrapped when asked."""
        override = self.headers.get("x-mock-reply")
        if override is not None:
            return tokens.normalize(override)
        text = tokens.default_reply(last_user_text)
        return tokens.as_json_answer(text) if json_answer else text

    def tool_call_name(self) -> str | None:
        name = self.headers.get("x-mock-tool-call")
        return name.strip() if name and name.strip() else None

    def body_dict(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise ApiError(400, "We could not parse the JSON body of your request: expected a JSON object.")
        return self.body

    def require(self, name: str, kind: type | tuple[type, ...]) -> Any:
        body = self.body_dict()
        value = body.get(name)
        if value is None:
            raise ApiError(400, f"Missing required parameter: '{name}'.", param=name)
        if not isinstance(value, kind):
            raise ApiError(400, f"Invalid type for '{name}'.", param=name)
        return value

    def optional_int(self, *names: str) -> int | None:
        """The first of ``names`` present in the body as an integer."""
        body = self.body_dict()
        for name in names:
            value = body.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ApiError(400, f"Invalid type for '{name}': expected an integer.", param=name)
            return value
        return None


@dataclass
class Reply:
    """A complete (non-streamed) response."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    output_tokens: int = 0
    """Drives the simulated generation time (``token_delay_ms`` per token after the first)."""


@dataclass
class Frame:
    data: bytes
    token: bool = False
    """True for content deltas: they are the ones paced by ``token_delay_ms`` and counted by ``cut``."""


@dataclass
class StreamReply:
    """A streamed response: frames are sent as they are (SSE, NDJSON or a binary event stream)."""

    frames: list[Frame]
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/event-stream; charset=utf-8"
