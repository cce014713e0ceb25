"""The core's store, its files and the exposition rendered from them."""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from opentelemetry.semconv_ai.exposition import Renderer
from opentelemetry.semconv_ai.store import Store, member_name
from opentelemetry.semconv_ai.store_files import ARCHIVE, DirectoryCollector

LLM = ("openai", "chat", "gpt-4o", "")
GENAI = ("chat", "openai", "gpt-4o", "gpt-4o-2024", "api.openai.com", 443)


def record(store: Store, llm: tuple[str, ...] = LLM, error: str = "") -> None:
    store.operation(llm, GENAI, error, 0.3, 10, 20, 2, None, 1, 0.05, 0.01)  # type: ignore[arg-type]
    store.cost(llm, 0.002)  # type: ignore[arg-type]


def parse(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in found, key
            found[key] = sample.value
    return found


def value(found: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    return sum(v for (n, pairs), v in found.items() if n == name and labels.items() <= dict(pairs).items())


def test_exposition_of_one_operation() -> None:
    store = Store()
    record(store)
    record(store, error="RateLimitError")
    found = parse(Renderer().render(store.entries()))
    assert value(found, "llm_requests_total") == 2
    assert value(found, "llm_operation_errors_total") == 1
    assert value(found, "llm_tokens_usage_total", token_type="input") == 20
    assert value(found, "llm_tokens_details_total", token_type="reasoning") == 2
    assert value(found, "llm_operation_duration_seconds_bucket", le="0.32") == 2
    assert value(found, "llm_operation_duration_seconds_bucket", le="0.16") == 0
    assert value(found, "llm_operation_duration_seconds_count") == 2
    assert value(found, "llm_token_cost_per_request_count") == 2
    assert value(found, "gen_ai_client_operation_duration_seconds_count", error_type="") == 1
    assert value(found, "gen_ai_client_operation_duration_seconds_count", error_type="RateLimitError") == 1
    assert value(found, "gen_ai_client_token_usage_sum", gen_ai_token_type="output") == 40
    assert not any(name.startswith("llm_unpriced") for name, _ in found)  # never touched: absent


def test_hostile_label_values_never_break_the_exposition() -> None:
    store = Store()
    for model in ("gpt-4o-\ud800", 'a"b\\c\nd', "x" * 100_000, "é🙂", ""):
        record(store, ("openai", "chat", model, "w"))
    body = Renderer().render(store.entries())
    body.decode("utf-8")  # strict: valid UTF-8
    found = parse(body)
    assert value(found, "llm_requests_total") == 5
    models = {dict(pairs)["model"] for name, pairs in found if name == "llm_requests_total"}
    assert 'a"b\\c\nd' in models and "gpt-4o-\ufffd" in models and "x" * 1024 in models


def test_processes_alive_and_dead_add_up_and_dead_files_are_folded(tmp_path: Path) -> None:
    directory = str(tmp_path)
    alive = Store(os.path.join(directory, member_name()))
    record(alive)
    dead = []
    for _ in range(5):
        store = Store(os.path.join(directory, member_name()))
        record(store)
        record(store, ("anthropic", "chat", "claude", ""))
        store.close()  # as if the process had exited
        dead.append(store)
    collector = DirectoryCollector(directory)
    found = parse(Renderer().render(collector.collect()))
    assert value(found, "llm_requests_total") == 11
    assert collector.live == 1
    members = [name for name in os.listdir(directory) if name.endswith(".db")]
    assert len(members) == 1 and ARCHIVE in os.listdir(directory)
    record(alive)
    for _ in range(3):  # folding again adds nothing twice
        found = parse(Renderer().render(collector.collect()))
    assert value(found, "llm_requests_total") == 12
    assert value(found, "gen_ai_client_operation_duration_seconds_count") == 12


def test_a_crash_between_archive_and_unlink_counts_nothing_twice(tmp_path: Path) -> None:
    directory = str(tmp_path)
    store = Store(os.path.join(directory, member_name()))
    record(store)
    store.close()
    kept = Path(store.path).read_bytes()  # type: ignore[arg-type]
    DirectoryCollector(directory).collect()
    Path(store.path).write_bytes(kept)  # type: ignore[arg-type]  # the unlink "never happened"
    found = parse(Renderer().render(DirectoryCollector(directory).collect()))
    assert value(found, "llm_requests_total") == 1
    assert not [name for name in os.listdir(directory) if name.endswith(".db")]


def test_a_forked_child_records_into_a_file_of_its_own(tmp_path: Path) -> None:
    directory = str(tmp_path)
    store = Store(os.path.join(directory, member_name()))
    record(store)
    pid = os.fork()
    if pid == 0:  # the child
        try:
            record(store)
            record(store)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    collector = DirectoryCollector(directory)
    found = parse(Renderer().render(collector.collect()))
    assert value(found, "llm_requests_total") == 3
    assert collector.live == 1  # the child is gone; the parent still holds its file
    store.close()


def test_rejections_and_every_overflow_reach_the_store() -> None:
    """What init()'s /metrics serves (the store, the SDK not fed) counts rejections and overflows too."""
    from opentelemetry.semconv_ai import Request, Telemetry
    from opentelemetry.semconv_ai.labels import VALUE_LIMITS
    from opentelemetry.semconv_ai.testing import Capture

    capture = Capture()
    telemetry = Telemetry("t", capture.tracer_provider, capture.meter_provider)
    metrics = telemetry.metrics
    metrics.store, metrics.feed_sdk = Store(), False
    try:
        op = telemetry.start("chat", Request("gpt-4o", "openai"))
        op.set_usage(input_tokens=10**12, output_tokens=1)
        op.end()
        labels = metrics.llm_labels("openai", "chat", "gpt-4o", "")
        metrics.record_cost(labels, float("inf"))
        for i in range(VALUE_LIMITS["evaluator"] + 1):
            metrics.record_quality(labels, f"evaluator-{i}", 0.5)
        for i in range(VALUE_LIMITS["server"]):  # with the first call's (no server), one too many
            telemetry.start(
                "chat", Request("gpt-4o", "openai", server_address=f"h{i}.example", server_port=443)
            ).end()
        found = parse(Renderer().render(metrics.store.entries()))
    finally:
        capture.shutdown()
    assert value(found, "llm_usage_rejected_total", kind="tokens", model="gpt-4o") == 1
    assert value(found, "llm_usage_rejected_total", kind="cost", model="gpt-4o") == 1
    assert value(found, "llm_label_overflow_total", model="gpt-4o") == 2  # one evaluator, one server
    assert not capture.metrics().get("llm.usage.rejected")  # the SDK is not fed
