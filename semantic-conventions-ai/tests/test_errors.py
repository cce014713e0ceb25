"""`error_type`: the provider's code, else the HTTP status, else the exception's class."""

from __future__ import annotations

from typing import Any

import pytest

from opentelemetry.semconv_ai import error_type


class ProviderError(Exception):
    def __init__(self, status_code: Any = None, body: Any = None) -> None:
        super().__init__("failed")
        self.status_code = status_code
        self.body = body


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ProviderError(429, {"error": {"type": "rate_limit_error"}}), "rate_limit_error"),
        (ProviderError(429, {"id": "x", "message": "slow down"}), "429"),
        (ProviderError(-1), "ProviderError"),  # ollama's status for an error inside a stream
        (ProviderError(True), "ProviderError"),
        (ProviderError(1000), "ProviderError"),
        (ConnectionError("refused"), "ConnectionError"),
    ],
)
def test_error_type(exc: BaseException, expected: str) -> None:
    assert error_type(exc) == expected
