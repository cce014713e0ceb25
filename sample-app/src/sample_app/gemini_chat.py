"""A Gemini chat with automatic function calling: the SDK runs a Python tool and asks the model again.

Run: uv run python -m sample_app.gemini_chat "Is the checkout service healthy?"
With `GEMINI_API_KEY` set it talks to the Gemini API; without, to the mock provider.
Every model call the SDK makes is one `generate_content` operation (provider `gcp.gemini`) inside
the `gemini_helper` workflow: the first answers with a function call, the SDK runs `check_service`
(an `execute_tool` span from `@tool`) and calls the model again, then a streamed follow-up message
in the same chat is a third. Its usage is read from the stream's last chunk.
"""

import sys
from typing import Any

from google import genai

from openllmetry import tool, workflow

from . import backends
from .runner import run_sample

MODEL = "gemini-2.5-flash"
STATUS = {"checkout": "degraded: p95 latency 2.1 s", "search": "healthy"}
FOLLOW_UP = "What should I check first?"


SYSTEM = "Answer in two sentences."


@tool(name="check_service")
def check_service(query: str) -> str:
    """The current status of the services a query names (checkout, search)."""
    words = query.lower().split()
    return (
        "\n".join(f"{name}: {status}" for name, status in STATUS.items() if name in words)
        or "no such service"
    )


@workflow(name="gemini_helper")
def ask(client: genai.Client, question: str, *, headers: dict[str, str] | None = None) -> str:
    """One chat: the question with the tool (automatic function calling), then a streamed follow-up."""
    chat = client.chats.create(model=MODEL)
    # The mock needs to be told to call the tool; a real model decides on its own.
    hint = {**(headers or {}), **backends.mock_hint("gemini", tool_call="check_service")}
    first = chat.send_message(question, config=_config(hint, tools=[check_service]))
    parts = [chunk.text or "" for chunk in chat.send_message_stream(FOLLOW_UP, config=_config(headers))]
    return f"{first.text}\n{''.join(parts)}"


def _config(headers: dict[str, str] | None, **config: Any) -> dict[str, Any]:
    """A message's config replaces the chat's, so each message carries the system instruction."""
    config["system_instruction"] = SYSTEM
    return {**config, "http_options": {"headers": headers}} if headers else config


def main() -> None:
    question = " ".join(sys.argv[1:]) or "Is the checkout service healthy?"
    run_sample("gemini-helper", lambda: ask(backends.gemini_client(), question))


if __name__ == "__main__":
    main()
