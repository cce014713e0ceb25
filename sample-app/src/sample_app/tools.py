"""Tool calling: the model asks for a tool, the app runs it, the model answers with its result.

Run: uv run python -m sample_app.tools "Is the checkout service healthy?"
Both model calls are `chat` operations inside the `incident_helper` workflow; the tool itself is an
`execute_tool` span from `@tool`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import openai

from openllmetry import tool, workflow

from . import backends
from .runner import run_sample

RUNBOOKS = {
    "checkout": "Checkout: check the payment provider's status page, then the p95 latency panel.",
    "search": "Search: restart the indexer when the queue depth exceeds 10k.",
}
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search_runbooks",
            "description": "Find the runbook entries that match a query.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    }
]


@tool(name="search_runbooks")
def search_runbooks(query: str) -> str:
    words = query.lower().split()
    hits = [text for key, text in RUNBOOKS.items() if any(key in word for word in words)]
    return "\n".join(hits) or "No runbook matches."


@workflow(name="incident_helper")
def answer_with_tools(client: openai.OpenAI, question: str, *, model: str = "gpt-4o", **options: Any) -> str:
    messages: list[Any] = [{"role": "user", "content": question}]
    hint = backends.mock_hint("openai", tool_call="search_runbooks")
    headers = {**options.pop("extra_headers", {}), **hint}
    first = client.chat.completions.create(
        model=model, messages=messages, tools=TOOLS, max_tokens=300, extra_headers=headers, **options
    )
    message = first.choices[0].message
    if not message.tool_calls:
        return message.content or ""
    messages.append(message.model_dump(exclude_none=True))
    for call in message.tool_calls:
        arguments = json.loads(call.function.arguments or "{}")
        result = search_runbooks(str(arguments.get("query", "")))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    headers = {k: v for k, v in headers.items() if k not in hint}
    final = client.chat.completions.create(
        model=model, messages=messages, tools=TOOLS, max_tokens=300, extra_headers=headers, **options
    )
    return final.choices[0].message.content or ""


def main() -> None:
    question = " ".join(sys.argv[1:]) or "Is the checkout service healthy?"
    run_sample("incident-helper", lambda: answer_with_tools(backends.openai_client(), question))


if __name__ == "__main__":
    main()
