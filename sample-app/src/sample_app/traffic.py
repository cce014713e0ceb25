"""The demo's mixed traffic: the sample apps, called by a few worker threads until told to stop.

Against the mock, every request carries headers that give its model a latency profile with some
jitter and make a few percent of operations fail (rate limits, server errors, cut streams). Against
a real API the same code runs slower and without those headers.
"""

from __future__ import annotations

import asyncio
import importlib
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
from google import genai

from . import (
    anthropic_cache,
    assistant,
    backends,
    bedrock_app,
    cohere_rerank,
    fanout,
    gemini_chat,
    ollama_local,
    open_models,
    retrieval,
    streaming,
    tools,
)


@dataclass(frozen=True)
class Profile:
    """How the mock answers one model: latency before the response, and per streamed token (ms)."""

    latency_ms: float
    token_ms: float


PROFILES = {
    "gpt-4o-mini": Profile(180, 8),
    "gpt-4o": Profile(450, 22),
    "gpt-4.1-nano": Profile(90, 5),
    "text-embedding-3-small": Profile(40, 0),
    "claude-haiku-4-5": Profile(220, 10),
    "claude-sonnet-4-5": Profile(650, 28),
    "gemini-2.5-flash": Profile(260, 7),
    open_models.MISTRAL_MODEL: Profile(260, 12),
    open_models.GROQ_MODEL: Profile(60, 2),
    open_models.TOGETHER_MODEL: Profile(380, 14),
    "command-r": Profile(300, 12),
    "llama3.2": Profile(120, 15),  # a local model: quick to answer, slow per token
    bedrock_app.MODEL: Profile(260, 12),
}
# Failures the mock injects, by share of operations: (x-mock-fail value, weight).
FAILURES = (("429", 0.5), ("500", 0.3), ("cut", 0.2))

QUESTIONS = [
    "Why did the p95 latency of checkout double after the last deploy?",
    "Summarize the open incidents for the search team.",
    "Which model should we use for ticket triage to stay within budget?",
    "Is the checkout service healthy right now?",
    "Explain the difference between time to first chunk and total latency.",
    "What should I do when the indexer queue grows?",
]


class Chaos:
    """Per-request mock headers: the model's latency profile with jitter, and occasional failures."""

    def __init__(self, error_rate: float = 0.03, seed: int | None = None) -> None:
        self.error_rate = error_rate
        self.rng = random.Random(seed)
        self._lock = threading.Lock()

    def headers(self, provider: str, model: str, *, can_fail: bool = True) -> dict[str, str]:
        if not backends.uses_mock(provider):
            return {}
        profile = PROFILES.get(model, Profile(200, 10))
        with self._lock:
            jitter = self.rng.lognormvariate(0, 0.35)
            failure = None
            if can_fail and self.rng.random() < self.error_rate:
                failure = self.rng.choices([f for f, _ in FAILURES], [w for _, w in FAILURES])[0]
        headers = {
            "x-mock-latency-ms": f"{profile.latency_ms * jitter:.0f}",
            "x-mock-ttft-ms": f"{profile.latency_ms * jitter * 0.3:.0f}",
            "x-mock-token-delay-ms": f"{profile.token_ms * jitter:.1f}",
        }
        if failure:
            headers["x-mock-fail"] = failure
        return headers


@dataclass
class Clients:
    openai: openai.OpenAI
    anthropic: anthropic.Anthropic
    gemini: genai.Client
    cohere: Any

    @classmethod
    def create(cls, **options: Any) -> Clients:
        """Made after `openllmetry.init()`: cohere binds `chat` to a client when it is made."""
        # google-genai retries through http_options, not a max_retries argument.
        gemini = backends.gemini_client()
        return cls(
            backends.openai_client(**options),
            backends.anthropic_client(**options),
            gemini,
            backends.cohere_client(**options),
        )


Scenario = Callable[[Clients, Chaos, random.Random], object]


def _assistant(clients: Clients, chaos: Chaos, rng: random.Random) -> object:
    return assistant.run_assistant(
        clients.openai, rng.choice(QUESTIONS), extra_headers=chaos.headers("openai", "gpt-4o-mini")
    )


def _stream_openai(clients: Clients, chaos: Chaos, rng: random.Random) -> object:
    model = rng.choice(["gpt-4.1-nano", "gpt-4o"])
    return streaming.stream_openai(
        clients.openai, rng.choice(QUESTIONS), model=model, extra_headers=chaos.headers("openai", model)
    )


def _stream_anthropic(clients: Clients, chaos: Chaos, rng: random.Random) -> object:
    return streaming.stream_anthropic(
        clients.anthropic, rng.choice(QUESTIONS), extra_headers=chaos.headers("anthropic", "claude-haiku-4-5")
    )


def _tools(clients: Clients, chaos: Chaos, rng: random.Random) -> object:
    return tools.answer_with_tools(
        clients.openai, rng.choice(QUESTIONS), extra_headers=chaos.headers("openai", "gpt-4o")
    )


def _cached_anthropic(clients: Clients, chaos: Chaos, rng: random.Random) -> object:
    return anthropic_cache.ask(
        clients.anthropic,
        rng.choice(QUESTIONS),
        extra_headers=chaos.headers("anthropic", "claude-sonnet-4-5"),
    )


