"""``python -m rbh.checks.refresh_worker ROOT``: store every runbook's findings for the current
state of the repository at ROOT (``rbh.checks.api.refresh_health``), in a process of its own.

``rbh index`` starts it through ``rbh.checks.api.start_health_refresh`` so that the checks run on
a second core while the index is updated. It prints nothing and exits 0 when the findings are
stored; when the checks fail it prints the exception's class name on one line (never its message:
it may quote a runbook) and exits 1. Nothing here is a user-facing command.
"""

from __future__ import annotations

import gc
import sys


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("UsageError")
        return 1
    try:
        from rbh.checks.api import refresh_health
        from rbh.project import load_project

        refresh_health(load_project(argv[1]))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the parent reports it
        return 130
    except Exception as exc:  # noqa: BLE001 - health is an extra; the parent prints one notice
        print(type(exc).__name__)
        return 1
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    gc.freeze()  # as rbh.cli.main: skip the collector's walk over every object at exit
    sys.exit(code)
