"""What is patched and what is not: every way of making a client, other services, uninstrument()."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.client
import botocore.session
import pytest
from bedrock_helpers import CLAUDE, CREDENTIALS, NO_RETRIES, USER, one_span

from llm_mock import MockProvider
from opentelemetry.instrumentation.bedrock import BedrockInstrumentor
from opentelemetry.semconv_ai import is_patched
from opentelemetry.semconv_ai.testing import Capture

OPERATIONS = ("converse", "converse_stream", "invoke_model", "invoke_model_with_response_stream")


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: boto3.client("bedrock-runtime", **kw),
        lambda **kw: boto3.Session().client("bedrock-runtime", **kw),
        lambda **kw: botocore.session.get_session().create_client("bedrock-runtime", **kw),
    ],
    ids=["boto3.client", "Session().client", "botocore.session"],
)
def test_every_way_of_making_a_client(mock_provider: MockProvider, capture: Capture, make: Any) -> None:
    client = make(endpoint_url=mock_provider.url, config=NO_RETRIES, **CREDENTIALS)
    assert all(is_patched(getattr(type(client), name)) for name in OPERATIONS)
    client.converse(modelId=CLAUDE, messages=USER)
    assert one_span(capture).name == f"chat {CLAUDE}"


def test_other_services_and_operations_are_untouched(mock_provider: MockProvider, capture: Capture) -> None:
    s3 = boto3.client("s3", **CREDENTIALS)
    control = boto3.client("bedrock", **CREDENTIALS)
    runtime = boto3.client("bedrock-runtime", **CREDENTIALS)
    assert not any(is_patched(v) for cls in (type(s3), type(control)) for v in vars(cls).values())
    others = [n for n in ("apply_guardrail", "count_tokens") if hasattr(type(runtime), n)]  # newer botocore
    assert not any(is_patched(getattr(type(runtime), name)) for name in others)
    assert type(runtime).converse.__name__ == "converse" and "Sends messages" in str(
        type(runtime).converse.__doc__
    )


def test_uninstrument_restores_botocore_exactly(mock_provider: MockProvider) -> None:
    original = botocore.client.ClientCreator._create_methods
    cap = Capture()
    instrumentor = BedrockInstrumentor()
    instrumentor.instrument(tracer_provider=cap.tracer_provider, meter_provider=cap.meter_provider)
    assert botocore.client.ClientCreator._create_methods is not original
    made_while_on = boto3.client("bedrock-runtime", endpoint_url=mock_provider.url, **CREDENTIALS)
    instrumentor.uninstrument()
    assert botocore.client.ClientCreator._create_methods is original
    made_after = boto3.client("bedrock-runtime", endpoint_url=mock_provider.url, **CREDENTIALS)
    assert not is_patched(type(made_after).converse)
    made_while_on.converse(modelId=CLAUDE, messages=USER)  # a client kept from before passes through
    made_after.converse(modelId=CLAUDE, messages=USER)
    assert cap.spans() == []


def test_entry_point_is_registered() -> None:
    from importlib.metadata import entry_points

    (found,) = [e for e in entry_points(group="opentelemetry_instrumentor") if e.name == "bedrock"]
    assert found.load() is BedrockInstrumentor
