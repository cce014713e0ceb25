"""End hooks: code that runs after every operation ends (the SDK's evaluators use them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EndHook = Callable[[Any], None]
"""Called with the `Operation` that ended."""
end_hooks: list[EndHook] = []
# End hooks that need the output content: [on every operation, only when JSON output was requested].
content_hooks = [0, 0]
JSON_CONTENT = "json"


def _count_content_hook(wants_content: bool | str, step: int) -> None:
    if wants_content:
        slot = 1 if wants_content == JSON_CONTENT else 0
        content_hooks[slot] = max(0, content_hooks[slot] + step)


def add_end_hook(hook: EndHook, *, wants_content: bool | str = False) -> None:
    """Call `hook(op)` after every operation ends (the SDK's evaluators use this).

    `wants_content`: True to have `op.output_messages` collected for every operation, `"json"` only
    for operations that asked for JSON output. Otherwise a hook sees `op.answered`, which adapters
    work out without keeping any text.
    """
    end_hooks.append(hook)
    _count_content_hook(wants_content, 1)


def remove_end_hook(hook: EndHook, *, wants_content: bool | str = False) -> None:
    if hook in end_hooks:
        end_hooks.remove(hook)
        _count_content_hook(wants_content, -1)
