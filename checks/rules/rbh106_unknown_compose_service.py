"""Unknown compose service: `docker compose` names a service that no compose file defines.

## What it does
Parses `docker compose` / `docker-compose` commands (`logs`, `restart`, `exec`, `up`, `stop` ...)
and checks each service name against the compose files among the manifests. Runs only when at least
one compose file is configured.

Names in prose and inline code are reported as warnings, names in commands as errors (unless
the config sets a severity for the rule).

## Why it matters
`no such service: worker` is the compose equivalent of a NotFound; local and staging runbooks rot
the same way cluster runbooks do.

## Example
```bash
docker compose logs -f --tail 200 worker
```
when the service is now `jobs`:
`runbooks/local-dev.md:9:34  error  RBH106  compose service `worker` is not defined in any compose file (services: api, db, jobs)`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity

ID = "RBH106"
NAME = "unknown-compose-service"
SEVERITY = Severity.error
PROSE_SEVERITY = Severity.warning  # when the name is in a sentence or inline code rather than a command
Options = NoOptions


def check(ctx: RuleContext) -> Iterator[Finding]:
    inv = ctx.inventory
    if "compose" not in inv.sources_seen:
        return
    names = inv.compose_names()
    for rb in ctx.runbooks:
        for ref in ctx.refs(rb, "compose"):
            if ref.name in names:
                continue
            suggestion, source = ctx.suggest(ref.name, names)
            listed = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
            yield ctx.finding(rb.path, ref.line, ref.column,
                              f"compose service `{ref.name}` is not defined in any compose file (services: {listed})",
                              suggestion=suggestion, suggestion_source=source, reference=f"compose/{ref.name}",
                              strength=ref.strength)
