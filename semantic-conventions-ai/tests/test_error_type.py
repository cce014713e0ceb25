"""error.type: the provider's code, else the HTTP status, else the class name."""

from __future__ import annotations

from opentelemetry.semconv_ai import error_type


class GoogleStyle(Exception):
    """As google-genai raises: `code` is the HTTP status, `status` Google's canonical code."""

    def __init__(self, code: int, status: str | None) -> None:
        super().__init__(f"{code} {status}")
        self.code = code
        self.status = status


class WithBody(Exception):
    body = {"error": {"type": "rate_limit_error", "message": "slow down"}}
    status_code = 429


def test_google_status_then_http_status():
    assert error_type(GoogleStyle(429, "RESOURCE_EXHAUSTED")) == "RESOURCE_EXHAUSTED"
    assert error_type(GoogleStyle(503, None)) == "503"


def test_body_code_wins_and_class_name_is_the_last_resort():
    assert error_type(WithBody()) == "rate_limit_error"
    assert error_type(ValueError("x")) == "ValueError"


class TextBody(Exception):
    """As mistralai's SDKError: the body kept as JSON text."""

    body = '{"object": "error", "message": "slow down", "type": "rate_limited", "code": "1300"}'
    status_code = 429


class HttpStatus(Exception):
    """As together 1.x raises: the status is `http_status`."""

    http_status = 503


def test_text_bodies_and_other_status_names():
    assert error_type(TextBody()) == "1300"
    TextBody.body = "upstream connect error"
    assert error_type(TextBody()) == "429"
    assert error_type(HttpStatus()) == "503"


class WithStatus(Exception):
    def __init__(self, status_code: object, body: object = None) -> None:
        super().__init__("failed")
        self.status_code = status_code
        self.body = body


def test_only_an_http_status_counts():
    assert error_type(WithStatus(429, {"id": "x", "message": "slow down"})) == "429"  # Cohere's body: no code
    assert error_type(WithStatus(-1)) == "WithStatus"  # ollama's status for an error inside a stream
    assert error_type(WithStatus(1000)) == "WithStatus"
    assert error_type(WithStatus(True)) == "WithStatus"
