"""Every sample app runs as it is (its `main()`, against the mock) and records exactly its calls.

Token counts follow the mock provider's rule: one token per whitespace-separated word.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sample_app import anthropic_cache, assistant, fanout, gemini_chat, open_models, retrieval, tools
from sample_app.prometheus_server import free_port

SAMPLES = (
    "assistant",
    "streaming",
    "tools",
    "fanout",
    "anthropic_cache",
    "retrieval",
    "gemini_chat",
    "open_models",
)
SAMPLES += ("cohere_rerank", "ollama_local")
SERIES = re.compile(r"^\s+(\w+)\{(.*)\} (\S+)$")


def words(text: str) -> int:
    return len(text.split())


def reply(prompt: str) -> int:
    return words("Mock reply: " + prompt)


def mock_env() -> dict[str, str]:
    env = {**os.environ, "SAMPLE_APP_MOCK": "1", "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1"}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    return env


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each sample's printed output; all run side by side, each in its own process."""
    outdir = tmp_path_factory.mktemp("samples")
    specs = [f"{name}={free_port()}" for name in SAMPLES]
    runner = Path(__file__).with_name("sample_runner.py")
    result = subprocess.run(
        [sys.executable, str(runner), str(outdir), *specs], env=mock_env(), timeout=120, capture_output=True
    )
    texts = {name: (outdir / f"{name}.out").read_text() for name in SAMPLES}
    assert result.returncode == 0, texts
    return texts


def recorded(output: str) -> dict[tuple[str, ...], float]:
    """(series, model, workflow, token_type) -> value, from the lines a sample prints."""
    values = {}
    for line in output.splitlines():
        match = SERIES.match(line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2)))
            key = (match.group(1), labels["model"], labels["workflow"], labels.get("token_type", ""))
            values[key] = float(match.group(3))
    return values


def chat(
    model: str, workflow: str, requests: int, tokens_in: int, tokens_out: int
) -> dict[tuple[str, ...], float]:
    return {
        ("llm_requests_total", model, workflow, ""): requests,
        ("llm_operation_errors_total", model, workflow, ""): 0,
        ("llm_tokens_usage_total", model, workflow, "input"): tokens_in,
        ("llm_tokens_usage_total", model, workflow, "output"): tokens_out,
    }


def without_cost(values: dict[tuple[str, ...], float]) -> dict[tuple[str, ...], float]:
    return {key: value for key, value in values.items() if key[0] != "llm_cost_usd_total"}


def test_assistant(outputs: dict[str, str]) -> None:
    question = "How do I read a p95 latency panel?"
    assert f"Mock reply: {question}" in outputs["assistant"]
    expected = chat(
        "gpt-4o-mini", "ai_assistant", 1, words(assistant.SYSTEM) + words(question), reply(question)
    )
    values = recorded(outputs["assistant"])
    assert without_cost(values) == expected
    assert values[("llm_cost_usd_total", "gpt-4o-mini", "ai_assistant", "")] > 0


def test_streaming(outputs: dict[str, str]) -> None:
    prompt = "Explain time to first token in one paragraph."
    assert f"openai: Mock reply: {prompt}" in outputs["streaming"]
    assert f"anthropic: Mock reply: {prompt}" in outputs["streaming"]
    expected = chat("gpt-4.1-nano", "", 1, words(prompt), reply(prompt))
    expected |= chat("claude-haiku-4-5", "", 1, words(prompt), reply(prompt))
    assert without_cost(recorded(outputs["streaming"])) == expected


def test_tools(outputs: dict[str, str]) -> None:
    question = "Is the checkout service healthy?"
    assert f"Mock reply: {question}" in outputs["tools"]
    # First call: the question in, the tool call's arguments out. Second: question and tool result in.
    tool_result = tools.search_runbooks(question)
    assert tool_result == tools.RUNBOOKS["checkout"]
    tokens_in = words(question) + words(question) + words(tool_result)
    tokens_out = words(json.dumps({"query": question})) + reply(question)
    assert without_cost(recorded(outputs["tools"])) == chat(
        "gpt-4o", "incident_helper", 2, tokens_in, tokens_out
    )


def test_fanout(outputs: dict[str, str]) -> None:
    prompts = [f"Summarize this ticket in five words: {ticket}" for ticket in fanout.TICKETS]
    tokens_in = sum(words(p) for p in prompts)
    tokens_out = sum(min(reply(p), 20) for p in prompts)  # max_tokens=20 cuts the mock's reply
    expected = chat("gpt-4o-mini", "batch_summaries", len(prompts), tokens_in, tokens_out)
    assert without_cost(recorded(outputs["fanout"])) == expected


def test_anthropic_cache(outputs: dict[str, str]) -> None:
    questions = ("Where do I see refund errors?", "Why is checkout slow?")
    policy = words(anthropic_cache.POLICY)
    output = outputs["anthropic_cache"]
    assert f"cache_write={policy} cache_read=0" in output
    assert f"cache_write=0 cache_read={policy}" in output
    # Input counts all input, the cached part included, on both calls.
    tokens_in = sum(policy + words(q) for q in questions)
    expected = chat("claude-sonnet-4-5", "support_policy", 2, tokens_in, sum(reply(q) for q in questions))
    assert without_cost(recorded(output)) == expected