def _retrieval(clients: Clients, chaos: Chaos, rng: random.Random) -> object:
    # Embeddings and chat share the headers: the embedding profile keeps both quick.
    headers = chaos.headers("openai", "text-embedding-3-small", can_fail=False)
    return retrieval.answer(clients.openai, rng.choice(QUESTIONS), extra_headers=headers)


_LITELLM_APP = "sample_app.litellm_app"
_litellm_lock = threading.Lock()
_litellm_loading: list[threading.Thread] = []


def _litellm(clients: Clients, chaos: Chaos, rng: random.Random) -> object:
    """Through LiteLLM. It takes seconds to import: a thread imports it while the assistant runs instead."""
    with _litellm_lock:
        if not _litellm_loading:  # a daemon: stopping the demo never waits seconds for an import
            loader = threading.Thread(target=importlib.import_module, args=(_LITELLM_APP,), daemon=True)
            _litellm_loading.append(loader)
            _litellm_loading[0].start()
        loading = _litellm_loading[0].is_alive()
    if loading:
        return _assistant(clients, chaos, rng)
    app = sys.modules[_LITELLM_APP]
    model = rng.choice(app.MODELS)
    provider, bare = model.split("/", 1)
    headers = chaos.headers(provider, bare)
    return app.ask(rng.choice(QUESTIONS), model=model, stream=rng.random() < 0.5, extra_headers=headers)


def _fanout(clients: Clients, chaos: Chaos, rng: random.Random) -> object:
    tickets = rng.sample(fanout.TICKETS, 4)
    # One set of headers for the whole batch: an injected failure would fail all four at once.
    headers = chaos.headers("openai", "gpt-4o-mini", can_fail=False)
    return asyncio.run(fanout.run(tickets, extra_headers=headers))


def _gemini(clients: Clients, chaos: Chaos, rng: random.Random) -> object:
    headers = chaos.headers("gemini", gemini_chat.MODEL)
    return gemini_chat.ask(clients.gemini, rng.choice(QUESTIONS), headers=headers)


def _open_models(clients: Clients, chaos: Chaos, rng: random.Random) -> object:
    # One of Mistral, Groq or Together; each brings its own client (open_models.client).
    provider, ask, model = rng.choice(
        [
            ("mistral", open_models.ask_mistral, open_models.MISTRAL_MODEL),
            ("groq", open_models.ask_groq, open_models.GROQ_MODEL),
            ("together", open_models.ask_together, open_models.TOGETHER_MODEL),
        ]
    )
    return ask(rng.choice(QUESTIONS), chaos.headers(provider, model))


def _bedrock(clients: Clients, chaos: Chaos, rng: random.Random) -> object:
    call = rng.choice([bedrock_app.converse, bedrock_app.converse_stream, bedrock_app.invoke_claude])
    with bedrock_app.mock_headers(chaos.headers("bedrock", bedrock_app.MODEL)):
        return call(bedrock_app.shared_client(), rng.choice(QUESTIONS))


def _cohere(clients: Clients, chaos: Chaos, rng: random.Random) -> object:
    return cohere_rerank.answer(
        clients.cohere, rng.choice(QUESTIONS), headers=chaos.headers("cohere", "command-r")
    )


def _ollama(clients: Clients, chaos: Chaos, rng: random.Random) -> object:
    # ollama takes headers per client, not per call: a client for this call's mock headers.
    client = backends.ollama_client(headers=chaos.headers("ollama", ollama_local.MODEL))
    return ollama_local.triage(client, rng.choice(QUESTIONS))


# Each seeded demo worker's first pick stays as it was (gpt-4o-mini among them, which the demo test
# looks for): change a weight only after checking `random.Random(seed).choices` for the worker seeds.
SCENARIOS: list[tuple[Scenario, float]] = [
    (_assistant, 5),
    (_stream_openai, 3),
    (_stream_anthropic, 2),
    (_tools, 1.5),
    (_cached_anthropic, 1.5),
    (_retrieval, 1),
    (_fanout, 0.5),
    (_gemini, 1.5),
    (_open_models, 1),
    (_cohere, 1),
    (_ollama, 1),
    (_bedrock, 0.5),  # at most 0.7 keeps each seeded demo worker's first pick
    (_litellm, 1),
]


class Traffic:
    """`workers` threads running weighted scenarios, with a pause between calls, until `stop()`."""

    def __init__(
        self, clients: Clients, chaos: Chaos, *, workers: int = 3, pause: float = 0.3, seed: int = 7
    ):
        self.clients = clients
        self.chaos = chaos
        self.workers = workers
        self.pause = pause
        self.seed = seed
        self.completed = 0
        self.failed = 0
        self.last_error = ""
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> Traffic:
        for index in range(self.workers):
            thread = threading.Thread(target=self._work, args=(self.seed + index,), name=f"traffic-{index}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)
        return self

    def _work(self, seed: int) -> None:
        rng = random.Random(seed)
        scenarios = [s for s, _ in SCENARIOS]
        weights = [w for _, w in SCENARIOS]
        while not self._stop.is_set():
            scenario = rng.choices(scenarios, weights)[0]
            error = ""
            try:
                scenario(self.clients, self.chaos, rng)
            except Exception as exc:  # injected failures among them: the metrics count those
                error = f"{type(exc).__name__}: {exc}"[:200]
            with self._lock:
                if error:
                    self.failed += 1
                    self.last_error = error
                else:
                    self.completed += 1
            self._stop.wait(self.pause * rng.uniform(0.5, 1.5))

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
