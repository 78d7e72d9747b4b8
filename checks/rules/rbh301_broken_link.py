"""Broken link: a relative markdown link to a file that does not exist in the repository.

## What it does
Resolves every relative link and image (`[escalation](../escalation.md)`, `![graph](img/p99.png)`)
against the runbook's folder and checks that the file exists (a folder with `index.md` or
`README.md` counts). Links that would leave the repository are reported too; external URLs are not
fetched.

## Why it matters
Runbooks lean on each other ("then follow the database failover runbook"). A dead link in the middle
of a procedure leaves the responder without the next step.

## Example
```markdown
See [the failover runbook](../postgres/failover.md).
```
`runbooks/checkout/db.md:14:5  error  RBH301  link target `../postgres/failover.md` does not exist  (did you mean `../postgres/fail-over.md`)`
"""

from __future__ import annotations

import posixpath
from typing import Iterator
from urllib.parse import unquote

from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity
from rbh.checks.suggest import best_match
from rbh.paths import safe_relpath

ID = "RBH301"
NAME = "broken-link"
SEVERITY = Severity.error
Options = NoOptions


def resolve_link(ctx: RuleContext, source: str, target: str) -> tuple[str | None, bool]:
    """(repository path the link names, whether it exists); path None when it leaves the repository."""
    target = unquote(target.split("?", 1)[0])
    if target.startswith("/"):
        rel = safe_relpath(ctx.root, target.lstrip("/"))
        if rel is not None and rel not in ctx.files and ctx.runbook_folder:
            alt = safe_relpath(ctx.root, f"{ctx.runbook_folder}/{target.lstrip('/')}")
            if alt is not None and (alt in ctx.files or alt in ctx.directories):
                rel = alt
    else:
        rel = safe_relpath(ctx.root, posixpath.join(posixpath.dirname(source), target))
    if rel is None:
        return None, False
    if rel in ctx.files:
        return rel, True
    if rel in ctx.directories:
        return rel, True  # a folder: the site or the repository view lists it
    if not rel.endswith(".md") and f"{rel.rstrip('/')}.md" in ctx.files:  # MkDocs-style link to a page without extension
        return f"{rel.rstrip('/')}.md", True
    return rel, False


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def check(ctx: RuleContext) -> Iterator[Finding]:
    for rb in ctx.runbooks:
        for ref in ctx.refs(rb, "link"):
            if not ref.name:
                continue
            rel, exists = resolve_link(ctx, rb.path, ref.name)
            if exists:
                continue
            if rel is None:
                yield ctx.finding(rb.path, ref.line, ref.column, f"link target `{ref.name}` points outside the repository",
                                  reference=f"link/{ref.name}", strength=ref.strength)
                continue
            ext = rel.rsplit(".", 1)[-1] if "." in rel.rsplit("/", 1)[-1] else ""
            pool = [f for f in ctx.files if f.endswith("." + ext)] if ext else list(ctx.files)
            # the calibrated rule of every "did you mean": file names compared (not whole paths, whose
            # shared folders made unrelated files look alike), never an index page; nearer folders win
            stem = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            same_folder = [f for f in pool if f.rsplit("/", 1)[0] == rel.rsplit("/", 1)[0]]
            best = best_match(stem, same_folder, key=_stem) or best_match(stem, pool, key=_stem)
            suggestion = posixpath.relpath(best, posixpath.dirname(rb.path) or ".") if best else None
            yield ctx.finding(rb.path, ref.line, ref.column, f"link target `{ref.name}` does not exist",
                              suggestion=suggestion, reference=f"link/{ref.name}", strength=ref.strength)
