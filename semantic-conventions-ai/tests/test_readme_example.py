"""The README's worked example (a Groq instrumentor and its conformance test) runs as it is written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("groq")

README = Path(__file__).resolve().parents[1] / "README.md"
SOURCE = re.search(r"## A worked example.*?```python\n(.*?)```", README.read_text(), re.S).group(1)  # type: ignore[union-attr]

exec(compile(SOURCE, str(README), "exec"))  # defines TestGroqConformance for pytest to collect


def test_example_is_short() -> None:
    assert len([line for line in SOURCE.splitlines() if line.strip()]) <= 60
