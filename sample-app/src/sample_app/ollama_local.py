"""A local model through Ollama: a streamed chat, then a one-shot generate.

Run: uv run python -m sample_app.ollama_local   (OLLAMA_HOST=http://127.0.0.1:11434 for a real Ollama)
Tokens are Ollama's `prompt_eval_count` and `eval_count`. A local model has no price: the calls count
in `llm_unpriced_requests_total` and never in `llm_cost_usd_total`.
"""

from __future__ import annotations

from typing import Any

from openllmetry import workflow

from . import backends
from .runner import run_sample

MODEL = "llama3.2"


@workflow(name="local_triage")
def triage(client: Any, ticket: str) -> str:
    parts = []
    for chunk in client.chat(MODEL, [{"role": "user", "content": ticket}], stream=True):
        parts.append(chunk["message"]["content"])
    label = client.generate(MODEL, f"One word for this ticket: {ticket}", options={"num_predict": 3})
    return "".join(parts) + f" [{label['response']}]"


def main() -> None:
    run_sample(
        "ollama-local-sample",
        lambda: triage(backends.ollama_client(), "Checkout returns 502 for some users since noon."),
    )


if __name__ == "__main__":
    main()
