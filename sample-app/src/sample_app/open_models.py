"""One question to three hosts of open-weight models: Mistral, Groq and Together.

Run: uv run python -m sample_app.open_models
Each SDK has its own instrumentation package; `openllmetry.init()` finds all three, so the same
`llm_*` series show every provider side by side (`provider` = `mistral_ai`, `groq`, `together`).
Without `MISTRAL_API_KEY` / `GROQ_API_KEY` / `TOGETHER_API_KEY` the clients talk to the mock.
"""

from __future__ import annotations

import threading
from typing import Any

import groq
import together

from . import backends
from .runner import run_sample

try:  # mistralai 2.0 moved the SDK under mistralai.client
    from mistralai.client import Mistral
except ImportError:  # mistralai 1.x
    from mistralai import Mistral  # type: ignore[no-redef,attr-defined]

MISTRAL_MODEL = "mistral-small-latest"
GROQ_MODEL = "llama-3.1-8b-instant"
TOGETHER_MODEL = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
MODELS = (MISTRAL_MODEL, GROQ_MODEL, TOGETHER_MODEL)

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def client(provider: str) -> Any:
    """The shared client of "mistral", "groq" or "together"; the mock unless its API key is set."""
    with _lock:
        if provider not in _clients:
            mock = backends.uses_mock(provider)
            server = backends.mock_server() if mock else None
            key = {"api_key": backends.MOCK_KEY} if mock else {}
            if provider == "mistral":
                _clients[provider] = Mistral(**key, server_url=server.base_url("mistral") if server else None)
            elif provider == "groq":
                _clients[provider] = groq.Groq(**key, base_url=server.base_url("groq") if server else None)
            else:  # together 3.x adds /v1 to the host root itself
                _clients[provider] = together.Together(
                    **key, base_url=server.base_url("together") if server else None
                )
        return _clients[provider]


def ask_mistral(prompt: str, headers: dict[str, str] | None = None) -> str:
    """Mistral streams events whose `.data` is the chunk; usage arrives on the last one."""
    options = {"http_headers": headers} if headers else {}
    messages = [{"role": "user", "content": prompt}]
    parts = []
    for event in client("mistral").chat.stream(model=MISTRAL_MODEL, messages=messages, **options):
        delta = event.data.choices[0].delta.content if event.data.choices else None
        if isinstance(delta, str):
            parts.append(delta)
    return "".join(parts)


def ask_groq(prompt: str, headers: dict[str, str] | None = None) -> str:
    """Groq streams carry their usage in `x_groq.usage` of the last chunk: no stream_options needed."""
    stream = client("groq").chat.completions.create(
        model=GROQ_MODEL,
        messages=[{"role": "user", "content": prompt}],
        stream=True,
        extra_headers=headers or {},
    )
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def ask_together(prompt: str, headers: dict[str, str] | None = None) -> str:
    reply = client("together").chat.completions.create(
        model=TOGETHER_MODEL, messages=[{"role": "user", "content": prompt}], extra_headers=headers or {}
    )
    return reply.choices[0].message.content or ""


def ask_all(prompt: str) -> dict[str, str]:
    return {"mistral": ask_mistral(prompt), "groq": ask_groq(prompt), "together": ask_together(prompt)}


def main() -> None:
    def body() -> str:
        answers = ask_all("Which open model should we use for ticket triage?")
        return "\n".join(f"{provider}: {text}" for provider, text in answers.items())

    run_sample("open-models", body)


if __name__ == "__main__":
    main()
