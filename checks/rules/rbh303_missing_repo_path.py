"""Missing repository path: a runbook names a file or folder of this repository that does not exist.

## What it does
Checks inline code that looks like a repository path (`manifests/checkout/deployment.yaml`,
`scripts/failover.sh`) and the files of `kubectl apply/diff/delete -f PATH`, when they start with a
top-level folder that exists in the repository. A path that exists relative to a folder above the
runbook (a project's folder in a monorepo) counts. Paths outside the repository's known folders
(`/etc/nginx/nginx.conf`, `deploy/checkout`) are not checked, nor a path that is the text of a link
to another repository or site ("See [`src/close.rs`](https://github.com/org/bot/blob/HEAD/src/close.rs)"
names a file of the repository it links to); a link to this repository (its git remotes, `site.url`,
`check.runbook_urls.prefixes`) is checked.

## Why it matters
"Edit `manifests/checkout/hpa.yaml`" sends a responder to a file that moved; they lose time and may
edit the wrong one.

## Example
`runbooks/checkout.md:60:9  warning  RBH303  repository path `manifests/checkout/hpa.yaml` does not exist  (did you mean `manifests/checkout/autoscaling.yaml`)`
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity
from rbh.checks.suggest import nearest, same_name_nearest

ID = "RBH303"
NAME = "missing-repo-path"
SEVERITY = Severity.warning
Options = NoOptions


def _under_an_ancestor(ctx: RuleContext, runbook: str, path: str) -> bool:
    """Whether *path* exists relative to a folder above the runbook: in a monorepo a project's
    runbooks name its files from the project's folder (`assets/pbs/jobs.yaml` in
    `projects/p2/assets/runbooks/backup.md` is `projects/p2/assets/pbs/jobs.yaml`)."""
    folder = runbook.rsplit("/", 1)[0] if "/" in runbook else ""
    while folder:
        candidate = f"{folder}/{path}"
        if candidate in ctx.files or candidate in ctx.directories:
            return True
        folder = folder.rsplit("/", 1)[0] if "/" in folder else ""
    return False


def _remote_keys(repo: Any) -> set[str]:
    """``host/owner/repo`` of each git remote (``https://github.com/o/r.git``, ``git@github.com:o/r``),
    lower-case; credentials in a remote URL are dropped, never shown."""
    keys: set[str] = set()
    try:
        urls = [u for remote in (repo.remotes if repo is not None else []) for u in remote.urls]
    except Exception:  # noqa: BLE001 - a broken remote config means no remote, not a failed check
        return keys
    for url in urls:
        m = _REMOTE.match(url.strip())
        if m:
            keys.add(f"{m.group('host')}/{m.group('path').strip('/').removesuffix('.git')}".lower())
    return keys


_REMOTE = re.compile(r"^(?:[a-z+]+://)?(?:[^@/]+@)?(?P<host>[A-Za-z0-9.-]+\.[A-Za-z]{2,})(?::\d+)?[:/](?P<path>[^?#]+)$")


def _links_elsewhere(ctx: RuleContext, url: str, remotes: set[str]) -> bool:
    """Whether *url* leaves this repository: not under one of its git remotes and not a URL of its
    own site (``site.url``, ``check.runbook_urls.prefixes``)."""
    bare = url.split("://", 1)[-1].lstrip("/").lower()
    if any(bare == key or bare.startswith(key + "/") for key in remotes):
        return False
    return not ctx.url_resolver.resolve(url).managed


def check(ctx: RuleContext) -> Iterator[Finding]:
    remotes: set[str] | None = None
    for rb in ctx.runbooks:
        for ref in ctx.refs(rb, "path"):
            url = ref.extra.get("link")
            if url:
                if remotes is None:
                    remotes = _remote_keys(ctx.repo)
                if _links_elsewhere(ctx, url, remotes):
                    continue
            path = ref.name.rstrip("/")
            top = path.split("/", 1)[0]
            if top not in ctx.top_level or top.startswith("."):
                continue
            if path in ctx.files or path in ctx.directories or _under_an_ancestor(ctx, rb.path, path):
                continue
            # a file moved into another folder keeps its name: that file, nearest the old place first
            suggestion = (same_name_nearest(path, path, sorted(ctx.files), unique=True)
                          or nearest(path, ctx.files | ctx.directories, cutoff=0.75))
            yield ctx.finding(rb.path, ref.line, ref.column, f"repository path `{ref.name}` does not exist",
                              suggestion=suggestion, reference=f"path/{path}", strength=ref.strength)
