"""Throwaway virtual environments for the peers, installed from PyPI with `uv`.

Each peer is installed at its newest version together with the newest SDKs it accepts. When those
are not the SDK versions of this workspace, the reason (the resolver's words) goes into the table.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / ".bench"
INSTALL_TIMEOUT = 300
OTEL = ["opentelemetry-sdk", "opentelemetry-exporter-prometheus"]


@dataclass(frozen=True)
class Peer:
    name: str
    label: str
    packages: tuple[str, ...]
    providers: frozenset[str]
    modules: tuple[str, ...]  # what must import for the peer to run at all
    extras: tuple[str, ...] = ()
    extras_note: str = ""
    fallback: tuple[str, ...] = ()  # requirements to try when the newest release does not import


PEERS = (
    Peer(
        "traceloop", "Traceloop OpenLLMetry",
        ("opentelemetry-instrumentation-openai", "opentelemetry-instrumentation-anthropic"),
        frozenset({"openai", "anthropic"}),
        ("opentelemetry.instrumentation.openai", "opentelemetry.instrumentation.anthropic"),
    ),
    Peer("openlit", "OpenLIT", ("openlit",), frozenset({"openai", "anthropic"}), ("openlit",)),
    Peer(
        "otel-v2", "OTel contrib openai-v2", ("opentelemetry-instrumentation-openai-v2",),
        frozenset({"openai"}), ("opentelemetry.instrumentation.openai_v2",),
        extras=("httpx",), extras_note="imports httpx, which openai 3.x no longer installs: httpx added",
        fallback=("opentelemetry-instrumentation-openai-v2<2.4", "wrapt<2"),
    ),
)  # fmt: skip


@dataclass
class Installed:
    peer: Peer
    python: Path | None
    versions: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def _uv(args: list[str], timeout: int = INSTALL_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["uv", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def _reason(stderr: str) -> str:
    """The resolver's explanation, shortened to its first clause."""
    text = " ".join(line.strip() for line in stderr.splitlines() if line.strip())
    match = re.search(r"Because (.+?)(?: and you require| we can conclude|$)", text)
    reason = match.group(1) if match else text
    return reason[:200]


def _versions(python: Path) -> dict[str, str]:
    listing = _uv(["pip", "list", "--python", str(python), "--format", "json"])
    return {item["name"].lower(): item["version"] for item in json.loads(listing.stdout or "[]")}


def _import_error(python: Path, peer: Peer) -> str | None:
    code = "; ".join(f"import {module}" for module in peer.modules)
    try:
        done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "importing timed out"
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1][:200] if lines else f"exit status {done.returncode}"


def install(peer: Peer, sdk: dict[str, str], reuse: bool = False) -> Installed:
    """A venv for `peer`; `sdk` holds this workspace's openai and anthropic versions."""
    venv = VENVS / f"peer-{peer.name}"
    python = venv / "bin" / "python"
    notes_file = venv / "bench-notes.json"  # what the install found, for --reuse-peers
    reused = reuse and python.exists() and notes_file.exists()
    try:
        if not reused:
            shutil.rmtree(venv, ignore_errors=True)
            made = _uv(["venv", "--quiet", "--python", sys.executable, str(venv)])
            if made.returncode != 0:
                return Installed(peer, None, error=f"could not create a venv: {made.stderr.strip()[:200]}")
            wanted = [*peer.packages, *peer.extras, *OTEL, "openai", "anthropic"]
            done = _uv(["pip", "install", "--quiet", "--python", str(python), *wanted])
            if done.returncode != 0:
                return Installed(peer, None, error=f"could not install: {_reason(done.stderr)}")
    except subprocess.TimeoutExpired:
        return Installed(peer, None, error=f"could not install within {INSTALL_TIMEOUT} s")
    notes = [peer.extras_note] if peer.extras_note else []
    broken = _import_error(python, peer)
    if broken and peer.fallback:
        newest = _versions(python)
        try:
            _uv(["pip", "install", "--quiet", "--python", str(python), *peer.fallback])
        except subprocess.TimeoutExpired:
            pass
        still = _import_error(python, peer)
        if not still:
            tried = ", ".join(f"{name} {newest.get(name, '?')}" for name in peer.packages)
            notes.append(f"{tried} (newest) fails to import ({broken}); measured {' '.join(peer.fallback)}")
        broken = still
    if broken:
        return Installed(peer, None, error=f"could not run: {broken}")
    if reused:
        notes = json.loads(notes_file.read_text())
    else:
        notes_file.write_text(json.dumps(notes))
    versions = _versions(python)
    result = Installed(peer, python, versions, notes)
    behind = {name: versions.get(name) for name in sdk if versions.get(name) != sdk[name]}
    if behind:
        pins = [f"{name}=={versions.get(name, '')}" for name in peer.packages]
        pins += [f"{name}=={version}" for name, version in sdk.items()]
        try:
            check = _uv(["pip", "install", "--dry-run", "--quiet", "--python", str(python), *pins])
            why = _reason(check.stderr) if check.returncode != 0 else "resolver preferred older SDKs"
        except subprocess.TimeoutExpired:
            why = "resolution timed out"
        current = "/".join(f"{name} {version}" for name, version in sdk.items())
        result.notes.append(f"cannot install with {current}: {why}")
    return result
