"""Reference apps and the offline demo for openllmetry.

Samples (each runnable with `python -m sample_app.<name>`): assistant, streaming, tools, fanout,
anthropic_cache, retrieval, zero_code. The demo: `python -m sample_app.demo`.
"""
