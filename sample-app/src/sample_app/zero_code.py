"""Zero-code instrumentation: a plain OpenAI script with no openllmetry import at all.

Run it under the OpenTelemetry launcher, which loads the installed instrumentors and the
openllmetry distro, and serves /metrics on localhost:9464:

    OTEL_METRICS_EXPORTER=prometheus OTEL_TRACES_EXPORTER=none OTEL_SERVICE_NAME=zero-code \
        uv run opentelemetry-instrument python sample-app/src/sample_app/zero_code.py --linger 30

`--linger N` keeps the process (and its /metrics) up for N seconds so Prometheus or curl can read it.
"""

from __future__ import annotations

import argparse
import time

# The only non-standard import: an openai.OpenAI() client, or one pointed at the mock without a key.
from sample_app.backends import openai_client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--linger", type=float, default=0.0, help="seconds to keep serving /metrics")
    parser.add_argument("question", nargs="*", default=["What", "is", "OpenTelemetry?"])
    args = parser.parse_args()

    client = openai_client()
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": " ".join(args.question)}],
        max_tokens=200,
    )
    print(response.choices[0].message.content, flush=True)
    if args.linger > 0:
        print(f"serving /metrics for {args.linger:g} s", flush=True)
        time.sleep(args.linger)


if __name__ == "__main__":
    main()
