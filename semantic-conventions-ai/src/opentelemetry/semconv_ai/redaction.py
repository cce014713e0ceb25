"""Secrets that never leave the process: the patterns, and the keys whose values are always hidden.

Applied to captured content (capture on), to exception messages recorded with capture on, and to
every model and workflow name (capture on or off), since a key pasted into `model=` would otherwise
become a span name and a label. The list is documented in `docs/operations.md`; each class has a
test in `tests/reliability/test_redaction.py`.

A hand list, not a detector package: `detect-secrets` (last release 2024) scans files line by line
with entropy plugins that flag ordinary hashes and base64, reports findings rather than spans to
replace, and would pull `requests` and `pyyaml` into a core whose only dependency is the
OpenTelemetry API. These patterns are one compiled regular expression, run once per string.
"""

from __future__ import annotations

import base64
import re

REDACTED = "[REDACTED]"

# Each alternative is one documented class; the value part is replaced, a keyword prefix is kept.
_PATTERNS = (
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
    r"\bsk-[A-Za-z0-9_\-]{8,}",  # OpenAI (sk-, sk-proj-, short legacy keys), Anthropic (sk-ant-)
    r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{8,}",  # Stripe secret and restricted keys
    r"\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA)[0-9A-Z]{16}\b",  # AWS access key ids
    r"\bAIza[0-9A-Za-z_\-]{30,}",  # Google API keys
    r"\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}",  # GitHub tokens
    r"\bxox[abposre]-[A-Za-z0-9\-]{8,}",  # Slack tokens
    r"\bglpat-[A-Za-z0-9_\-]{16,}",  # GitLab personal access tokens
    r"\bhf_[A-Za-z0-9]{20,}",  # Hugging Face tokens
    r"\beyJ[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]*",  # JWTs (and other JWS/JWE)
    r"(?i:\bbearer)(?:\s*:\s*|\s+)[A-Za-z0-9._~+/\-]{8,}=*",  # Bearer tokens, with or without the space
    r"(?i:\bbasic)(?:\s*:\s*|\s+)(?P<basic>[A-Za-z0-9+/]{6,}={0,2})",  # Basic credentials (base64 user:pass)
    r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)",  # user:password@ in URLs
    # key=value / "key": "value" for secret-named keys (URL query strings, env dumps, JSON text).
    r"(?i:(?<![A-Za-z0-9])(?:[a-z0-9]+[_\-])*(?:password|passwd|pwd|secret|token|api[_\-]?key|apikey"
    r"|access[_\-]?key|private[_\-]?key|signature|sig|credential|credentials|auth))"
    r"[\"']?\s*[:=]\s*[\"']?(?P<value>[^\s\"',;&}\]]{3,})",
)
_SECRET = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))

# Keys (normalised: lower case, `-` as `_`) whose values are hidden whatever they look like.
_SECRET_KEY = re.compile(
    r"^(?:[a-z0-9]+_)*(?:password|passwd|pwd|secret|client_secret|token|access_token|refresh_token"
    r"|id_token|session_token|api_key|apikey|access_key|secret_key|private_key|authorization|auth"
    r"|cookie|set_cookie|credential|credentials|signature)$"
)


def _is_basic_credential(value: str) -> bool:
    try:
        return b":" in base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except ValueError:
        return False


def _replace(match: re.Match[str]) -> str:
    basic = match.group("basic")
    if basic is not None:
        return REDACTED if _is_basic_credential(basic) else match.group(0)
    value = match.group("value")
    if value is None:
        return REDACTED
    start = match.start("value") - match.start()
    return match.group(0)[:start] + REDACTED


def redact_secrets(text: str) -> str:
    """`text` with every secret-looking run replaced by `[REDACTED]`."""
    return _SECRET.sub(_replace, text)


def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a secret (`password`, `access_token`, `X-Api-Key`, ...)."""
    return bool(_SECRET_KEY.match(key.lower().replace("-", "_")))
