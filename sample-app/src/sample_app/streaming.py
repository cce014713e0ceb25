"""Streaming chat with both providers: the answer is printed as it arrives.

Run: uv run python -m sample_app.streaming
A stream is one operation from the call to its last chunk; it also records the time to the first
chunk (`gen_ai_client_operation_time_to_first_chunk_seconds`) and the time per output chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import openai

from . import backends
from .runner import run_sample


def stream_openai(
    client: openai.OpenAI,
    prompt: str,
    *,
    model: str = "gpt-4.1-nano",
    on_text: Callable[[str], object] = lambda text: None,
    **options: Any,
) -> str:
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        stream=True,
        stream_options={"include_usage": True},  # token usage arrives in the last chunk
        max_tokens=300,
        **options,
    )
    parts = []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
            on_text(parts[-1])
    return "".join(parts)


def stream_anthropic(
    client: anthropic.Anthropic,
    prompt: str,
    *,
    model: str = "claude-haiku-4-5",
    on_text: Callable[[str], object] = lambda text: None,
    **options: Any,
) -> str:
    parts = []
    with client.messages.stream(
        model=model, max_tokens=300, messages=[{"role": "user", "content": prompt}], **options
    ) as stream:
        for text in stream.text_stream:
            parts.append(text)
            on_text(text)
    return "".join(parts)


def main() -> None:
    def show(text: str) -> None:
        print(text, end="", flush=True)

    def body() -> str:
        prompt = "Explain time to first token in one paragraph."
        print("openai: ", end="")
        stream_openai(backends.openai_client(), prompt, on_text=show)
        print("\nanthropic: ", end="")
        stream_anthropic(backends.anthropic_client(), prompt, on_text=show)
        return ""

    run_sample("streaming-chat", body)


if __name__ == "__main__":
    main()
