# The openai instrumentation suite on the oldest supported SDK (openai 1.0.0 needs httpx < 0.28).
# Include from the root Makefile and depend on it from `test-oldest`.
OPENAI_OLDEST ?= 1.0.0

.PHONY: test-oldest-openai
test-oldest-openai:
	uv run --frozen --isolated --with 'openai==$(OPENAI_OLDEST)' --with 'httpx<0.28' \
		pytest packages/opentelemetry-instrumentation-openai
