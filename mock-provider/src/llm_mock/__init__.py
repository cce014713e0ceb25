"""Offline, deterministic OpenAI- and Anthropic-compatible HTTP server for tests and benchmarks."""

from .server import MockProvider, RecordedRequest
from .tokens import count_tokens

__all__ = ["MockProvider", "RecordedRequest", "count_tokens"]
__version__ = "0.1.0"
