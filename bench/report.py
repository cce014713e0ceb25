"""Turning worker results into the benchmark table (Markdown, which also reads well as plain text)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

TITLES = {
    "openai_chat": "OpenAI chat",
    "openai_stream_20": "OpenAI stream, 20 chunks",
    "openai_stream_200": "OpenAI stream, 200 chunks",
    "anthropic_message": "Anthropic message",
    "anthropic_stream": "Anthropic stream, 20 events",
    "openai_embeddings": "OpenAI embeddings",
    "gemini_generate": "Gemini generate_content",
    "gemini_stream_20": "Gemini stream, 20 chunks",
    "groq_chat": "Groq chat",
    "together_chat": "Together chat",
    "mistral_chat": "Mistral chat",
    "cohere_chat": "Cohere chat (v2)",
    "ollama_chat": "Ollama chat",
    "bedrock_converse": "Bedrock converse (boto3)",
    "bedrock_stream_20": "Bedrock converse_stream, 20 events",
    "litellm_chat": "LiteLLM completion (OpenAI route)",
}
NON_STREAMING = (
    "openai_chat",
    "anthropic_message",
    "openai_embeddings",
    "gemini_generate",
    "groq_chat",
    "together_chat",
    "mistral_chat",
    "cohere_chat",
    "ollama_chat",
    "bedrock_converse",
    "litellm_chat",
)
ADDED_SHARE_GOAL = 0.10
PEER_FRACTION_GOAL = 0.10
CHUNK_GOAL_US = 2.0
INIT_GOAL_MS = 150.0
INIT_GOAL_MIB = 20.0
SCRAPE_CPU_GOAL_MS = 100.0
BYTES_PER_SAMPLE_GOAL = 150
MEMORY_GOAL_MIB = 1.0
MIB = 1024 * 1024
SDK_SPANS_NOTE = (
    "anthropic 2.x makes its own span per call (scope com.anthropic.sdk.python) once a TracerProvider is "
    "set, so the bare rounds after setup include it and the before-setup column does not"
)


def us(seconds: float) -> float:
    return seconds * 1e6


def min_med(values: Sequence[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


@dataclass
class CallRow:
    """One workload under one setup: bare and instrumented CPU per call, from one worker process."""

    workload: str
    setup: str  # display name
    content: bool
    result: dict[str, Any]
    ours: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result.get("status") == "ok"

    def bare_before_setup(self) -> tuple[float, float]:
        return min_med([us(v) for v in self.result["bare_before_setup"]])

    def bare(self) -> tuple[float, float]:
        return min_med([us(v) for v in self.result["bare"]])

    def instrumented(self) -> tuple[float, float]:
        return min_med([us(v) for v in self.result["instrumented"]])

    def added(self) -> tuple[float, float]:
        (bare_min, bare_med), (inst_min, inst_med) = self.bare(), self.instrumented()
        return inst_min - bare_min, inst_med - bare_med


def _pair(values: tuple[float, float], digits: int = 0) -> str:
    return f"{values[0]:,.{digits}f} / {values[1]:,.{digits}f}"


def _verdict(passed: bool | None) -> str:
    return "" if passed is None else ("PASS" if passed else "**FAIL**")


class Notes:
    """Footnotes, numbered in order of first use."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def mark(self, notes: Sequence[str]) -> str:
        marks = []
        for note in notes:
            if note not in self.items:
                self.items.append(note)
            marks.append(f"[{self.items.index(note) + 1}]")
        return " ".join(marks)

    def render(self) -> list[str]:
        return [f"[{i}] {note}" for i, note in enumerate(self.items, 1)]


def best_peer_added(rows: Sequence[CallRow], workload: str) -> tuple[float, str] | None:
    """The smallest median added cost among the peers that ran `workload` with content off."""
    found = [
        (r.added()[1], r.setup)
        for r in rows
        if not r.ours and r.ok and not r.content and r.workload == workload
    ]
    return min(found) if found else None


