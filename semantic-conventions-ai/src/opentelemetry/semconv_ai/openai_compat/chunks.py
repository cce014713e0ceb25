"""The chunk handler of OpenAI-shaped chat and completion streams.

Per chunk it only keeps references (the last chunk, the usage chunk, finish reasons); text is
gathered only when output is collected. Once a single-choice stream has shown output and no text is
collected, it goes quiet (`on_chunk` returns True): the core then only counts the chunks and shows
it the last ones, which hold the finish reason and the usage, at the end. At the end it folds what
it saw into the same reader as a whole response, so a stream reports what the same call without
streaming reports. Usage is whatever the stream itself carried: none is invented.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from .. import names
from ..operation import Operation
from ..safe import has_text, index, items

Reader = Callable[[Operation, Any], None]


def chunk_usage(chunk: Any) -> Any:
    """Where OpenAI puts a stream's usage: `usage` of the usage chunk (or of the last chunk)."""
    return getattr(chunk, "usage", None)


class ChoiceChunks:
    """Chat completion chunks and legacy completion chunks."""

    __slots__ = (
        "answered", "chat", "last", "op", "read", "reasons", "single", "texts", "tools", "usage", "usage_of",
    )  # fmt: skip

    def __init__(
        self, op: Operation, read: Reader, chat: bool = True, usage_of: Callable[[Any], Any] | None = None
    ) -> None:
        self.usage_of = usage_of or chunk_usage
        self.op = op
        self.chat = chat
        self.read = read
        self.last: Any = None
        self.usage: Any = None
        self.reasons: dict[int, str] = {}
        self.texts: dict[int, list[str]] | None = {} if op.collect_output else None
        self.tools: dict[tuple[int, int], list[Any]] = {}
        self.answered = False  # once True, chunks need not be looked at for output
        # Several choices spread their finish reasons over several chunks: read every chunk then.
        count = op.request.attributes.get(names.REQUEST_CHOICE_COUNT) if op.request is not None else None
        self.single = count is None or count == 1

    def on_chunk(self, chunk: Any) -> bool:
        self.last = chunk
        self._scan(chunk)
        # Quiet once answered: the core shows us the last chunks (finish reason, usage) at the end.
        return self.answered and self.texts is None and self.single

    def _scan(self, chunk: Any) -> None:
        choices = getattr(chunk, "choices", None)
        if not choices or not isinstance(choices, (list, tuple)):
            # The usage chunk has no choices; a provider that puts usage on a chunk with choices
            # reports it on its last one, which on_end reads.
            usage = self.usage_of(chunk)
            if usage is not None:
                self.usage = usage
            return
        for choice in choices:
            reason = getattr(choice, "finish_reason", None)
            if reason is not None:
                self.reasons[index(getattr(choice, "index", 0))] = reason
            if self.texts is not None:
                self._collect(choice)
            elif not self.answered and _answers(choice, self.chat):
                self.answered = self.op.answered = True

    def _collect(self, choice: Any) -> None:
        at = index(getattr(choice, "index", 0))
        delta = getattr(choice, "delta", None) if self.chat else None
        text = getattr(choice, "text", None) if delta is None else getattr(delta, "content", None)
        pieces = self.texts.setdefault(at, [])  # type: ignore[union-attr]
        if isinstance(text, str) and text:
            pieces.append(text)
        for call in items(getattr(delta, "tool_calls", None)):
            function = getattr(call, "function", None)
            entry = self.tools.setdefault(
                (at, index(getattr(call, "index", 0))), [getattr(call, "id", None), None, []]
            )
            if function is not None:
                entry[1] = entry[1] or getattr(function, "name", None)
                arguments = getattr(function, "arguments", None)
                if isinstance(arguments, str) and arguments:
                    entry[2].append(arguments)

    def on_end(self) -> None:
        last = self.last
        if last is None:
            return
        usage = self.usage_of(last)
        if usage is not None:
            self.usage = usage
        choices = []
        for at in sorted(set(self.reasons) | set(self.texts or ())):
            text = "".join(self.texts.get(at, ())) if self.texts is not None else None
            calls = [
                SimpleNamespace(id=c[0], function=SimpleNamespace(name=c[1], arguments="".join(c[2])))
                for (i, _), c in sorted(self.tools.items())
                if i == at
            ]
            msg = (
                SimpleNamespace(role="assistant", content=text or None, tool_calls=calls)
                if self.chat
                else None
            )
            choices.append(SimpleNamespace(finish_reason=self.reasons.get(at), message=msg, text=text))
        view = SimpleNamespace(
            id=getattr(last, "id", None),
            model=getattr(last, "model", None),
            choices=choices,
            usage=self.usage,
            service_tier=getattr(last, "service_tier", None),
            system_fingerprint=getattr(last, "system_fingerprint", None),
        )
        self.read(self.op, view)


def _answers(choice: Any, chat: bool) -> bool:
    """Whether a chunk's choice carries non-blank text, a refusal or a tool call."""
    if not chat:
        return has_text(getattr(choice, "text", None))
    delta = getattr(choice, "delta", None)
    return (
        has_text(getattr(delta, "content", None))
        or has_text(getattr(delta, "refusal", None))
        or bool(getattr(delta, "tool_calls", None))
    )
