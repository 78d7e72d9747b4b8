"""Unknown compose service: `docker compose` names a service that no compose file defines.

## What it does
Parses `docker compose` / `docker-compose` commands (`logs`, `restart`, `exec`, `up`, `stop` ...)
and checks each service name against the compose files among the manifests. Runs only when at least
one compose file is configured.

Names in prose and inline code are reported as warnings, names in commands as errors (unless
the config sets a severity for the rule).

When the repository holds several compose projects (compose files in more than one folder) and a
page names none of their services (nor one their history had), sits in none of their folders and
names none of those folders, its commands run a compose project the repository does not hold (an
operations log running another project's `docker-compose exec backend` on a server): not judged.

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

import posixpath
from typing import TYPE_CHECKING, Iterator

from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity

if TYPE_CHECKING:
    from rbh.checks.references import Reference

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
    folders = {posixpath.dirname(s.loc.path) for s in inv.compose_services}
    for rb in ctx.runbooks:
        refs = ctx.refs(rb, "compose")
        if refs and _another_project(ctx, rb.path, rb.text, refs, names, folders):
            continue
        for ref in refs:
            if ref.name in names:
                continue
            suggestion, source = ctx.suggest(ref.name, names)
            listed = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
            yield ctx.finding(rb.path, ref.line, ref.column,
                              f"compose service `{ref.name}` is not defined in any compose file (services: {listed})",
                              suggestion=suggestion, suggestion_source=source, reference=f"compose/{ref.name}",
                              strength=ref.strength)


def _another_project(ctx: RuleContext, path: str, text: str, refs: list[Reference], names: list[str], folders: set[str]) -> bool:
    """True when the page's compose commands are about none of the repository's compose projects."""
    if len(folders) < 2:
        return False  # one project: every compose command on a page is about it
    known = set(names)
    if any(ref.name in known for ref in refs):
        return False
    history = ctx.history
    if history is not None and any(ref.name in history.removed or history.renamed_to(ref.name, known) for ref in refs):
        return False
    page_folder = posixpath.dirname(path)
    return not any(f == "" or page_folder == f or page_folder.startswith(f + "/") or f in text for f in folders)
