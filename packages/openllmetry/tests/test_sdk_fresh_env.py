"""A fresh virtual environment with openllmetry, the OpenAI instrumentation only, and three third-party
instrumentors written here: a GenAI one that follows the convention (it depends on the core), an
unrelated one, and a GenAI one whose import fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sdk_support import HOST, REPO, clean_env, free_port, last_json, run_python, value

INSTRUMENTOR = """
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

class {name}(BaseInstrumentor):
    def instrumentation_dependencies(self):
        return ()

    def _instrument(self, **kwargs):
        pass

    def _uninstrument(self, **kwargs):
        pass
"""
DUMMIES = {
    # distribution: (module, entry-point name, dependencies, module source)
    "acme-genai-instrumentation": (
        "acme_instr", "acme", ["opentelemetry-semantic-conventions-ai"],
        INSTRUMENTOR.format(name="AcmeInstrumentor"),
    ),
    "plainlib-instrumentation": (
        "plain_instr", "plainlib", [], INSTRUMENTOR.format(name="PlainInstrumentor")
    ),
    "broken-genai-instrumentation": (
        "broken_instr", "brokenai", ["opentelemetry-semantic-conventions-ai"], "raise ImportError('boom')\n"
    ),
}  # fmt: skip
ENTRY_CLASSES = {
    "acme_instr": "AcmeInstrumentor",
    "plain_instr": "PlainInstrumentor",
    "broken_instr": "Anything",
}


def write_dummy(root: Path, dist: str, module: str, entry: str, deps: list[str], source: str) -> Path:
    folder = root / dist
    (folder / module).mkdir(parents=True)
    (folder / module / "__init__.py").write_text(source)
    requirements = ", ".join(f'"{dep}"' for dep in ["opentelemetry-instrumentation", *deps])
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [project]
            name = "{dist}"
            version = "0.0.1"
            dependencies = [{requirements}]

            [project.entry-points.opentelemetry_instrumentor]
            {entry} = "{module}:{ENTRY_CLASSES[module]}"

            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [tool.hatch.build.targets.wheel]
            packages = ["{module}"]
            """
        )
    )
    return folder


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    root = tmp_path_factory.mktemp("fresh")
    dummies = [write_dummy(root, dist, *spec) for dist, spec in DUMMIES.items()]
    venv = root / "venv"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    packages = [
        str(REPO / "semantic-conventions-ai"),
        f"{REPO / 'packages' / 'openllmetry'}[otlp]",
        str(REPO / "packages" / "opentelemetry-instrumentation-openai"),
        "openai",
        *map(str, dummies),
    ]
    install = [uv, "pip", "install", "-q", "--python", python, *packages]
    # The uv cache usually has everything; go online only when it does not.
    if subprocess.run([*install[:3], "--offline", *install[3:]], capture_output=True, timeout=300).returncode:
        proc = subprocess.run(install, capture_output=True, text=True, timeout=600)
        if proc.returncode:
            pytest.skip(f"cannot build the fresh environment: {proc.stderr[-2000:]}")
    return python


class _Collector(BaseHTTPRequestHandler):
    paths: list[str]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def otlp_collector() -> Iterator[tuple[str, list[str]]]:
    paths: list[str] = []
    handler = type("Handler", (_Collector,), {"paths": paths})
    server = ThreadingHTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{server.server_address[1]}", paths
    server.shutdown()
    server.server_close()


SCENARIO = """
import json, logging, os, sys
warnings = []
class Keep(logging.Handler):
    def emit(self, record):
        warnings.append(record.getMessage())
logging.getLogger().addHandler(Keep(logging.WARNING))
import openai
import openllmetry
from acme_instr import AcmeInstrumentor
from plain_instr import PlainInstrumentor
from opentelemetry.semconv_ai import is_patched
from sdk_support import chat, samples, scrape

openllmetry.init("fresh", {arguments})
chat(os.environ["MOCK_URL"])
found = samples(scrape())
result = {{
    "acme": AcmeInstrumentor().is_instrumented_by_opentelemetry,
    "plain": PlainInstrumentor().is_instrumented_by_opentelemetry,
    "openai": is_patched(openai.resources.chat.completions.Completions.create),
    "anthropic": sorted(m for m in sys.modules if "anthropic" in m),
    "samples": found,
}}
openllmetry.shutdown()
result["warnings"] = warnings
print(json.dumps(result))
"""


