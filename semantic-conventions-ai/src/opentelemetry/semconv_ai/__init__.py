"""The shared GenAI core: names, instruments, the operation lifecycle, stream proxies, content, cost."""

from . import names
from .config import configure, settings
from .content import capture_enabled
from .context import current_workflow, enter_workflow, exit_workflow
from .errors import error_type
from .metrics import Metrics, metrics_for
from .operation import Operation, Request, Telemetry, add_end_hook, current_operation, remove_end_hook
from .patch import Patcher, Surface, is_patched
from .pricing import PENDING, Pricer, Usage, get_pricer, set_pricer
from .stream import ChunkHandler, Observer, observe, observe_async
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
    "remove_end_hook",
    "set_pricer",
    "settings",
]