def call_table(rows: Sequence[CallRow], notes: Notes, content: bool) -> list[str]:
    head = "| call | setup | before setup µs | bare µs | instrumented µs | added µs | added % | spans/call "
    lines = [head + "| goal | result |", "|---|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for workload in TITLES:
        for row in (r for r in rows if r.workload == workload and r.content == content):
            sdk_note = [SDK_SPANS_NOTE] if row.ok and row.result.get("sdk_spans_per_call") else []
            mark = notes.mark([*row.notes, *sdk_note])
            setup = f"{row.setup} {mark}".strip()
            if not row.ok:
                status = row.result.get("status", "no result")
                lines.append(f"| {TITLES[workload]} | {setup} | {status} | | | | | | | |")
                continue
            bare, inst, added = row.bare(), row.instrumented(), row.added()
            share = 100 * added[1] / bare[1]
            goal, passed = "", None
            if row.ours and not content and workload in NON_STREAMING:
                limit = ADDED_SHARE_GOAL * bare[1]
                goal = f"≤ {limit:,.0f} (10 %)"
                passed = added[1] <= limit
                best = best_peer_added(rows, workload)
                if best is not None and best[0] > 0:
                    goal += f", ≤ {best[0] * PEER_FRACTION_GOAL:,.0f} (best peer / 10)"
                    passed = passed and added[1] <= best[0] * PEER_FRACTION_GOAL
            spans = f"{row.result.get('spans_per_call', 0):g}"
            if row.result.get("sdk_spans_per_call"):
                spans += f" + {row.result['sdk_spans_per_call']:g} SDK"
            before = row.bare_before_setup()[1]
            cells = [TITLES[workload], setup, f"{before:,.0f}", _pair(bare), _pair(inst), _pair(added)]
            cells += [f"{share:.1f} %", spans, goal, _verdict(passed)]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


@dataclass
class ChunkRow:
    """One setup's per-chunk estimates, one per fresh process (bench/chunk_pairs.py)."""

    setup: str
    content: bool
    ours: bool
    runs: list[dict[str, Any]]

    def values(self, key: str = "per_chunk_us") -> list[float]:
        return [r[key] for r in self.runs if r.get("status") == "ok" and r.get(key) is not None]


def _spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f} to {max(values):.2f})"


def chunk_table(rows: Sequence[ChunkRow]) -> list[str]:
    head = "| setup | content | added µs per chunk: median of processes (range) | processes | goal | result |"
    lines = [head, "|---|---|---:|---:|---|---|"]
    peers = [statistics.median(r.values()) for r in rows if not r.ours and not r.content and r.values()]
    for row in rows:
        values, content = row.values(), "on" if row.content else "off"
        if not values:
            status = row.runs[0].get("status", "no result") if row.runs else "no result"
            lines.append(f"| {row.setup} | {content} | {status} | 0 | | |")
            continue
        goal, passed = "", None
        if row.ours and not row.content:
            median = statistics.median(values)
            goal = f"≤ {CHUNK_GOAL_US:g}" + (f", < {min(peers):.2f} (best peer)" if peers else "")
            passed = median <= CHUNK_GOAL_US and all(median < peer for peer in peers)
        lines.append(
            f"| {row.setup} | {content} | {_spread(values)} | {len(values)} | {goal} | {_verdict(passed)} |"
        )
    for row in rows:
        control = row.values("control_us")
        if control:
            lines.append(f"| control: pass-through proxy | off | {_spread(control)} | {len(control)} | | |")
    return lines


def setup_table(results: Sequence[tuple[str, bool, list[dict[str, Any]]]], notes: Notes) -> list[str]:
    head = (
        "| setup | time ms | CPU ms | RSS added MiB | RSS added, price catalog loaded, MiB | goal | result |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---|---|"]
    for name, ours, runs in results:
        good = [r for r in runs if r.get("status") == "ok"]
        if not good:
            status = runs[0].get("status", "no result") if runs else "no result"
            lines.append(f"| {name} | {status} | | | | | |")
            continue
        wall = min_med([r["seconds"] * 1000 for r in good])
        cpu = min_med([r["cpu_seconds"] * 1000 for r in good])
        rss = min_med([r["rss_delta"] / MIB for r in good])
        settled = min_med([r.get("rss_settled_delta", r["rss_delta"]) / MIB for r in good])
        goal, passed = "", None
        if ours:
            goal = f"≤ {INIT_GOAL_MS:g} ms, ≤ {INIT_GOAL_MIB:g} MiB"
            passed = wall[1] <= INIT_GOAL_MS and settled[1] <= INIT_GOAL_MIB
        mark = notes.mark([f"{name}: {note}" for note in good[0].get("notes", [])])
        cells = [
            f"{name} {mark}".strip(),
            _pair(wall, 1),
            _pair(cpu, 1),
            _pair(rss, 1),
            _pair(settled, 1),
            goal,
        ]
        lines.append("| " + " | ".join([*cells, _verdict(passed)]) + " |")
    return lines


