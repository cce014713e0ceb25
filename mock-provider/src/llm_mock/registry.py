"""The route registry: each provider's wire protocol is one module that registers its routes here.

A protocol names its error format, its request-id header and the path a client's base URL adds;
its routes are ``(method, pattern)`` pairs where ``{name}`` matches one path segment (``{name:path}``
the rest of the path) and reaches the handler as ``call.params[name]``, URL-decoded. Everything else
a response can go through (latency, injected errors, cut streams, canned responses) is the server's,
shared by every protocol: see ``faults``.

Modules in ``llm_mock.routes`` are imported when the first server starts, so adding a provider is
adding a file there. Code outside the package can call ``register()`` the same way before starting
a ``MockProvider``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .exchange import ApiError, Call, Reply, StreamReply

Handler = Callable[[Call], "Reply | StreamReply"]
ErrorReply = Callable[[int, str, "str | None"], Reply]

_PARAM = re.compile(r"\{(\w+)(:path)?\}")


def _json_error(status: int, message: str, param: str | None = None) -> Reply:
    return Reply({"error": {"message": message, "code": status}}, status=status)


@dataclass
class Route:
    method: str
    pattern: str
    handler: Handler
    protocol: Protocol
    regex: re.Pattern[str] | None = None

    def match(self, path: str) -> dict[str, str] | None:
        if self.regex is None:
            return {} if path == self.pattern else None
        found = self.regex.fullmatch(path)
        return None if found is None else {k: unquote(v) for k, v in found.groupdict().items()}


@dataclass(eq=False)
class Protocol:
    """One provider's wire protocol.

    ``error_reply(status, message, param)`` builds an error body in the provider's format (injected
    faults and unknown routes use it too). ``owns(path, headers)`` claims requests that match no route,
    so their 404 is in this format. ``state`` names server-wide objects (made by calling the factory,
    reachable as ``call.state.<name>``, ``clear()``-ed by ``MockProvider.reset()``).
    """

    name: str
    error_reply: ErrorReply = _json_error
    request_id_header: str = "x-request-id"
    base_path: str = ""
    """What a client's base URL adds to the server's URL (``/v1`` for OpenAI)."""
    owns: Callable[[str, dict[str, str]], bool] | None = None
    state: dict[str, Callable[[], Any]] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)

    def add(self, method: str, pattern: str, handler: Handler) -> Handler:
        regex = None
        if "{" in pattern:
            parts, last = [], 0
            for found in _PARAM.finditer(pattern):
                parts.append(re.escape(pattern[last : found.start()]))
                parts.append(f"(?P<{found.group(1)}>{'.+' if found.group(2) else '[^/]+?'})")
                last = found.end()
            parts.append(re.escape(pattern[last:]))
            regex = re.compile("".join(parts))
        route = Route(method.upper(), pattern, handler, self, regex)
        with _lock:
            self.routes.append(route)
            _routes.append(route)
        return handler

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Decorator form of ``add``."""
        return lambda handler: self.add(method, pattern, handler)


_lock = threading.Lock()
_protocols: dict[str, Protocol] = {}
_routes: list[Route] = []
DEFAULT_PROTOCOL = "openai"
"""Answers requests that no route matches and no protocol owns."""


def register(protocol: Protocol) -> Protocol:
    """Add a protocol (its routes may be added before or after). A second one of a name is an error."""
    with _lock:
        if _protocols.get(protocol.name, protocol) is not protocol:
            raise ValueError(f"mock protocol {protocol.name!r} is already registered")
        _protocols[protocol.name] = protocol
    return protocol


def protocol(name: str) -> Protocol:
    load()
    try:
        return _protocols[name]
    except KeyError:
        raise KeyError(f"no mock protocol {name!r}; known: {sorted(_protocols)}") from None


def protocols() -> list[Protocol]:
    load()
    with _lock:
        return list(_protocols.values())


def resolve(method: str, path: str, headers: dict[str, str]) -> tuple[Protocol, Route | None, dict[str, str]]:
    """The protocol answering a request, its route (None: 404 or 405) and the path parameters."""
    load()
    with _lock:
        routes = list(_routes)
    for route in routes:
        if route.method == method:
            params = route.match(path)
            if params is not None:
                return route.protocol, route, params
    owner = next((p for p in protocols() if p.owns is not None and p.owns(path, headers)), None)
    return owner or _protocols[DEFAULT_PROTOCOL], None, {}


def not_routed(method: str, path: str) -> ApiError:
    """The error for a request no route took: 405 when another method has the path, else 404."""
    with _lock:
        routes = list(_routes)
    if any(route.match(path) is not None for route in routes):
        return ApiError(405, f"Method {method} not allowed for {path}")
    return ApiError(404, f"Unknown request URL: {method} {path}. Please check the URL.")


_loaded = False
_load_lock = threading.RLock()


def load() -> None:
    """Import every module of ``llm_mock.routes`` once (each registers its protocol and routes)."""
    global _loaded
    if _loaded:
        return
    import importlib
    import pkgutil

    from . import routes

    with _load_lock:
        if _loaded:
            return
        _loaded = True  # a route module asking for a protocol while loading must not load again
        for info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
            importlib.import_module(f"{routes.__name__}.{info.name}")