def run_fresh(python: str, mock_provider: Any, arguments: str = "", **env: str) -> Any:
    proc = run_python(
        SCENARIO.format(arguments=arguments),
        python=python,
        env=clean_env(
            MOCK_URL=mock_provider.openai_base_url,
            OTEL_EXPORTER_PROMETHEUS_PORT=str(free_port()),
            OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="",
            **env,
        ),
    )
    return last_json(proc)


def test_fresh_env_instruments_openai_and_the_conventional_third_party_only(
    fresh_python: str, mock_provider: Any, otlp_collector: tuple[str, list[str]]
) -> None:
    endpoint, paths = otlp_collector
    out = run_fresh(fresh_python, mock_provider, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)

    assert (out["acme"], out["plain"], out["openai"]) == (True, False, True)
    assert out["anthropic"] == []
    assert value(out["samples"], "llm_requests_total", model="gpt-4o-mini", provider="openai") == 1
    [warning] = out["warnings"]
    assert "brokenai" in warning and "broken_instr" in warning
    # OTLP (the optional extra is installed here): shutdown() flushed spans and metrics to the collector.
    assert "/v1/traces" in paths and "/v1/metrics" in paths


def test_fresh_env_instruments_exactly_what_is_named(fresh_python: str, mock_provider: Any) -> None:
    out = run_fresh(fresh_python, mock_provider, 'instruments=["plainlib"]')

    assert (out["acme"], out["plain"], out["openai"]) == (False, True, False)
    assert value(out["samples"], "llm_requests_total") == 0
    assert out["warnings"] == []


EXIT_SCENARIO = """
import json, os, time
from sdk_support import chat
{setup}
chat(os.environ["MOCK_URL"])
print(json.dumps({{"traces": os.environ.get("OTEL_TRACES_EXPORTER"), "end": time.monotonic()}}))
"""


def timed_exit(
    fresh_python: str, mock_provider: Any, command: list[str], setup: str, **env: str
) -> tuple[Any, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [*command, "-c", EXIT_SCENARIO.format(setup=setup)],
        env=clean_env(
            MOCK_URL=mock_provider.openai_base_url,
            OTEL_EXPORTER_PROMETHEUS_PORT=str(free_port()),
            OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="",
            OPENLLMETRY_SHUTDOWN_TIMEOUT="1",
            **env,
        ),
        capture_output=True,
        text=True,
        timeout=90,
        cwd=Path(__file__).parent,
    )
    exited = time.monotonic()
    out = last_json(proc)
    out["exited"] = exited
    return out, exited - started


def test_an_otlp_endpoint_where_nothing_listens_does_not_hold_the_exit(
    fresh_python: str, mock_provider: Any
) -> None:
    nobody = f"http://{HOST}:{free_port()}"
    instrument = [str(Path(fresh_python).parent / "opentelemetry-instrument"), fresh_python]
    for command, setup in (
        ([fresh_python], "import openllmetry; openllmetry.init('exit-test')"),
        (instrument, ""),
    ):
        out, _ = timed_exit(
            fresh_python,
            mock_provider,
            command,
            setup,
            OTEL_EXPORTER_OTLP_ENDPOINT=nobody,
            OTEL_EXPORTER_OTLP_TIMEOUT="60",
        )
        # From the script's last line to the process's end (one monotonic clock for both processes).
        # main retried for the exporter's whole timeout (60 s here; 8 to 31 s with the default 10 s);
        # now the 1 s shutdown timeout and the interpreter's teardown (seconds on a loaded machine).
        assert out["exited"] - out["end"] < 20, command
    assert out["traces"] == "otlp"  # an endpoint was configured: the distro exports there
    out, _ = timed_exit(fresh_python, mock_provider, instrument, "")
    assert out["traces"] == "none"  # main defaulted to OTLP towards localhost:4318 without an endpoint
