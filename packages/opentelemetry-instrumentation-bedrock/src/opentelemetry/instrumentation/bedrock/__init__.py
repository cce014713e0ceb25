"""OpenTelemetry instrumentation for Amazon Bedrock Runtime (boto3, botocore, aiobotocore).

```python
from opentelemetry.instrumentation.bedrock import BedrockInstrumentor

BedrockInstrumentor().instrument()
```

botocore builds one client class per client; the instrumentor wraps the four GenAI methods of every
bedrock-runtime class built from then on (`boto3.client`, `Session().client`, `botocore.session`,
aiobotocore). Other services and operations are never wrapped.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai.instrumentor import GenAIInstrumentor, Patch

from .version import __version__


class BedrockInstrumentor(GenAIInstrumentor):
    """Instruments `converse`, `converse_stream`, `invoke_model` and `invoke_model_with_response_stream`."""

    instruments = ("botocore >= 1.34.116",)
    version = __version__

    def patches(self, **kwargs: Any) -> list[Patch]:
        from .surfaces import SURFACES, client_methods

        # aiobotocore's creator inherits this method: one row covers both SDKs.
        return [
            Patch("botocore.client", "ClientCreator", "_create_methods", SURFACES, None, make=client_methods)
        ]


__all__ = ["BedrockInstrumentor", "__version__"]
