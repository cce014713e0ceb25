"""Responses the mock does not make by itself, sent verbatim (`enqueue`): a blocked prompt, thoughts."""

from __future__ import annotations

import json

from gemini_helpers import HAS_THOUGHTS, MODEL, client, one_span, tokens
from google.genai import types

from llm_mock import MockProvider
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture

HAS_THOUGHT_PARTS = "thought" in types.Part.model_fields


def test_a_blocked_prompt_is_a_content_filter(mock_server: MockProvider, capture: Capture):
    usage = {"promptTokenCount": 4, "totalTokenCount": 4}
    mock_server.enqueue(body={"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": usage})
    gemini = client(mock_server)
    reply = gemini.models.generate_content(model=MODEL, contents="something unsafe here")
    assert reply.candidates is None
    attrs = one_span(capture).attributes
    assert attrs["gen_ai.response.finish_reasons"] == ("content_filter",)
    assert (attrs["gen_ai.usage.input_tokens"], attrs.get("gen_ai.usage.output_tokens")) == (4, None)


def test_thoughts_are_reasoning(mock_server: MockProvider, capture: Capture):
    config.configure(capture_content=True)
    parts = [{"text": "Let me think.", "thought": True}, {"text": "Mock answer."}]
    candidate = {"content": {"role": "model", "parts": parts}, "finishReason": "SAFETY", "index": 0}
    usage = {"promptTokenCount": 2, "candidatesTokenCount": 2, "thoughtsTokenCount": 3, "totalTokenCount": 7}
    mock_server.enqueue(body={"candidates": [candidate], "usageMetadata": usage, "modelVersion": MODEL})
    gemini = client(mock_server)
    gemini.models.generate_content(model=MODEL, contents="think it over")
    attrs = one_span(capture).attributes
    assert attrs["gen_ai.response.finish_reasons"] == ("content_filter",)
    (message,) = json.loads(attrs["gen_ai.output.messages"])
    first = {"type": "reasoning" if HAS_THOUGHT_PARTS else "text", "content": "Let me think."}
    assert message == {
        "role": "assistant",
        "parts": [first, {"type": "text", "content": "Mock answer."}],
        "finish_reason": "content_filter",
    }
    assert tokens(capture, "output") == (5 if HAS_THOUGHTS else 2)
    assert tokens(capture, "reasoning") == (3 if HAS_THOUGHTS else 0)