def test_retrieval(outputs: dict[str, str]) -> None:
    question = "What should I do when the indexer queue grows?"
    values = without_cost(recorded(outputs["retrieval"]))
    assert values[("llm_requests_total", "text-embedding-3-small", "rag_answer", "")] == 2
    embedded = words(" ".join(retrieval.DOCUMENTS)) + words(question)
    assert values[("llm_tokens_usage_total", "text-embedding-3-small", "rag_answer", "input")] == embedded
    assert values[("llm_requests_total", "gpt-4o-mini", "rag_answer", "")] == 1
    assert values[("llm_tokens_usage_total", "gpt-4o-mini", "rag_answer", "output")] == reply(question)


def test_gemini_chat(outputs: dict[str, str]) -> None:
    question = "Is the checkout service healthy?"
    output = outputs["gemini_chat"]
    assert f"Mock reply: {question}\nMock reply: {gemini_chat.FOLLOW_UP}" in output
    system = words(gemini_chat.SYSTEM)
    # Automatic function calling: the SDK's two model calls (function call, then the answer with the
    # function's result, which the mock does not count), then the streamed follow-up with the history.
    tokens_in = (
        2 * (system + words(question))
        + system
        + words(question)
        + reply(question)
        + words(gemini_chat.FOLLOW_UP)
    )
    tokens_out = words(json.dumps({"query": question})) + reply(question) + reply(gemini_chat.FOLLOW_UP)
    assert without_cost(recorded(output)) == chat(
        "gemini-2.5-flash", "gemini_helper", 3, tokens_in, tokens_out
    )


def test_open_models(outputs: dict[str, str]) -> None:
    """Mistral and Groq streams, a Together call: the same tokens as without streaming, and a cost."""
    question = "Which open model should we use for ticket triage?"
    for provider in ("mistral", "groq", "together"):
        assert f"{provider}: Mock reply: {question}" in outputs["open_models"]
    values = recorded(outputs["open_models"])
    expected = {}
    for model in open_models.MODELS:
        expected |= chat(model, "", 1, words(question), reply(question))
        assert values[("llm_cost_usd_total", model, "", "")] > 0
    assert without_cost(values) == expected


def test_cohere_rerank(outputs: dict[str, str]) -> None:
    question = "What should I do when the indexer queue grows?"
    context = (
        "Answer from this runbook: " + retrieval.DOCUMENTS[0]
    )  # the mock ranks the indexer runbook first
    values = without_cost(recorded(outputs["cohere_rerank"]))
    expected = chat("command-r", "cohere_rag", 1, words(context) + words(question), reply(question))
    expected[("llm_requests_total", "embed-v4.0", "cohere_rag", "")] = 1
    expected[("llm_operation_errors_total", "embed-v4.0", "cohere_rag", "")] = 0
    expected[("llm_tokens_usage_total", "embed-v4.0", "cohere_rag", "input")] = words(
        " ".join(retrieval.DOCUMENTS)
    )
    # Rerank bills search units: counted as a request, never as tokens.
    expected[("llm_requests_total", "rerank-v3.5", "cohere_rag", "")] = 1
    expected[("llm_operation_errors_total", "rerank-v3.5", "cohere_rag", "")] = 0
    assert values == expected


def test_ollama_local(outputs: dict[str, str]) -> None:
    ticket = "Checkout returns 502 for some users since noon."
    output = outputs["ollama_local"]
    assert f"Mock reply: {ticket} [Mock reply: One]" in output
    prompt = f"One word for this ticket: {ticket}"

    def series(operation: str, token_type: str) -> str:
        labels = (
            f'operation="{operation}",provider="ollama",token_type="{token_type}",workflow="local_triage"'
        )
        return f'llm_tokens_usage_total{{model="llama3.2",{labels}}}'

    expected = {  # a streamed chat and a generate cut at 3 words; a local model has no cost
        series("chat", "input"): words(ticket),
        series("chat", "output"): reply(ticket),
        series("text_completion", "input"): words(prompt),
        series("text_completion", "output"): 3,
    }
    lines = dict(line.strip().rsplit(" ", 1) for line in output.splitlines() if line.startswith("  llm_"))
    assert {key: float(lines[key]) for key in expected} == expected
    assert not any(key.startswith("llm_cost_usd_total") for key in lines)


def test_zero_code_under_opentelemetry_instrument() -> None:
    """No openllmetry import: the launcher loads the instrumentors and serves /metrics."""
    port = free_port()
    env = mock_env() | {
        "OTEL_METRICS_EXPORTER": "prometheus",
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_SERVICE_NAME": "zero-code",
        "OTEL_EXPORTER_PROMETHEUS_PORT": str(port),
    }
    launcher = Path(sys.executable).with_name("opentelemetry-instrument")
    script = Path(__file__).parents[1] / "src" / "sample_app" / "zero_code.py"
    assert not re.search(r"^(import|from) openllmetry", script.read_text(), re.MULTILINE)
    process = subprocess.Popen(
        [str(launcher), sys.executable, str(script), "--linger", "60", "What", "is", "OpenTelemetry?"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "Mock reply: What is OpenTelemetry?"
        deadline = time.monotonic() + 20
        text = ""
        while "llm_requests_total{" not in text and time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                text = response.read().decode()
            time.sleep(0.1)
        lines = [line for line in text.splitlines() if line.startswith("llm_")]
        requests = [line for line in lines if line.startswith("llm_requests_total{")]
        assert len(requests) == 1 and requests[0].endswith(" 1.0"), lines
        assert 'model="gpt-4o-mini"' in requests[0] and 'workflow=""' in requests[0]
        assert any('token_type="input"' in line and line.endswith(" 3.0") for line in lines), lines
    finally:
        process.kill()
        process.wait(10)
