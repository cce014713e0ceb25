"""The current workflow, owned by the core and set by the SDK's decorators."""

from __future__ import annotations

from contextvars import ContextVar, Token

_workflow: ContextVar[str] = ContextVar("openllmetry_workflow", default="")


def current_workflow() -> str:
    return _workflow.get()


def enter_workflow(name: str) -> Token[str]:
    return _workflow.set(name)


def exit_workflow(token: Token[str]) -> None:
    try:
        _workflow.reset(token)
    except ValueError:
        # Reset from another context (a generator finished elsewhere): fall back to the outer value.
        _workflow.set(token.old_value if token.old_value is not Token.MISSING else "")
