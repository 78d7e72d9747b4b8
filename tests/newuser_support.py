"""What the new-user trial tests share: run `rbh check` on a real repository the way CI does (JSON,
never failing) and list its findings in a form a test compares exactly."""

from __future__ import annotations

import json
from pathlib import Path

from ask_support import cli


def check(root: Path) -> dict:
    code, out, err = cli(["check", "--repo", str(root), "--format", "json", "--fail-on", "never"])
    assert code == 0 and "Traceback" not in err, err
    return json.loads(out)


def found(report: dict) -> list[tuple[str, str, int, str]]:
    return [(f["rule"], f["path"], f["line"], f["message"]) for f in report["findings"]]
