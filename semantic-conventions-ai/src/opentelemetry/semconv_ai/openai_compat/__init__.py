"""The mapping of OpenAI-shaped APIs, for any SDK generated from them; it imports no SDK.

Groq, Together, DeepSeek, xAI, Fireworks, Cerebras, Perplexity and OpenAI itself return objects of
the same shape, read here by attribute. A provider then needs only its surfaces and its name:
`Patch("groq.resources.chat.completions", "Completions", "create", ChatCompletions("groq"))`.
"""

from .chunks import ChoiceChunks
from .messages import (
    chat_input,
    choices_answered,
    choices_output,
    content_parts,
    prompt_input,
    tool_definitions,
)
from .readers import output_type, read_choices, read_raw, read_usage, server_of
from .surfaces import (
    CHAT_PARAMS,
    EMBEDDINGS_PARAMS,
    TEXT_PARAMS,
    ChatCompletions,
    Embeddings,
    OpenAICompatSurface,
    TextCompletions,
)

__all__ = [
    "CHAT_PARAMS",
    "EMBEDDINGS_PARAMS",
    "TEXT_PARAMS",
    "ChatCompletions",
    "ChoiceChunks",
    "Embeddings",
    "OpenAICompatSurface",
    "TextCompletions",
    "chat_input",
    "choices_answered",
    "choices_output",
    "content_parts",
    "output_type",
    "prompt_input",
    "read_choices",
    "read_raw",
    "read_usage",
    "server_of",
    "tool_definitions",
]
