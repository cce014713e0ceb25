"""Which instrumentors init() switches on: the GenAI convention, instruments, block lists, the env var."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint, PathDistribution
from pathlib import Path

import pytest

from openllmetry import discovery


def distribution(tmp_path: Path, *requires: str) -> PathDistribution:
    info = tmp_path / "thing-1.0.dist-info"
    info.mkdir()
    lines = [
        "Metadata-Version: 2.1",
        "Name: thing",
        "Version: 1.0",
        *(f"Requires-Dist: {r}" for r in requires),
    ]
    (info / "METADATA").write_text("\n".join(lines) + "\n")
    return PathDistribution(info)


@pytest.mark.parametrize(
    ("requires", "expected"),
    [
        (["opentelemetry-semantic-conventions-ai"], True),
        (["requests", "opentelemetry-semantic-conventions-ai>=0.1"], True),
        (["Opentelemetry_Semantic.Conventions_AI ; python_version >= '3.8'"], True),
        (["opentelemetry-semantic-conventions-ai ; extra == 'genai'"], False),
        (["opentelemetry-semantic-conventions"], False),
        (["opentelemetry-instrumentation", "requests"], False),
        ([], False),
    ],
)
def test_a_distribution_is_genai_when_it_requires_the_core(
    tmp_path: Path, requires: list[str], expected: bool
) -> None:
    assert discovery.is_genai(distribution(tmp_path, *requires)) is expected


def test_no_distribution_is_not_genai() -> None:
    assert discovery.is_genai(None) is False


def selected(*args: object, **kwargs: object) -> list[str]:
    return sorted(ep.name for ep in discovery.select(*args, **kwargs))  # type: ignore[arg-type]


def test_default_selection_is_the_installed_genai_instrumentors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(discovery.DISABLED_ENV, raising=False)
    chosen = discovery.select()
    assert {"openai", "anthropic"} <= {ep.name for ep in chosen}
    assert all(discovery.is_genai(ep.dist) for ep in chosen)


def test_instruments_block_and_the_environment(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(discovery.DISABLED_ENV, raising=False)
    assert selected(instruments=["openai"]) == ["openai"]
    assert selected(instruments="openai, anthropic") == ["anthropic", "openai"]
    assert "openai" not in selected(block_instruments=["openai"])
    assert selected(instruments=["openai"], block_instruments=["openai"]) == []

    monkeypatch.setenv(discovery.DISABLED_ENV, "anthropic , something-else")
    assert "anthropic" not in selected()
    assert selected(instruments=["anthropic", "openai"]) == ["openai"]
    monkeypatch.setenv(discovery.DISABLED_ENV, "*")
    assert selected() == []

    monkeypatch.delenv(discovery.DISABLED_ENV)
    with caplog.at_level(logging.WARNING, logger="openllmetry"):
        assert selected(instruments=["openai", "no-such-instrumentor"]) == ["openai"]
    [record] = caplog.records
    assert "no-such-instrumentor" in record.getMessage()


def test_an_instrumentor_that_fails_to_import_is_skipped_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = EntryPoint("broken", "openllmetry_no_such_module:Instrumentor", discovery.GROUP)
    with caplog.at_level(logging.DEBUG, logger="openllmetry"):
        assert discovery.instrument([broken]) == []
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "broken" in warnings[0].getMessage() and "openllmetry_no_such_module" in warnings[0].getMessage()


def test_an_object_that_is_no_instrumentor_is_skipped_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    not_an_instrumentor = EntryPoint("odd", "collections:OrderedDict", discovery.GROUP)
    with caplog.at_level(logging.WARNING, logger="openllmetry"):
        assert discovery.instrument([not_an_instrumentor]) == []
    assert len(caplog.records) == 1