def scrape_table(result: dict[str, Any]) -> list[str]:
    lines = ["| measurement | min / median | goal | result |", "|---|---:|---|---|"]
    if result.get("status") != "ok":
        return [*lines, f"| scrape | {result.get('status', 'no result')} | | |"]
    size = f"{result['label_sets']} label sets, {result['series']:,} samples, {result['bytes'] / MIB:.1f} MiB"
    cpu = min_med([v * 1000 for v in result["cpu"]])
    lines.append(f"| render from the store, CPU ms ({size}) | {_pair(cpu, 1)} | ≤ {SCRAPE_CPU_GOAL_MS:g} ms |"
                 f" {_verdict(cpu[1] <= SCRAPE_CPU_GOAL_MS)} |")  # fmt: skip
    if result.get("cold_cpu") is not None:
        lines.append(f"| same, first render (nothing cached), CPU ms | {result['cold_cpu'] * 1000:.1f} | | |")
    if result.get("http"):
        http = min_med([v * 1000 for v in result["http"]])
        lines.append(f"| HTTP GET /metrics of `init()`'s server, wall ms | {_pair(http, 1)} | | |")
        http_cpu = min_med([v * 1000 for v in result["http_cpu"]])
        lines.append(f"| same, CPU ms of the whole process | {_pair(http_cpu, 1)} | | |")
    per_sample = result["bytes"] / max(1, result["series"])
    verdict = _verdict(per_sample <= BYTES_PER_SAMPLE_GOAL)
    lines.append(f"| bytes per sample | {per_sample:.0f} | ≤ {BYTES_PER_SAMPLE_GOAL} | {verdict} |")
    for family, (samples, size_bytes) in sorted(result.get("families", {}).items()):
        lines.append(
            f"| bytes per sample, `{family}` family ({samples:,} samples) | {size_bytes / samples:.0f} | | |"
        )
    return lines


def production_table(
    stall: list[dict[str, Any]], restarts: dict[str, Any], store: dict[str, Any]
) -> list[str]:
    lines = ["| measurement | value | goal | result |", "|---|---:|---|---|"]
    for result in stall:
        mode = "multi-process (exporter renders)" if result.get("multiproc") else "one process"
        if result.get("status") != "ok":
            lines.append(f"| p99 of concurrent calls, {mode} | {result.get('status')} | | |")
            continue
        ratio = result["p99_scraped"] / result["p99_quiet"]
        quiet, scraped = result["p99_quiet"] * 1000, result["p99_scraped"] * 1000
        lines.append(
            f"| p99 of 8 threads' calls, {mode}: quiet / scraped every 1 s | {quiet:.1f} / {scraped:.1f} ms "
            f"({ratio:.2f}x) | ≤ 1.25x | {_verdict(ratio <= 1.25)} |"
        )
        if result.get("calls_hammered"):
            kept = result["calls_hammered"] / result["calls_quiet"]
            lines.append(
                f"| calls made with 32 scrapers in a loop, {mode}, share of quiet | {kept:.0%} | ≥ 80 % |"
                f" {_verdict(kept >= 0.8)} |"
            )
    if restarts.get("status") == "ok":
        ratio = restarts["after_500"] / restarts["after_4"]
        lines.append(
            f"| collect + render of a directory after 4 / 500 exited processes, CPU ms | "
            f"{restarts['after_4'] * 1000:.1f} / {restarts['after_500'] * 1000:.1f} ({ratio:.2f}x; "
            f"{restarts['files']} files left) | ≤ 2x | {_verdict(ratio <= 2)} |"
        )
    if store.get("status") == "ok":
        memory, file = min_med([v * 1e6 for v in store["memory"]]), min_med([v * 1e6 for v in store["file"]])
        added = file[1] - memory[1]
        lines.append(f"| one operation into the store, µs, in memory | {_pair(memory, 2)} | | |")
        verdict = _verdict(added <= 5)
        lines.append(
            f"| same, into a multi-process file | {_pair(file, 2)} (+{added:.2f}) | ≤ +5 µs | {verdict} |"
        )
    return lines


def memory_table(result: dict[str, Any]) -> list[str]:
    head = "| path | calls | RSS growth MiB | objects growth | allocated blocks growth | goal | result |"
    lines = [head, "|---|---:|---:|---:|---:|---|---|"]
    if result.get("status") != "ok":
        return [*lines, f"| memory | {result.get('status', 'no result')} | | | | | |"]
    growth = result["rss_growth"] / MIB
    calls = f"{result['checkpoint']:,} → {result['calls']:,}"
    passed = growth <= MEMORY_GOAL_MIB
    cells = [result["path"], calls, f"{growth:.2f}", f"{result['objects_growth']:,}"]
    cells += [f"{result.get('blocks_growth', 0):,}", f"≤ {MEMORY_GOAL_MIB:g} MiB", _verdict(passed)]
    lines.append("| " + " | ".join(cells) + " |")
    steps = result.get("rss_growth_by_calls") or {}
    if steps:
        shown = ", ".join(f"{int(calls):,}: {value / MIB:.2f}" for calls, value in steps.items())
        lines += ["", f"RSS growth since the checkpoint, MiB, by calls made: {shown}."]
    return lines
