"""Hand-made check results and rule modules for the reporting tests (formats, suppression, baseline).

They do not depend on the engine or the real rule registry, so the golden files change only when a
format changes.
"""

from __future__ import annotations

import types

from rbh.checks.model import CheckResult, Finding, Severity
from rbh.runbook import parse_runbook


def fake_rule(rule_id: str, name: str, severity: Severity, summary: str) -> types.ModuleType:
    mod = types.ModuleType(f"fake_{name.replace('-', '_')}")
    mod.__doc__ = f"""{summary}

## What it does
Reports {name} findings.

## Why it matters
A responder trusts what the runbook says.

## Example
```bash
kubectl -n shop get deploy/cart
```
"""
    mod.ID, mod.NAME, mod.SEVERITY = rule_id, name, severity
    mod.Options = None
    return mod


FAKE_RULES = [
    fake_rule("RBH101", "unknown-workload", Severity.error, "A command names a workload no manifest defines."),
    fake_rule("RBH102", "wrong-namespace", Severity.error, "A command looks in the wrong namespace."),
    fake_rule("RBH302", "review-overdue", Severity.warning, "The runbook is past its review date."),
    fake_rule("RBH401", "runbook-missing", Severity.info, "A service has no runbook."),
]


def fake_docs():
    from rbh.checks.ruledocs import describe

    return [describe(m) for m in FAKE_RULES]


def finding(rule: str, path: str, line: int, message: str, **kw) -> Finding:
    mod = next(m for m in FAKE_RULES if m.ID == rule)
    kw.setdefault("column", 1)
    kw.setdefault("severity", mod.SEVERITY)
    return Finding(rule=rule, name=mod.NAME, path=path, line=line, message=message, **kw)


CART = """---
title: Cart
service: cart
---
# Cart

## Diagnosis

```bash
kubectl -n shop get deploy/cart
```
"""


def sample_result() -> CheckResult:
    """Every shape a renderer must handle: each severity, suggestions, special characters, each suppression."""
    findings = [
        finding("RBH101", "runbooks/cart.md", 10, "deployment `cart` not found in the manifests", column=21,
                suggestion="cart-api", suggestion_source="renamed in 1a2b3c4d", reference="Deployment/cart"),
        finding("RBH102", "runbooks/cart.md", 10, "deployment `cart-api` is in namespace `shop-core`, not `shop`",
                column=1, suggestion="kubectl -n shop-core ...", reference="Deployment/cart-api -n shop"),
        finding("RBH302", "runbooks/payments.md", 3, "review overdue: last reviewed 2026-01-02, every 90 days\n(due 2026-04-02)",
                reference="review", strength="front-matter"),
        finding("RBH101", "runbooks/payments.md", 20, "100% of `svc/a,b` calls fail: <none>", column=5,
                reference="Service/a,b", suppressed="inline", suppression_reason="legacy, removed in Q3"),
        finding("RBH101", "runbooks/payments.md", 24, "deployment `ledger` not found in the manifests",
                reference="Deployment/ledger", suppressed="snooze", suppression_reason="snoozed until 2026-12-31: migration"),
        finding("RBH401", "manifests/search.yaml", 1, "service `search` has no runbook", reference="search",
                strength="manifest", suppressed="baseline", suppression_reason="known debt, listed in .rbh-baseline.json"),
        finding("RBH401", "manifests/search.yaml", 40, "service `search-indexer` has no runbook (ümlaut ok)",
                reference="search-indexer", strength="manifest"),
    ]
    runbooks = [parse_runbook("runbooks/cart.md", CART), parse_runbook("runbooks/payments.md", "# Payments\n"),
                parse_runbook("runbooks/search.md", "# Search\n")]
    return CheckResult(findings=findings, runbooks=runbooks, files_checked=3,
                       notices=["runbooks/payments.md:7: snooze of RBH101 expired on 2026-01-01; its findings are reported again"])
