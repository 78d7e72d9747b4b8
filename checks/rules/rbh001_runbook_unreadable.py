"""Runbook unreadable: a runbook file that cannot be read or parsed, fully or in part.

## What it does
Reports what the runbook parser could not read: front matter that is not valid YAML or not closed,
a front matter field with the wrong type, bytes that are not UTF-8, a binary file named `.md`, a
file over the size limit, a code fence that is never closed. Hostile input is reported here too,
never a crash or a hang: a file name that is not UTF-8 (named with `\\xNN` escapes, not read),
front matter whose YAML aliases expand past a budget (an alias bomb) or that nests too deeply, and
a lone surrogate escape (`"\\ud800"`), which no output can encode (replaced with U+FFFD).

## Why it matters
A runbook whose front matter is broken loses its alerts, owner and review date, so every other check
silently skips it; an unterminated fence swallows the rest of the page. The check names the file and
line so the problem is fixed instead of hidden.

## Example
```markdown
---
title: Checkout latency
alerts: [CheckoutHighLatency
---
```
`runbooks/checkout.md:3:1  error  RBH001  front matter is not valid YAML: ...`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity

ID = "RBH001"
NAME = "runbook-unreadable"
SEVERITY = Severity.error
Options = NoOptions

_SEVERITY_BY_CODE = {"front-matter": Severity.error, "parse": Severity.error, "binary": Severity.warning,
                     "too-large": Severity.warning, "encoding": Severity.warning, "fence": Severity.warning}


def check(ctx: RuleContext) -> Iterator[Finding]:
    for rb in ctx.runbooks:
        for p in rb.problems:
            yield ctx.finding(rb.path, p.line, p.column, p.message, severity=_SEVERITY_BY_CODE.get(p.code, Severity.error),
                              reference=f"{p.code}:{p.message}", strength="front-matter" if p.code == "front-matter" else "prose")
