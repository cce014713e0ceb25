"""What `init()` costs at start-up: it imports none of the modules that made it slow (issues 5 and 7).

No timings are asserted; the imports are what the time went to: `packaging` and BaseInstrumentor's
semantic-convention machinery (about 60 ms), and the openai resources openai itself loads on first use
(about 100 ms). Those resources are still instrumented when the application first uses them.
"""

from __future__ import annotations

from typing import Any

from sdk_support import clean_env, free_port, last_json, run_python, value

SCENARIO = """
import json, os, sys
import openai, anthropic
import openllmetry
from opentelemetry.semconv_ai import is_patched
from sdk_support import chat, samples, scrape

before = set(sys.modules)
openllmetry.init("startup")
new = set(sys.modules) - before
avoided = ["packaging", "wrapt", "opentelemetry.instrumentation.instrumentor"]
avoided += ["opentelemetry.instrumentation.dependencies", "opentelemetry.instrumentation._semconv"]
chat(os.environ["MOCK_URL"])
result = {
    "heavy": sorted(name for name in new if name.split(".")[0] in avoided or name in avoided),
    "openai_resources": sorted(name for name in new if name.startswith("openai.resources")),
    "otlp_or_logs": sorted(n for n in new if ".otlp" in n or n.startswith("opentelemetry.sdk._logs")),
    "patched": is_patched(openai.resources.chat.completions.Completions.create),
    "anthropic_patched": is_patched(anthropic.resources.messages.Messages.create),
    "samples": samples(scrape()),
}
openllmetry.shutdown()
print(json.dumps(result))
"""


def test_init_imports_nothing_it_does_not_need_and_still_instruments(mock_provider: Any) -> None:
    env = clean_env(
        MOCK_URL=mock_provider.openai_base_url,
        OTEL_EXPORTER_PROMETHEUS_PORT=str(free_port()),
        OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="",
    )
    out = last_json(run_python(SCENARIO, env=env))

    assert out["heavy"] == []
    assert out["openai_resources"] == []
    assert out["otlp_or_logs"] == []
    assert out["patched"] and out["anthropic_patched"]
    assert value(out["samples"], "llm_requests_total", model="gpt-4o-mini", provider="openai") == 1


# Top-level modules of every provider SDK the workspace installs (the app below imports only openai).
PROVIDER_SDKS = ("anthropic", "mistralai", "google.genai", "boto3", "botocore", "aiobotocore", "groq")
PROVIDER_SDKS += ("cohere", "ollama", "litellm", "together")

ONLY_OPENAI = """
import json, sys
import openai  # noqa
import openllmetry
from opentelemetry.semconv_ai import is_patched

openllmetry.init("startup")
sdks = %s
imported = sorted(s for s in sdks if s in sys.modules)
import anthropic  # after init(): instrumented when the application imports it
patched = is_patched(anthropic.resources.messages.Messages.create)
print(json.dumps({"imported": imported, "anthropic_patched": patched}))
openllmetry.shutdown()
"""


def test_init_imports_no_sdk_the_application_has_not() -> None:
    env = clean_env(OTEL_EXPORTER_PROMETHEUS_PORT=str(free_port()), OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="")
    out = last_json(run_python(ONLY_OPENAI % (PROVIDER_SDKS,), env=env))
    assert out == {"imported": [], "anthropic_patched": True}
