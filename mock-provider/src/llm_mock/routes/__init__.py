"""One module per provider wire protocol; each registers its routes with ``llm_mock.registry``.

Every module here is imported when the first server starts (in name order), so a new provider is
one new file. Shared request readers live in ``openai`` (OpenAI-shaped messages and usage).
"""
