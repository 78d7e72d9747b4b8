"""Unknown ConfigMap key or env name: a setting name the runbook tells you to read or change does not exist.

## What it does
Checks environment variable names and ConfigMap/Secret keys named by the runbook: `kubectl set env
deploy/X NAME=value`, `kubectl get cm X -o jsonpath='{.data.KEY}'`, and `UPPER_SNAKE_CASE` names in
inline code. A name is known when a container declares it in `env`, a compose service in
`environment`, or a ConfigMap or Secret has it as a key (Secret values are never read). Commands
that name a workload or ConfigMap are checked against that object; inline code against everything,
and reported as info only (an upper-case word in a sentence may not be a setting at all).

## Why it matters
"Raise `CHECKOUT_DB_POOL_SIZE`" is a common mitigation step. When the setting was renamed, the
change silently does nothing while the responder waits for it to take effect.

## Example
```bash
kubectl -n checkout set env deploy/checkout DB_POOL=50
```
`runbooks/checkout.md:51:45  warning  RBH207  `DB_POOL` is not an env name or ConfigMap key of deployment `checkout`  (did you mean `DB_POOL_SIZE`)`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.inventory import KeyedObject, Workload
from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity

ID = "RBH207"
NAME = "unknown-config-key"
SEVERITY = Severity.warning
PROSE_SEVERITY = Severity.info  # an UPPER_SNAKE_CASE word in a sentence may not be a setting at all
Options = NoOptions


def _all_names(inv) -> set[str]:
    names: set[str] = set()
    for w in inv.workloads:
        names |= w.env_names
    for obj in (*inv.configmaps, *inv.secrets):
        names |= set(obj.keys)
    for s in inv.compose_services:
        names |= set(s.environment)
    return names


def check(ctx: RuleContext) -> Iterator[Finding]:
    inv = ctx.inventory
    if not inv.workloads and not inv.configmaps and not inv.compose_services:
        return
    everything = _all_names(inv)
    for rb in ctx.runbooks:
        for ref in ctx.refs(rb, "env", "config-key"):
            scope = "any container env, compose environment or ConfigMap/Secret key"
            pool = everything
            targets = [t for t in ref.extra.get("targets", "").split(",") if t]
            if targets and ref.strength == "command":
                pool = set()
                scoped: list[str] = []
                for target in targets:
                    kind, _, name = target.partition("/")
                    for obj in inv.get(kind, name, ref.namespace) or inv.get(kind, name):
                        scoped.append(f"{kind.lower()} `{name}`")
                        if isinstance(obj, Workload):
                            pool |= obj.env_names
                            for cm in obj.configmaps:
                                for c in inv.get("ConfigMap", cm, obj.namespace):
                                    if isinstance(c, KeyedObject):
                                        pool |= set(c.keys)
                        elif isinstance(obj, KeyedObject):
                            pool |= set(obj.keys)
                if not scoped:
                    continue  # the target itself is unknown: RBH101 reports it
                scope = " or ".join(sorted(set(scoped)))
            if ref.name in pool:
                continue
            suggestion, _ = ctx.suggest(ref.name, pool, renames=False)
            yield ctx.finding(rb.path, ref.line, ref.column, f"`{ref.name}` is not an env name or ConfigMap key of {scope}",
                              suggestion=suggestion, reference=f"env/{ref.name}", strength=ref.strength)
