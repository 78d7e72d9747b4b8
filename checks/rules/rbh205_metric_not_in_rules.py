"""Metric no longer used by rules: a runbook query uses a metric that the alerting and recording rules stopped using.

## What it does
Collects metric names from the runbook's PromQL: `promql` blocks, and untagged, `text`, `sh` and
`console` fences and inline code whose content is a PromQL expression (`checks.promql.looks_like_query`:
a shell command, a YAML mapping, a log line or prose never is), plus inline code that looks like a
metric (`http_requests_total`, `job:errors:rate5m`); and checks them against the metrics used by every rule
expression and the names of recording rules. By default it reports only metrics that the manifests'
git history shows were used by a rule and no longer are (the metric was probably renamed or
dropped); `flag_unknown: true` also reports query metrics no rule has ever used.

## Why it matters
Exporters rename metrics (`_seconds` vs `_milliseconds`, new prefixes). A query in a runbook that
returns "no data" during an incident looks like the system is healthy.

## Example
```promql
rate(checkout_http_requests_total{code=~"5.."}[5m])
```
after the rules moved to `http_server_requests_total`:
`runbooks/checkout.md:22:6  info  RBH205  metric `checkout_http_requests_total` is no longer used by any rule (dropped from the rules in 1a2b3c4d)  (did you mean `http_server_requests_total`)`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rule import Finding, RuleContext, RuleOptions, Severity

ID = "RBH205"
NAME = "metric-not-in-rules"
SEVERITY = Severity.info


class Options(RuleOptions):
    flag_unknown: bool = False  # also report query metrics that no rule ever used


def check(ctx: RuleContext) -> Iterator[Finding]:
    inv = ctx.inventory
    if "prometheus" not in inv.sources_seen:
        return
    used = set(inv.metrics_used) | inv.recorded_names
    history = ctx.history
    removed = history.removed_metrics if history is not None else {}
    for rb in ctx.runbooks:
        seen: set[str] = set()
        for ref in ctx.refs(rb, "metric"):
            if ref.name in used or ref.name in seen:
                continue
            base = ref.name
            for suffix in ("_bucket", "_count", "_sum"):
                if base.endswith(suffix) and base[: -len(suffix)] in used:
                    break
            else:
                if ref.name in removed:
                    note = f" (dropped from the rules in {removed[ref.name][:8]})"
                elif ctx.options.flag_unknown and ref.strength == "command":
                    note = ""
                else:
                    continue
                seen.add(ref.name)
                suggestion, source = ctx.suggest(ref.name, used)
                yield ctx.finding(rb.path, ref.line, ref.column, f"metric `{ref.name}` is no longer used by any rule{note}" if note else f"metric `{ref.name}` is not used by any rule",
                                  suggestion=suggestion, suggestion_source=source, reference=f"metric/{ref.name}",
                                  strength=ref.strength)
