"""Serving Prometheus: /metrics rendered from the core's store, in this process or by the exporter.

- One process (no PROMETHEUS_MULTIPROC_DIR): the store is in memory and this process serves it on
  OTEL_EXPORTER_PROMETHEUS_HOST:PORT, followed by whatever else `prometheus_client`'s registry
  holds (process metrics, `target_info`, the application's own OpenTelemetry instruments).
- Many processes (PROMETHEUS_MULTIPROC_DIR set): the store is this process's file in that
  directory and the exporter process (`multiprocess`) serves the whole directory.

Either way openllmetry's own series come from the store only: the Prometheus readers are told to
skip the core's instrumentation scope, so every series appears once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("openllmetry")

PROMETHEUS_HOST_ENV = "OTEL_EXPORTER_PROMETHEUS_HOST"
PROMETHEUS_PORT_ENV = "OTEL_EXPORTER_PROMETHEUS_PORT"
DEFAULT_PROMETHEUS_HOST = "localhost"
DEFAULT_PROMETHEUS_PORT = 9464
SCOPE = "opentelemetry.semconv_ai"


@dataclass
class _Endpoint:
    lock: threading.RLock
    server: Any = None
    store: Any = None
    watchdog: Any = None
    registry: Any = None  # what the in-process server appends after the store's series
    forked_without_server: bool = False  # a forked child of a process that served in-process
    info: bytes = b""  # target_info, when the registry has none (it shows one only with other metrics)


_endpoint = _Endpoint(threading.RLock())
_rendering = threading.local()  # set while /metrics appends prometheus_client's registry


class StoreCollector:
    """openllmetry's series in prometheus_client's registry too, for code that reads the registry
    itself (`generate_latest()`, `start_http_server()`): this process's store, parsed from the
    exposition. /metrics renders the store directly and skips this collector."""

    def describe(self) -> list[Any]:
        return []  # no names claimed: the registry's duplicate check never calls collect() early

    def collect(self) -> Any:
        from prometheus_client.parser import text_string_to_metric_families

        from opentelemetry.semconv_ai.exposition import Renderer
        from opentelemetry.semconv_ai.metrics import global_store

        store = global_store()
        if getattr(_rendering, "active", False) or store is None:
            return
        yield from text_string_to_metric_families(Renderer().render(store.entries()).decode())


_collector = StoreCollector()


def _after_fork_in_child() -> None:
    _endpoint.lock = threading.RLock()
    # The child inherits the listening socket but not the server's threads: close the socket (never
    # shutdown(), which waits for those threads). The child's own numbers are served again when
    # init() runs in it (in-process mode) or by the exporter (multi-process mode).
    server, _endpoint.server = _endpoint.server, None
    if server is not None:
        _endpoint.forked_without_server = True
        if server.socket is not None:
            try:
                server.socket.close()
            except OSError:
                pass
    if _endpoint.watchdog is not None:
        _endpoint.watchdog.start()  # the thread did not survive the fork; the child checks too


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def address() -> tuple[str, int] | None:
    host = os.environ.get(PROMETHEUS_HOST_ENV, "").strip() or DEFAULT_PROMETHEUS_HOST
    raw_port = os.environ.get(PROMETHEUS_PORT_ENV, "").strip() or str(DEFAULT_PROMETHEUS_PORT)
    try:
        port = int(raw_port)
        if not 0 <= port <= 65535:
            raise ValueError(raw_port)
    except ValueError:
        logger.error(
            "openllmetry: %s=%r is not a port number, so /metrics is not served; set it to a free port",
            PROMETHEUS_PORT_ENV,
            raw_port,
        )
        return None
    return host, port


def setup(readers: Sequence[Any], resource_attributes: Mapping[str, Any], *, feed_sdk: bool) -> None:
    """Record into a store and serve it. `feed_sdk`: whether other (non-Prometheus) readers need the SDK."""
    from opentelemetry.semconv_ai.exposition import target_info
    from opentelemetry.semconv_ai.metrics import use_store
    from opentelemetry.semconv_ai.store import Store, member_name

    from .multiprocess import Watchdog, multiproc_dir

    for reader in readers:
        hide_core_scope(reader)
        registry = getattr(reader, "_registry", None)
        if registry is not None and not getattr(registry, "_openllmetry_collector", False):
            try:
                registry.register(_collector)
                registry._openllmetry_collector = True
            except Exception:
                logger.debug("could not add openllmetry's collector to the registry", exc_info=True)
    _endpoint.info = target_info(resource_attributes)
    where = address()
    directory = multiproc_dir()
    with _endpoint.lock:
        if _endpoint.store is not None:
            return  # already serving (a second Prometheus reader, or the zero-code path)
        if directory is None:
            _endpoint.store = Store(None)
            use_store(_endpoint.store, feed_sdk=feed_sdk)
            if where is not None:
                serve()
            return
        _endpoint.store = Store(os.path.join(directory, member_name()))
        use_store(_endpoint.store, feed_sdk=feed_sdk)
        if where is not None:
            host, port = where
            _endpoint.watchdog = Watchdog(directory, host, port, resource_attributes).start()
            logger.info(
                "openllmetry: %s=%s; the openllmetry exporter serves it on %s:%d",
                "PROMETHEUS_MULTIPROC_DIR",
                directory,
                host,
                port,
            )


def hide_core_scope(reader: Any) -> None:
    """Make a Prometheus reader skip the core's scope: /metrics renders those series from the store."""
    original = getattr(reader, "_receive_metrics", None)
    if original is None or getattr(original, "_openllmetry", False):
        return

    def receive(metrics_data: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            metrics_data = _without_core_scope(metrics_data)
        except Exception:
            logger.debug("could not filter the collected metrics", exc_info=True)
        return original(metrics_data, *args, **kwargs)

    receive._openllmetry = True  # type: ignore[attr-defined]
    reader._receive_metrics = receive


def _without_core_scope(data: Any) -> Any:
    from opentelemetry.sdk.metrics.export import MetricsData, ResourceMetrics

    kept = [
        ResourceMetrics(
            resource=item.resource,
            scope_metrics=[s for s in item.scope_metrics if s.scope.name != SCOPE],
            schema_url=item.schema_url,
        )
        for item in data.resource_metrics
    ]
    return MetricsData(resource_metrics=kept)


def serve(registry: Any = None) -> Any:
    """Serve the store (and `registry`, default prometheus_client's) on the configured address.

    A busy port logs one error and the application goes on; returns the server or None.
    """
    from prometheus_client import REGISTRY, generate_latest

    from opentelemetry.semconv_ai.exposition import Renderer
    from opentelemetry.semconv_ai.metrics import global_store

    from .metrics_server import MetricsServer

    where = address()
    if where is None:
        return None
    host, port = where
    renderer = Renderer()
    others = registry or REGISTRY

    def render() -> bytes:
        store = global_store()
        body = renderer.render(store.entries()) if store is not None else b""
        _rendering.active = True
        try:
            rest = generate_latest(others)
        except Exception:
            logger.debug("prometheus_client's registry failed to render", exc_info=True)
            rest = b""
        finally:
            _rendering.active = False
        if b"# TYPE target_info " not in rest:
            rest += _endpoint.info
        return body + rest

    try:
        server = MetricsServer(host, port, render).start()
    except OSError as exc:
        logger.error(
            "openllmetry: cannot serve Prometheus metrics on %s:%d (%s). Set %s to a free port (or %s to "
            "another address). The application continues and metrics are still recorded.",
            host,
            port,
            exc.strerror or exc,
            PROMETHEUS_PORT_ENV,
            PROMETHEUS_HOST_ENV,
        )
        return None
    with _endpoint.lock:
        _endpoint.server, _endpoint.registry = server, registry
    logger.info("openllmetry: serving Prometheus metrics on http://%s:%d/metrics", host, server.server_port)
    return server


def current_server() -> Any:
    return _endpoint.server


def restart_after_fork() -> bool:
    """In a child forked from a process that served in-process: serve again, this process's numbers.

    False when there is nothing to restart (not a forked child of a serving process)."""
    with _endpoint.lock:
        if not _endpoint.forked_without_server:
            return False
        _endpoint.forked_without_server = False
        registry = _endpoint.registry
    serve(registry)
    return True


def stop() -> None:
    """Stop serving and recording into the store; a multi-process file is left final for folding."""
    from opentelemetry.semconv_ai.metrics import use_store

    with _endpoint.lock:
        server, _endpoint.server = _endpoint.server, None
        watchdog, _endpoint.watchdog = _endpoint.watchdog, None
        store, _endpoint.store = _endpoint.store, None
    if watchdog is not None:
        watchdog.stop()
    if store is not None:
        use_store(None)
        store.close()
    if server is not None:
        try:
            server.shutdown()
        except Exception:
            logger.debug("stopping the /metrics server failed", exc_info=True)
