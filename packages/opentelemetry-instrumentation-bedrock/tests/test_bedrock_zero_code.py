"""`opentelemetry-instrument` loads the instrumentor through its entry point: no code change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from llm_mock import MockProvider

SCRIPT = """
import os, boto3
client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=os.environ["MOCK_URL"],
                      aws_access_key_id="test", aws_secret_access_key="test")
messages = [{"role": "user", "content": [{"text": "hello there world"}]}]
answer = client.converse(modelId="amazon.nova-lite-v1:0", messages=messages)
print(answer["output"]["message"]["content"][0]["text"])
"""


def test_opentelemetry_instrument_loads_bedrock(mock_provider: MockProvider) -> None:
    env = {**os.environ, "MOCK_URL": mock_provider.url, "OTEL_TRACES_EXPORTER": "console"}
    env |= {"OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none", "OTEL_SERVICE_NAME": "zero-code"}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    launcher = Path(sys.executable).with_name("opentelemetry-instrument")
    result = subprocess.run(
        [str(launcher), sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Mock reply: hello there world")
    assert '"name": "chat amazon.nova-lite-v1:0"' in result.stdout
    assert '"gen_ai.usage.input_tokens": 3' in result.stdout
    assert '"gen_ai.provider.name": "aws.bedrock"' in result.stdout
