"""The shared GenAI core: names, instruments, the operation lifecycle, stream proxies, content, cost."""

from . import names
from .config import configure, settings
from .content import capture_enabled
from .context import current_workflow, enter_workflow, exit_workflow
from .errors import error_type
from .metrics import Metrics, metrics_for
from .operation import Operation, add_end_hook, current_operation, remove_end_hook
from .patch import Patcher, Surface, is_patched, wrap
from .pricing import PENDING, Pricer, Usage, get_pricer, register_price_id, set_pricer
from .request import Request, Server, request_params, server_from_url
from .stream import ChunkHandler, Observer, observe, observe_async
from .telemetry import Telemetry
from .version import __version__

__all__ = [
    "PENDING",
    "ChunkHandler",
    "Metrics",
    "Observer",
    "Operation",
    "Patcher",
    "Pricer",
    "Request",
    "Server",
    "Surface",
    "Telemetry",
    "Usage",
    "__version__",
    "add_end_hook",
    "capture_enabled",
    "configure",
    "current_operation",
    "current_workflow",
    "enter_workflow",
    "error_type",
    "exit_workflow",
    "get_pricer",
    "is_patched",
    "metrics_for",
    "names",
    "observe",
    "observe_async",
    "register_price_id",
    "remove_end_hook",
    "request_params",
    "server_from_url",
    "set_pricer",
    "settings",
    "wrap",
]
