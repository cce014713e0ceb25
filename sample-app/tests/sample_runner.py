"""Runs sample mains side by side: `python sample_runner.py OUTDIR name=port ...`.

The sample modules are imported once; each `main()` then runs in its own forked child (fresh
OpenTelemetry state, its own /metrics port), with stdout and stderr in OUTDIR/<name>.out. Exits
non-zero if any sample failed.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback


def main() -> int:
    outdir, specs = sys.argv[1], [spec.split("=") for spec in sys.argv[2:]]
    modules = {name: importlib.import_module(f"sample_app.{name}") for name, _ in specs}
    # Load once what every child would load on its own: the instrumentors and the price data.
    from genai_prices import data_snapshot

    data_snapshot.get_snapshot()
    children = []
    for name, port in specs:
        pid = os.fork()
        if pid == 0:  # the child: no thread exists yet, so forking here is safe
            code = 1
            with open(os.path.join(outdir, f"{name}.out"), "w") as out:
                os.dup2(out.fileno(), 1)
                os.dup2(out.fileno(), 2)
                os.environ["OTEL_EXPORTER_PROMETHEUS_PORT"] = port
                sys.argv = [name]
                try:
                    modules[name].main()
                    code = 0
                except BaseException:
                    traceback.print_exc()
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
            os._exit(code)
        children.append(pid)
    failed = 0
    for pid in children:
        _, status = os.waitpid(pid, 0)
        failed += os.waitstatus_to_exitcode(status) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
