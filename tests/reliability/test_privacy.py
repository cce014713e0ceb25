"""No prompt, completion, tool argument or system text leaves the process unless capture is on;
with capture on, secrets and large inline images are redacted."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from reliability_support import API_KEY, Everything

from opentelemetry.semconv_ai import config

PROMPT = "SENTINELPROMPT"
SYSTEM = "SENTINELSYSTEM"
TOOLDEF = "SENTINELTOOLDEF"
TOOL_RESULT = "SENTINELTOOLRESULT"
SENTINELS = (PROMPT, SYSTEM, TOOLDEF, TOOL_RESULT)
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": TOOLDEF,
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
    }
]


@pytest.fixture
def everything() -> Iterator[Everything]:
    made = Everything()
    yield made
    made.close()
    config.reset()


def traffic(mock: Any) -> None:
    oa = openai.OpenAI(base_url=mock.openai_base_url, api_key=API_KEY, max_retries=0)
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"find {PROMPT}"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": 1}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": TOOL_RESULT},
        {"role": "user", "content": f"again {PROMPT}"},
    ]
    oa.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
    oa.chat.completions.create(
        model="gpt-4o", messages=messages, tools=TOOLS, extra_headers={"x-mock-tool-call": "lookup"}
    )
    for _ in oa.chat.completions.create(model="gpt-4o", messages=messages, stream=True):
        pass
    oa.responses.create(model="gpt-4o", input=f"hello {PROMPT}", instructions=SYSTEM)
    an = anthropic.Anthropic(base_url=mock.anthropic_base_url, api_key=API_KEY, max_retries=0)
    an_messages = [{"role": "user", "content": f"hi {PROMPT}"}]
    an.messages.create(model="claude-x", max_tokens=50, system=SYSTEM, messages=an_messages)
    an.messages.create(
        model="claude-x",
        max_tokens=50,
        system=SYSTEM,
        messages=an_messages,
        tools=[{"name": "lookup", "description": TOOLDEF, "input_schema": {"type": "object"}}],
        extra_headers={"x-mock-tool-call": "lookup"},
    )
    with an.messages.stream(model="claude-x", max_tokens=50, system=SYSTEM, messages=an_messages) as stream:
        stream.get_final_text()


def test_nothing_leaks_with_capture_off(
    everything: Everything, mock_provider: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    traffic(mock_provider)
    # Our loggers only: the SDKs' own debug logs print request bodies, which is theirs to decide.
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("opentelemetry", "openllmetry"))]
    text = everything.exported("\n".join(ours))
    assert len(everything.capture.spans()) == 7
    for sentinel in SENTINELS:
        assert sentinel not in text
    assert API_KEY not in text


def test_capture_on_records_content_but_redacts_secrets(everything: Everything, mock_provider: Any) -> None:
    config.configure(capture_content=True)
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz012345"
    image = base64.b64encode(b"\x89PNG" + bytes(range(256)) * 20).decode()
    oa = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)
    oa.chat.completions.create(
        model="gpt-4o",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": f"{PROMPT} my key is {secret}, header Bearer abcdefghijklmnop"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{image}"}},
                ],
            }
        ],
        extra_headers={"Authorization": "Bearer zzzzzzzzzzzzzzzzzz", "x-api-key": "sk-ant-secretsecret"},
    )
    text = everything.exported("")
    assert PROMPT in text
    for leaked in (secret, "abcdefghijklmnop", image[:200], "zzzzzzzzzzzz", "sk-ant-secretsecret", API_KEY):
        assert leaked not in text
    assert "[REDACTED]" in text


SECRETS = {
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "google": "AIzaSyA-1234567890abcdefghijklmnopqrstu",
    "github": "ghp_" + "a1B2" * 9,
    "github_pat": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "slack": "xoxb-123456789012-abcdefghijkl",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "basic": "Basic dXNlcjpodW50ZXIy",
    "short_sk": "sk-abc12345",
    "stripe": "sk_live_51Habcdefghij0123",
    "bearer_colon": "Bearer:abcdefgh12345678",
    "url_credentials": "https://admin:hunter2secret@db.internal/x",
    "url_api_key": "https://x.openai.azure.com/openai?api-key=0123456789abcdef",
    "private_key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
}
SECRET_ARGUMENTS = {
    "password": "hunter2-pw",
    "access_token": "at-value-123",
    "client_secret": "cs-value-456",
    "api_key": "ak-value-789",
    "X-Api-Key": "xk-value-000",
    "db_password": "dbpw-value-111",
}


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_capture_on_redacts_every_secret_class(everything: Everything, mock_provider: Any, kind: str) -> None:
    config.configure(capture_content=True)
    secret = SECRETS[kind]
    oa = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)
    oa.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": f"{PROMPT} here it is: {secret} thanks"}]
    )
    text = everything.exported("")
    assert PROMPT in text and "thanks" in text
    core = secret.split(":", 1)[-1].split("@")[0].split("=")[-1].split("\n")[1 if "\n" in secret else 0]
    assert core not in text, (kind, secret)


def send_tool_arguments(client: Any, call_id: str, arguments: str) -> None:
    client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": call_id, "type": "function", "function": {"name": "f", "arguments": arguments}}
                ],
            },
            {"role": "tool", "tool_call_id": call_id, "content": "ok"},
        ],
    )


def test_capture_on_redacts_secret_keys_in_tool_arguments(everything: Everything, mock_provider: Any) -> None:
    config.configure(capture_content=True)
    arguments = json.dumps({"query": PROMPT, **SECRET_ARGUMENTS, "max_tokens": 5})
    oa = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)
    send_tool_arguments(oa, "c1", arguments)
    # Unparseable arguments are text: the key=value rule still finds them.
    broken = arguments[:-1] + ", password: 'pw-in-broken-json'"
    send_tool_arguments(oa, "c2", broken)
    text = everything.exported("")
    assert PROMPT in text and "max_tokens" in text
    for value in [*SECRET_ARGUMENTS.values(), "pw-in-broken-json"]:
        assert value not in text
