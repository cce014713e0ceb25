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

# The suites of both instrumentors against the oldest supported SDK releases.
test-oldest: sync
	$(UV) run --isolated --with 'openai==1.0.0' --with 'anthropic==0.40.0' --with 'httpx<0.28' \
		pytest packages/opentelemetry-instrumentation-openai packages/opentelemetry-instrumentation-anthropic

# The long property-based profile (nightly).
test-long: sync
	HYPOTHESIS_PROFILE=long $(UV) run --frozen pytest $(PYTEST_ARGS)
