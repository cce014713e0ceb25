"""Which provider LiteLLM routes a call to, as a `gen_ai.provider.name`, and the model without its prefix."""

from __future__ import annotations

import re
from typing import Any

from opentelemetry.semconv_ai import names
from opentelemetry.semconv_ai.request import NO_SERVER, Server, server_from_url

# gen_ai.provider.name -> LiteLLM's names for it.
_NAMES = {
    names.OPENAI: ("openai", "text-completion-openai"),
    names.AZURE_OPENAI: ("azure", "azure_text"),
    "azure.ai.inference": ("azure_ai",),
    names.ANTHROPIC: ("anthropic", "anthropic_text"),
    names.AWS_BEDROCK: ("bedrock",),
    "aws.sagemaker": ("sagemaker", "sagemaker_chat"),
    names.GCP_VERTEX_AI: ("vertex_ai", "vertex_ai_beta"),
    "gcp.gemini": ("gemini",),
    names.MISTRAL_AI: ("mistral", "codestral", "text-completion-codestral"),
    "cohere": ("cohere", "cohere_chat"),
    "ollama": ("ollama", "ollama_chat"),
    "together": ("together_ai",),
    "ibm.watsonx.ai": ("watsonx", "watsonx_text"),
    names.X_AI: ("xai",),
    names.GROQ: ("groq",),
    names.DEEPSEEK: ("deepseek",),
    names.PERPLEXITY: ("perplexity",),
}
_PROVIDERS = {litellm_name: name for name, aliases in _NAMES.items() for litellm_name in aliases}
UNKNOWN, OTHER = "unknown", "other"
MAX_LENGTH = MAX_UNKNOWN = 32  # characters of a name we do not map; such names kept
_UNSAFE = re.compile(r"[^a-z0-9_.]+")
_unknown: dict[str, str] = {}


def provider_name(litellm_provider: Any) -> str:
    """The label of a LiteLLM provider name: the conventions' where known, others normalised, capped
    in length and in number."""
    if not isinstance(litellm_provider, str) or not litellm_provider:
        return UNKNOWN
    name = _PROVIDERS.get(litellm_provider) or _unknown.get(litellm_provider)
    if name is not None:
        return name
    if len(_unknown) >= MAX_UNKNOWN:
        return OTHER
    name = _unknown[litellm_provider] = _UNSAFE.sub("_", litellm_provider.lower()[:MAX_LENGTH]).strip("_.")
    return name or UNKNOWN


def route(model: Any, kwargs: dict[str, Any]) -> tuple[Any, str, Server]:
    """(model without LiteLLM's `provider/` prefix, provider label, server) of one call."""
    if not isinstance(model, str):
        return model, UNKNOWN, NO_SERVER
    api_base = kwargs.get("api_base") or kwargs.get("base_url")
    try:
        from litellm import get_llm_provider

        model, provider, _, api_base = get_llm_provider(
            model=model, custom_llm_provider=kwargs.get("custom_llm_provider"), api_base=api_base
        )
    except Exception:  # LiteLLM cannot route it either: the call fails in LiteLLM, as it should
        prefix, _, rest = model.partition("/")
        model, provider = (rest, prefix) if rest else (model, None)
    return model, provider_name(provider), server_from_url(api_base)
