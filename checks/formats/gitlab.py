"""GitLab Code Quality: the JSON report a merge request widget and diff view show.

A list of issues ``{description, check_name, fingerprint, severity, location: {path, lines: {begin}}}``
(GitLab's subset of the Code Climate format). GitLab compares fingerprints between the source and
target branch to show what a merge request introduced or fixed, so they must be stable and unique:
``Finding.fingerprint`` (rule, file, normalized reference; not the line) plus an occurrence number
for repeated identical findings. Suppressed findings are left out: GitLab has no notion of them.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import TextIO

from rbh.checks.formats._common import message_with_suggestion
from rbh.checks.model import CheckResult, Severity

SEVERITIES = {Severity.error: "major", Severity.warning: "minor", Severity.info: "info"}


def to_issues(result: CheckResult) -> list[dict]:
    seen: Counter[str] = Counter()
    issues = []
    for f in sorted(result.active, key=lambda f: (f.path, f.line, f.column, f.rule, f.message)):
        seen[f.fingerprint] += 1
        n = seen[f.fingerprint]
        fingerprint = f.fingerprint if n == 1 else hashlib.sha256(f"{f.fingerprint}:{n}".encode()).hexdigest()[:32]
        issues.append(
            {
                "type": "issue",
                "check_name": f"{f.rule} {f.name}",
                "description": message_with_suggestion(f),
                "categories": ["Bug Risk"],
                "fingerprint": fingerprint,
                "severity": SEVERITIES[f.severity],
                "location": {"path": f.path, "lines": {"begin": max(1, f.line)}},
            }
        )
    return issues


def render(result: CheckResult, out: TextIO, *, color: bool = False) -> None:
    """Write *result* as a GitLab Code Quality report (``color`` is ignored)."""
    from rbh.textsafe import inert_json

    out.write(inert_json(json.dumps(to_issues(result), indent=2, ensure_ascii=False)))  # see rbh.textsafe.inert_json
    out.write("\n")
