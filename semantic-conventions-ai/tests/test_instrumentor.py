"""`GenAIInstrumentor` and its dependency check: BaseInstrumentor's behaviour, without its import cost."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Collection
from importlib.metadata import Distribution, version
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet

from opentelemetry.instrumentation import dependencies as upstream
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
from opentelemetry.semconv_ai import dependencies
from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor

API = version("opentelemetry-api")


class Acme(GenAIInstrumentor):
    requirements: tuple[str, ...] = ("opentelemetry-api >= 1.0",)

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = getattr(self, "calls", [])

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.requirements

    def _instrument(self, **kwargs: Any) -> None:
        self.calls.append(("instrument", kwargs))

    def _uninstrument(self, **kwargs: Any) -> None:
        self.calls.append(("uninstrument", kwargs))


class TooNew(Acme):
    requirements = ("opentelemetry-api >= 99",)


@pytest.fixture(autouse=True)
def _fresh_instances() -> Any:
    yield
    Acme._instance = TooNew._instance = None


def test_one_instance_per_class() -> None:
    assert Acme() is Acme()
    assert TooNew() is not Acme() and type(TooNew()) is TooNew


def test_instrument_and_uninstrument_act_once(caplog: pytest.LogCaptureFixture) -> None:
    acme = Acme()
    acme.instrument(tracer_provider="tp")
    acme.instrument()
    assert acme.is_instrumented_by_opentelemetry
    acme.uninstrument()
    acme.uninstrument()

    assert acme.calls == [("instrument", {"tracer_provider": "tp"}), ("uninstrument", {})]
    assert not acme.is_instrumented_by_opentelemetry
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "Attempting to instrument while already instrumented",
        "Attempting to uninstrument while already uninstrumented",
    ]


def test_a_conflict_is_logged_and_nothing_is_instrumented(caplog: pytest.LogCaptureFixture) -> None:
    too_new = TooNew()
    too_new.instrument()

    assert too_new.calls == [] and not too_new.is_instrumented_by_opentelemetry
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    if not hasattr(upstream.DependencyConflict, "_format_message"):  # older opentelemetry-instrumentation
        assert record.getMessage() == str(upstream.get_dependency_conflicts(["opentelemetry-api >= 99"]))
        return
    assert record.getMessage() == (
        f'TooNew only instruments "opentelemetry-api >= 99", but currently installed version '
        f'("opentelemetry-api {API}") falls outside of that range, so nothing can be instrumented.'
    )


def test_a_conflict_raises_when_asked_and_is_skipped_when_told() -> None:
    error = getattr(upstream, "DependencyConflictError", None)
    if error is None:  # older opentelemetry-instrumentation: nothing to raise, the conflict is logged
        assert TooNew().instrument(raise_exception_on_conflict=True) is None
    else:
        with pytest.raises(error):
            TooNew().instrument(raise_exception_on_conflict=True)
    TooNew().instrument(skip_dep_check=True)
    assert TooNew().calls == [("instrument", {})]


def test_is_a_base_instrumentor_for_code_that_checks() -> None:
    assert isinstance(Acme(), BaseInstrumentor) and issubclass(TooNew, BaseInstrumentor)


CHEAP = """
import sys
from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor
from opentelemetry.semconv_ai.dependencies import conflict
assert conflict(["opentelemetry-api >= 1.0, < 99"]) is None
# Older opentelemetry-api releases import `deprecated`, and with it wrapt, on their own.
heavy = ("packaging", "opentelemetry.instrumentation.instrumentor")
heavy += () if "deprecated" in sys.modules else ("wrapt",)
assert not [m for m in heavy if m in sys.modules], sys.modules.keys()
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
assert issubclass(GenAIInstrumentor, BaseInstrumentor)
"""


def test_needs_neither_packaging_nor_base_instrumentor_and_registers_when_it_loads() -> None:
    done = subprocess.run([sys.executable, "-c", CHEAP], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "requirements",
    [
        ["opentelemetry-api >= 1.0, < 99"],
        ["opentelemetry-api<99,>=1.0"],
        ["opentelemetry_api ~= 1.0"],
        [f"opentelemetry-api == {API}"],
        ["opentelemetry-api >= 99"],
        ["opentelemetry-api < 1"],
        ["opentelemetry-api != " + API],
        ["no-such-distribution-here >= 1"],
        ["opentelemetry-api >= 1.0", "no-such-distribution-here"],
        ["opentelemetry-api == 1.*"],  # not a plain requirement: upstream decides
        ["opentelemetry-api >= 1.0; python_version > '3'"],
        ["not a requirement !!"],
    ],
)
def test_conflicts_are_the_ones_opentelemetry_instrumentation_finds(requirements: list[str]) -> None:
    ours, theirs = dependencies.conflict(requirements), upstream.get_dependency_conflicts(requirements)
    assert _described(ours) == _described(theirs)


def _described(conflict: object) -> str | None:
    if not conflict:
        return None
    describe = getattr(conflict, "_format_message", None)  # absent in older opentelemetry-instrumentation
    return describe("X") if callable(describe) else str(conflict)


class Metadata(Distribution):
    def __init__(self, *requires: str) -> None:
        self.text = "Metadata-Version: 2.1\nName: acme\nVersion: 1.0\n"
        self.text += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)

    def read_text(self, filename: str) -> str | None:
        return self.text if filename == "METADATA" else None

    def locate_file(self, path: Any) -> Any:
        return path


@pytest.mark.parametrize(
    "requires",
    [
        ("opentelemetry-api", "opentelemetry-api<99,>=1.0; extra == 'instruments'"),
        ('opentelemetry-api>=99; extra == "instruments"',),
        ("no-such-distribution-here>=1; extra == 'instruments'",),
        ("opentelemetry-api>=99; extra == 'otlp'",),
        (
            "no-such-distribution-here; extra == 'instruments-any'",
            "opentelemetry-api; extra == 'instruments-any'",
        ),
    ],
)
def test_dist_conflicts_are_the_ones_opentelemetry_instrument_finds(requires: tuple[str, ...]) -> None:
    dist = Metadata(*requires)
    ours, theirs = dependencies.dist_conflict(dist), upstream.get_dist_dependency_conflicts(dist)
    assert bool(ours) == bool(theirs)
    assert (ours and (ours.required, ours.found)) == (
        theirs and (str(theirs.required).split(";")[0], theirs.found)
    )


releases = st.lists(st.integers(0, 12), min_size=1, max_size=4).map(lambda parts: ".".join(map(str, parts)))


@given(
    installed=releases, operator=st.sampled_from(["==", "!=", "<=", ">=", "<", ">", "~="]), wanted=releases
)
def test_release_comparison_agrees_with_packaging(installed: str, operator: str, wanted: str) -> None:
    if operator == "~=" and "." not in wanted:
        return  # not a valid specifier
    expected = SpecifierSet(f"{operator}{wanted}").contains(installed)
    assert (
        dependencies._satisfies(dependencies._release(installed), operator, dependencies._release(wanted))
        is expected
    )
