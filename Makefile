# The README's two commands are `make demo` and `make test`; both bootstrap uv and the workspace.
SHELL := /bin/sh
UV = $(shell ./scripts/ensure-uv.sh)
DEMO_SECONDS ?= 30
PYTEST_ARGS ?=

.PHONY: sync test demo lint format bench test-oldest test-long

sync:
	$(UV) sync --all-packages --frozen

test: sync
	$(UV) run --frozen pytest $(PYTEST_ARGS)

demo: sync
	DEMO_SECONDS=$(DEMO_SECONDS) $(UV) run --frozen python -m sample_app.demo

lint: sync
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format: sync
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

bench: sync
	$(UV) run --frozen python bench/run.py

# The core, the SDK and both instrumentors against the oldest supported releases: the provider
# SDKs, and the OpenTelemetry API, SDK, exporter and instrumentation floors of the pyproject files.
# mistralai 2.x and 3.x trace themselves with semantic-convention names newer than the 0.51b0
# floor, so the OpenTelemetry floors run with mistralai 1.0.0. Its older pydantic cannot import
# litellm, which has its own line above.
OLDEST_OTEL = --with 'opentelemetry-api==1.30.0' --with 'opentelemetry-sdk==1.30.0' \
	--with 'opentelemetry-exporter-prometheus==0.51b0' --with 'opentelemetry-instrumentation==0.51b0' \
	--with 'opentelemetry-semantic-conventions==0.51b0'
test-oldest: sync
	$(UV) run --isolated --with 'openai==1.0.0' --with 'anthropic==0.40.0' --with 'httpx<0.28' \
		pytest packages/opentelemetry-instrumentation-openai packages/opentelemetry-instrumentation-anthropic
	$(UV) run --isolated --with 'google-genai==1.0.0' \
		pytest packages/opentelemetry-instrumentation-google-genai mock-provider/tests/test_mock_gemini.py
	$(UV) run --isolated --with 'mistralai==1.0.0' pytest packages/opentelemetry-instrumentation-mistralai
	$(UV) run --isolated --with 'groq==0.9.0' --with 'httpx<0.28' pytest packages/opentelemetry-instrumentation-groq
	$(UV) run --isolated --with 'together==1.2.0' pytest packages/opentelemetry-instrumentation-together
	$(UV) run --isolated --with 'cohere==5.10.0' --with 'ollama==0.3.0' --with 'httpx<0.28' \
		pytest packages/opentelemetry-instrumentation-cohere packages/opentelemetry-instrumentation-ollama
	LITELLM_LOCAL_MODEL_COST_MAP=True $(UV) run --isolated --with 'litellm==1.67.0' \
		pytest packages/opentelemetry-instrumentation-litellm
	$(UV) run --isolated --with 'boto3==1.34.116' --with 'botocore==1.34.116' --with 'aiobotocore==2.13.1' \
		pytest packages/opentelemetry-instrumentation-bedrock mock-provider/tests/test_mock_bedrock.py
	$(UV) run --isolated $(OLDEST_OTEL) --with 'mistralai==1.0.0' pytest semantic-conventions-ai packages \
		--ignore=packages/opentelemetry-instrumentation-litellm

# The long property-based profile (nightly).
test-long: sync
	HYPOTHESIS_PROFILE=long $(UV) run --frozen pytest $(PYTEST_ARGS)
