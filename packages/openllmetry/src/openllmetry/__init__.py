"""openllmetry: one-line OpenTelemetry and Prometheus monitoring for LLM applications.

`openllmetry.init(app_name="llm-monitoring-app")` instruments the installed GenAI SDKs and serves
Prometheus metrics; `@workflow`, `@agent`, `@tool` and `@task` add spans around your own code.
"""

from __future__ import annotations

from typing import Any

from .decorators import agent, task, tool, workflow
from .init import init, shutdown
from .version import __version__

__all__ = ["__version__", "agent", "init", "record_quality", "shutdown", "task", "tool", "workflow"]


def __getattr__(name: str) -> Any:
    # Evaluators load on first use, keeping `import openllmetry` cheap.
    if name == "record_quality":
        from .evaluators import record_quality

        globals()[name] = record_quality
        return record_quality
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
