"""Which provider LiteLLM routes a call to, as a `gen_ai.provider.name`, and the model without its prefix."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.semconv_ai import names

logger = logging.getLogger(__name__)

# LiteLLM's provider names -> the conventions' values (or this project's, for those the conventions lack).
_PROVIDERS = {
    "openai": names.OPENAI,
    "text-completion-openai": names.OPENAI,
    "azure": names.AZURE_OPENAI,
    "azure_text": names.AZURE_OPENAI,
    "azure_ai": "azure.ai.inference",
    "anthropic": names.ANTHROPIC,
    "anthropic_text": names.ANTHROPIC,
    "bedrock": names.AWS_BEDROCK,
    "sagemaker": "aws.sagemaker",
    "vertex_ai": names.GCP_VERTEX_AI,
    "vertex_ai_beta": names.GCP_VERTEX_AI,
    "gemini": "gcp.gemini",
    "mistral": names.MISTRAL_AI,
    "codestral": names.MISTRAL_AI,
    "text-completion-codestral": names.MISTRAL_AI,
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "groq": names.GROQ,
    "together_ai": "together",
    "ollama": "ollama",
    "ollama_chat": "ollama",
    "deepseek": names.DEEPSEEK,
    "xai": names.X_AI,
    "perplexity": names.PERPLEXITY,
    "watsonx": "ibm.watsonx.ai",
    "watsonx_text": "ibm.watsonx.ai",
}
UNKNOWN = "unknown"
OTHER = "other"
MAX_PROVIDER_LENGTH = 32
MAX_UNKNOWN_PROVIDERS = 32
_UNSAFE = re.compile(r"[^a-z0-9_.]+")
_unknown: dict[str, str] = {}


def provider_name(litellm_provider: Any) -> str:
    """The label value of a LiteLLM provider name; names we do not map are normalised and capped."""
    if not isinstance(litellm_provider, str) or not litellm_provider:
        return UNKNOWN
    known = _PROVIDERS.get(litellm_provider)
    if known is not None:
        return known
    seen = _unknown.get(litellm_provider)
    if seen is not None:
        return seen
    name = _UNSAFE.sub("_", litellm_provider.lower()[:MAX_PROVIDER_LENGTH]).strip("_.") or UNKNOWN
    if len(_unknown) >= MAX_UNKNOWN_PROVIDERS:
        return OTHER
    _unknown[litellm_provider] = name
    return name


def route(model: Any, kwargs: dict[str, Any]) -> tuple[Any, str, str | None, int | None]:
    """(model without LiteLLM's `provider/` prefix, provider label, server host, port) of one call."""
    if not isinstance(model, str):
        return model, UNKNOWN, None, None
    api_base = kwargs.get("api_base") or kwargs.get("base_url")
    try:
        from litellm import get_llm_provider

        bare, provider, _, api_base = get_llm_provider(
            model=model, custom_llm_provider=kwargs.get("custom_llm_provider"), api_base=api_base
        )
    except Exception:  # LiteLLM cannot route it either: the call will fail in LiteLLM
        logger.debug("LiteLLM found no provider for %r", model, exc_info=True)
        prefix, _, rest = model.partition("/")
        bare, provider = (rest, prefix) if rest else (model, None)
    host, port = _server(api_base)
    return bare, provider_name(provider), host, port


def _server(api_base: Any) -> tuple[str | None, int | None]:
    if not isinstance(api_base, str) or not api_base:
        return None, None
    try:
        url = urlsplit(api_base)
        host = url.hostname
        port = url.port or (443 if url.scheme == "https" else 80)
    except ValueError:
        return None, None
    return host, port if host else None
