"""``python -m llm_mock``: serve until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .server import MockProvider


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llm_mock",
        description="Offline OpenAI- and Anthropic-compatible mock server; serves until SIGINT or SIGTERM.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before every response")
    parser.add_argument("--ttft-ms", type=float, default=0.0, help="delay before the first stream event")
    parser.add_argument("--token-delay-ms", type=float, default=0.0, help="delay between streamed tokens")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 429/500")
    parser.add_argument("--seed", type=int, default=0, help="seed of the error-rate RNG")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not 0.0 <= args.error_rate <= 1.0:
        _parser().error("--error-rate must be between 0 and 1")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    provider = MockProvider(
        args.port,
        host=args.host,
        latency_ms=args.latency_ms,
        ttft_ms=args.ttft_ms,
        token_delay_ms=args.token_delay_ms,
        error_rate=args.error_rate,
        seed=args.seed,
    )
    with provider:
        print(f"llm-mock listening on {provider.url}", flush=True)
        while not stop.wait(0.5):
            pass
    print("llm-mock stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
