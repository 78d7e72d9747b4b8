"""Machine output: ``{"version", "findings": [Finding.as_dict()...], "summary", "notices"}``.

Suppressed findings are included and marked (``"suppressed": "inline" | "snooze" | "baseline"``);
``summary`` counts only active ones per severity, then ``suppressed`` (all of them) and ``known`` (those
the baseline suppressed).
"""

from __future__ import annotations

import json as _json
from typing import TextIO

from rbh.checks.model import CheckResult

SCHEMA_VERSION = 1


def as_data(result: CheckResult) -> dict:
    from rbh.checks.formats._common import summary
    from rbh import __version__

    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "rbh", "version": __version__},
        "findings": [f.as_dict() for f in result.findings],
        "summary": summary(result),
        "notices": list(result.notices),
    }


def render(result: CheckResult, out: TextIO, *, color: bool = False) -> None:
    from rbh.textsafe import inert_json

    # inert_json: printed into a CI log, no message can become a workflow command (same data)
    out.write(inert_json(_json.dumps(as_data(result), indent=2, ensure_ascii=False)))
    out.write("\n")
