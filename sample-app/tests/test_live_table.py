"""The demo's live table: numbers from a /metrics text, percentiles as PromQL computes them."""

from __future__ import annotations

from rich.console import Console

from sample_app.live_table import LiveStats, parse, quantile, render

GPT = 'model="gpt-4o",operation="chat",provider="openai"'
CLAUDE = 'model="claude-haiku-4-5",operation="chat",provider="anthropic"'


def exposition(output_tokens: float = 100.0) -> str:
    """Two workflows of gpt-4o and one claude series, as the exporter writes them."""
    return "\n".join(
        [
            "# TYPE llm_requests_total counter",
            f'llm_requests_total{{{GPT},workflow=""}} 6.0',
            f'llm_requests_total{{{GPT},workflow="ai_assistant"}} 4.0',
            f'llm_requests_total{{{CLAUDE},workflow=""}} 2.0',
            "# TYPE llm_operation_errors_total counter",
            f'llm_operation_errors_total{{{GPT},workflow=""}} 1.0',
            f'llm_operation_errors_total{{{GPT},workflow="ai_assistant"}} 1.0',
            f'llm_operation_errors_total{{{CLAUDE},workflow=""}} 0.0',
            "# TYPE llm_tokens_usage_total counter",
            f'llm_tokens_usage_total{{{GPT},token_type="input",workflow=""}} 300.0',
            f'llm_tokens_usage_total{{{GPT},token_type="output",workflow=""}} {output_tokens}',
            "# TYPE llm_cost_usd_total counter",
            f'llm_cost_usd_total{{{GPT},workflow=""}} 0.0125',
            "# TYPE llm_operation_duration_seconds histogram",
            *(
                f'llm_operation_duration_seconds_bucket{{le="{le}",{GPT},workflow="{workflow}"}} {count}'
                for workflow, counts in (("", (0, 4, 6, 6)), ("ai_assistant", (0, 0, 2, 4)))
                for le, count in zip(("0.16", "0.32", "0.64", "+Inf"), counts, strict=True)
            ),
            f'llm_operation_duration_seconds_sum{{{GPT},workflow=""}} 2.0',
            f'llm_operation_duration_seconds_count{{{GPT},workflow=""}} 6.0',
            "",
        ]
    )


def test_parse_sums_label_sets_by_model() -> None:
    stats = parse(exposition())
    gpt = stats[("openai", "gpt-4o")]
    assert (gpt.requests, gpt.errors, gpt.tokens, gpt.cost) == (10, 2, 400, 0.0125)
    assert dict(gpt.buckets) == {0.16: 0, 0.32: 4, 0.64: 8, float("inf"): 10}
    assert stats[("anthropic", "claude-haiku-4-5")].requests == 2


def test_quantile_follows_histogram_quantile() -> None:
    buckets = {0.16: 0, 0.32: 4, 0.64: 8, float("inf"): 10}
    # Rank 5 of 10 falls in (0.32, 0.64], one of its four observations in: 0.32 + 0.32 * 1/4.
    assert quantile(0.5, buckets) == 0.4
    # Rank 9.5 falls in the +Inf bucket: PromQL answers the highest finite bound.
    assert quantile(0.95, buckets) == 0.64
    assert quantile(0.2, buckets) == 0.16 + 0.16 * 2 / 4
    assert quantile(0.5, {float("inf"): 0}) is None
    assert quantile(0.5, {}) is None


def test_rows_give_tokens_per_second_over_the_window() -> None:
    stats = LiveStats(start=100.0, window=2.0)
    rows = stats.rows(parse(exposition()), now=104.0)
    gpt = next(row for row in rows if row.model == "gpt-4o")
    assert (gpt.requests, gpt.error_rate, gpt.tokens_per_second) == (10, 0.2, 100.0)
    assert (gpt.p50, gpt.p95) == (0.4, 0.64)
    gpt = next(row for row in stats.rows(parse(exposition(140.0)), now=106.0) if row.model == "gpt-4o")
    assert gpt.tokens_per_second == 20.0 and stats.window == 2.0


def test_a_quiet_refresh_still_shows_the_window_s_tokens() -> None:
    stats = LiveStats(start=100.0, window=15.0)
    stats.rows(parse(exposition()), now=103.0)
    stats.rows(parse(exposition(140.0)), now=106.0)
    gpt = next(row for row in stats.rows(parse(exposition(140.0)), now=109.0) if row.model == "gpt-4o")
    assert gpt.tokens_per_second == 440.0 / 9 and stats.window == 9.0  # no call since 106: not 0
    gpt = next(row for row in stats.rows(parse(exposition(140.0)), now=118.5) if row.model == "gpt-4o")
    assert stats.window == 15.5 and gpt.tokens_per_second == 40.0 / 15.5  # from the 103 snapshot on


def test_render_shows_every_model_and_a_total() -> None:
    console = Console(width=120, record=True)
    console.print(render(LiveStats(0.0).rows(parse(exposition()), now=10.0), "title"))
    text = console.export_text()
    assert "gpt-4o" in text and "claude-haiku-4-5" in text
    assert "20.0%" in text and "$0.0125" in text and "400 ms" in text and "640 ms" in text
    assert "all" in text and "12" in text and "16.7%" in text
