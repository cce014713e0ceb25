#!/usr/bin/env sh
# Prints a command that runs uv, installing uv with pip first when it is missing.
# A fresh machine needs only python3 (with pip), git and make.
set -e
if command -v uv >/dev/null 2>&1; then echo uv; exit 0; fi
if python3 -m uv --version >/dev/null 2>&1; then echo "python3 -m uv"; exit 0; fi
echo "uv not found: installing it with pip (user site)" >&2
python3 -m pip install --quiet --user uv >&2 2>/dev/null \
  || python3 -m pip install --quiet --user --break-system-packages uv >&2 \
  || python3 -m pip install --quiet uv >&2 \
  || { echo "could not install uv with pip; install it (pip install uv) and retry" >&2; exit 1; }
python3 -m uv --version >/dev/null 2>&1 && { echo "python3 -m uv"; exit 0; }
echo "uv was installed but cannot be run" >&2
exit 1
