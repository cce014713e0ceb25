"""The package's surface, and that importing it stays cheap."""

from __future__ import annotations

from sdk_support import last_json, run_python

import openllmetry
from openllmetry import evaluators


def test_public_names() -> None:
    for name in ("init", "shutdown", "workflow", "task", "agent", "tool", "record_quality"):
        assert name in openllmetry.__all__
        assert callable(getattr(openllmetry, name))
    assert openllmetry.record_quality is evaluators.record_quality
    assert openllmetry.init.__module__ == "openllmetry.init"


def test_import_loads_no_sdk_exporter_or_provider_sdk() -> None:
    heavy = ["opentelemetry.sdk", "prometheus_client", "openai", "anthropic", "genai_prices", "packaging"]
    code = f"import json, sys, openllmetry; print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    assert last_json(run_python(code)) == []
