"""Added CPU per stream chunk, from bare and instrumented calls paired one by one.

    python bench/chunk_pairs.py --setup ours [--content] [--pairs 80] [--control]

The openai SDK parses each chunk for about 100 µs, and on a shared machine the CPU's speed drifts
by a few per cent within a second, so rounds of calls cannot resolve 1 µs per chunk. Here every
instrumented call has a bare twin right next to it (the order alternates), each timed on its own
(CPU of all threads; spans flushed after the timing). Per chunk = (median added at 200 chunks -
median added at 20) / 180. One process gives one estimate, with an offset of its own (its memory
layout), so `make bench` runs several. `--control` also pairs the bare call with the same stream
wrapped in a pass-through proxy: the floor of the method, near 0 when it works.
Prints one line `BENCH_RESULT {json}`. Runs under the peers' venvs too: nothing from the workspace.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import traceback
from collections.abc import Callable
from typing import Any

import canned
import toggle
from setups import SETUPS
from worker import emit, warm_up

SHORT, LONG = "openai_stream_20", "openai_stream_200"


class PassThrough:
    """The least a stream proxy can be (one call per chunk, the SDK's own iterator resumed): the control."""

    __slots__ = ("_iterator",)

    def __init__(self, stream: Any) -> None:
        self._iterator = iter(stream)

    def __iter__(self) -> PassThrough:
        return self

    def __next__(self) -> Any:
        return next(self._iterator)


def _stream(workload: str, wrap: Callable[[Any], Any] | None = None) -> Callable[[], int]:
    client = canned.client_for(workload)
    options = {"include_usage": True}

    def call() -> int:
        chunks = client.chat.completions.create(
            model=canned.CHAT_MODEL, messages=canned.MESSAGES, stream=True, stream_options=options
        )
        return sum(1 for _ in (chunks if wrap is None else wrap(chunks)))

    return call


def paired(
    calls: dict[str, tuple[Callable[[], int], Callable[[], int]]], switch: Any, flush: Callable[[], Any],
    pairs: int, toggled: bool,
) -> dict[str, list[float]]:  # fmt: skip
    """Per workload, instrumented - bare CPU µs of each pair; `toggled`: the setup's patches switch.

    The spans are flushed after each call, outside its timing: what the end of a call sets off in the
    background is the same at 20 chunks and at 200, and left in it only adds noise to the slope."""
    clock = time.process_time
    added: dict[str, list[float]] = {name: [] for name in calls}
    for index in range(pairs):
        for name, (instrumented, bare) in calls.items():
            spent = {}
            for on in (True, False) if index % 2 == 0 else (False, True):
                if toggled:
                    (switch.on if on else switch.off)()
                start = clock()
                (instrumented if on else bare)()
                spent[on] = clock() - start
                flush()
            added[name].append((spent[True] - spent[False]) * 1e6)
    return added


def per_chunk(added: dict[str, list[float]]) -> float:
    chunks = canned.STREAM_CHUNKS[LONG] - canned.STREAM_CHUNKS[SHORT]
    return (statistics.median(added[LONG]) - statistics.median(added[SHORT])) / chunks


def run(args: argparse.Namespace) -> dict[str, Any]:
    bare = {name: _stream(name) for name in (SHORT, LONG)}
    for call in bare.values():
        call()  # the SDK's lazily imported modules exist before the snapshot
    before = toggle.snapshot()
    active = SETUPS[args.setup](args.content)
    switch = toggle.Toggle(before)
    calls = {name: (_stream(name), bare[name]) for name in bare}  # clients made after the setup
    for name, (instrumented, _) in calls.items():
        got, expected = instrumented(), canned.STREAM_CHUNKS[name]
        if got != expected:
            return {"status": f"broken: the stream yielded {got} chunks instead of {expected}"}
    for on in (True, False):
        (switch.on if on else switch.off)()
        for instrumented, _ in calls.values():
            warm_up(instrumented, args.warmup)
    active.flush()
    spans = active.exporter.spans
    added = paired(calls, switch, active.flush, args.pairs, True)
    switch.on()
    spans = active.exporter.spans - spans
    if not spans:
        return {"status": "not instrumented: no span exported"}
    result: dict[str, Any] = {"status": "ok", "pairs": args.pairs, "per_chunk_us": per_chunk(added)}
    result["spans_per_call"] = spans / (2 * args.pairs)
    result.update({f"added_{name}_us": statistics.median(values) for name, values in added.items()})
    if args.control:
        switch.off()
        control = {name: (_stream(name, PassThrough), bare[name]) for name in bare}
        result["control_us"] = per_chunk(paired(control, switch, active.flush, args.pairs, False))
        switch.on()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--setup", required=True)
    parser.add_argument("--content", action="store_true")
    parser.add_argument("--pairs", type=int, default=80)
    parser.add_argument("--warmup", type=float, default=0.3, help="CPU seconds of warm-up per call kind")
    parser.add_argument("--control", action="store_true", help="also measure a pass-through proxy")
    args = parser.parse_args()
    try:
        result = run(args)
    except Exception as exc:
        traceback.print_exc()
        result = {"status": f"error: {type(exc).__name__}: {exc}"}
    emit({"setup": args.setup, "content": args.content, **result})
    os._exit(0)  # as worker.py: skip the peers' atexit exports


if __name__ == "__main__":
    main()
