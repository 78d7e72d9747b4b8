"""Missing repository path: a runbook names a file or folder of this repository that does not exist.

## What it does
Checks inline code that looks like a repository path (`manifests/checkout/deployment.yaml`,
`scripts/failover.sh`) and the files of `kubectl apply/diff/delete -f PATH`, when they start with a
top-level folder that exists in the repository. A path that exists relative to a folder above the
runbook (a project's folder in a monorepo) counts. A bare file name given to `kubectl -f` on a page
whose folder holds YAML files (an example's `README.md` beside its manifests) and that is like one of
them (the same words in another order, or a close spelling) is a stale name for it. Paths outside the repository's known folders
(`/etc/nginx/nginx.conf`, `deploy/checkout`) are not checked, nor a path that is the text of a link
to another repository or site ("See [`src/close.rs`](https://github.com/org/bot/blob/HEAD/src/close.rs)"
names a file of the repository it links to); a link to this repository (its git remotes, `site.url`,
`check.runbook_urls.prefixes`) is checked. After a shell block's relative `cd DIR` into a folder the
repository does not have (another project's checkout: `cd srv/obf`), relative paths up to the next
heading or `cd` are that project's and are not checked ("add the `html/data-field.txt` file to git").
A path with placeholder segments in capitals (`config/clusters/CLUSTER_NAME/HUB_NAME.values.yaml`)
counts when some file fits it.

## Why it matters
"Edit `manifests/checkout/hpa.yaml`" sends a responder to a file that moved; they lose time and may
edit the wrong one.

## Example
`runbooks/checkout.md:60:9  warning  RBH303  repository path `manifests/checkout/hpa.yaml` does not exist  (did you mean `manifests/checkout/autoscaling.yaml`)`
"""

from __future__ import annotations

import posixpath
import re
from typing import Iterator

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


# a segment in capitals with an underscore stands for a name: `config/clusters/CLUSTER_NAME/HUB_NAME.values.yaml`
_CAPS_SEGMENT = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


def _an_instance_exists(ctx: RuleContext, path: str) -> bool:
    """Whether *path* with its placeholder segments (``CLUSTER_NAME``, ``HUB_NAME`` before a suffix)
    read as wildcards names an existing file or folder: a generic path, instances of which exist."""
    parts = path.split("/")
    pattern = [re.escape(p) if not (m := _CAPS_SEGMENT.match(p)) else "[^/]+" + re.escape(p[m.end():]) for p in parts]
    if pattern == [re.escape(p) for p in parts]:
        return False
    rx = re.compile("/".join(pattern))
    return any(rx.fullmatch(f) for f in ctx.files) or any(rx.fullmatch(d) for d in ctx.directories)


def _links_elsewhere(ctx: RuleContext, url: str, remotes: set[str]) -> bool:
    """Whether *url* leaves this repository: not under one of its git remotes and not a URL of its
    own site (``site.url``, ``check.runbook_urls.prefixes``)."""
    bare = url.split("://", 1)[-1].lstrip("/").lower()
    if any(bare == key or bare.startswith(key + "/") for key in remotes):
        return False
    return not ctx.url_resolver.resolve(url).managed


def _example_file(ctx: RuleContext, runbook: str, ref, name: str) -> Iterator[Finding]:
    """`kubectl create -f ingress-nginx.yaml` on a page whose folder holds its example manifests: the
    file must be one of them (the page may name a file the reader writes only where it has none)."""
    folder = posixpath.dirname(runbook)
    here = f"{folder}/{name}" if folder else name
    if here in ctx.files or name in ctx.files:
        return
    beside = sorted(posixpath.basename(f) for f in ctx.files
                    if posixpath.dirname(f) == folder and f.endswith((".yaml", ".yml")) and f != runbook)
    if not folder or not beside or not name.endswith((".yaml", ".yml", ".json")):
        return
    # Only a name like one of them is a stale one (the same words in another order, or a close
    # spelling); any other name is a file the reader writes, as a runbook folder that keeps its
    # alert rules beside the pages shows ("kubectl apply -f patch-replicas.yaml" beside rules.yaml).
    stems = {posixpath.splitext(b)[0].lower(): b for b in beside}
    stem = posixpath.splitext(name)[0].lower()
    words = set(filter(None, re.split(r"[-_.]+", stem)))
    same_words = [b for s, b in stems.items() if set(filter(None, re.split(r"[-_.]+", s))) == words]
    close = nearest(stem, set(stems), cutoff=0.6)
    suggestion = same_words[0] if same_words else (stems[close] if close else None)
    if suggestion is None:
        return
    yield ctx.finding(runbook, ref.line, ref.column, f"repository path `{here}` does not exist (the page's folder has "
                      f"{', '.join(f'`{b}`' for b in beside[:5])}{' ...' if len(beside) > 5 else ''})",
                      suggestion=suggestion, reference=f"path/{here}", strength=ref.strength)


def _elsewhere(ctx: RuleContext, rb) -> list[tuple[int, int]]:
    """Line ranges where the page has taken the reader's shell out of this repository: from a relative
    ``cd DIR`` into a folder the repository does not have (no folder of it is DIR or ends with it:
    another project's checkout, `cd srv/obf`) to the next heading or the next ``cd``. An absolute or
    home folder may be this repository's clone on a server: it moves nobody out."""
    ranges: list[tuple[int, int]] = []
    cds = ctx.refs(rb, "cd")
    if not cds:
        return ranges
    heading_lines = sorted(h.line for h in rb.headings)
    start: int | None = None

    def close(at: int) -> None:
        nonlocal start
        if start is not None:
            end = next((h for h in heading_lines if h > start), None)
            ranges.append((start, min(at, end) if end is not None else at))
            start = None

    for cd in cds:
        close(cd.line)
        folder = cd.name.removeprefix("./").rstrip("/")
        if not folder or folder.startswith(("/", "~", "$", "-", ".", "<", "{")) or "$" in folder:
            continue
        if folder in ctx.directories or any(d.endswith("/" + folder) for d in ctx.directories):
            continue
        start = cd.line
    close(10 ** 9)
    return ranges


def check(ctx: RuleContext) -> Iterator[Finding]:
    for rb in ctx.runbooks:
        elsewhere = _elsewhere(ctx, rb)
        for ref in ctx.refs(rb, "path"):
            if any(start < ref.line < end for start, end in elsewhere):
                continue  # relative to another project's checkout the page `cd`'d into
            url = ref.extra.get("link")
            if url:
                if _links_elsewhere(ctx, url, ctx.remote_keys):
                    continue
            path = ref.name.rstrip("/")
            if "/" not in path and ref.extra.get("kubectl_file"):
                yield from _example_file(ctx, rb.path, ref, path)
                continue
            top = path.split("/", 1)[0]
            if top not in ctx.top_level or top.startswith("."):
                continue
            if path in ctx.files or path in ctx.directories or _under_an_ancestor(ctx, rb.path, path):
                continue
            if _an_instance_exists(ctx, path):
                continue  # `config/clusters/CLUSTER_NAME/HUB_NAME.values.yaml`: a pattern, and files fit it
            # a file moved into another folder keeps its name: that file, nearest the old place first
            suggestion = (same_name_nearest(path, path, sorted(ctx.files), unique=True)
                          or nearest(path, ctx.files | ctx.directories, cutoff=0.75))
            yield ctx.finding(rb.path, ref.line, ref.column, f"repository path `{ref.name}` does not exist",
                              suggestion=suggestion, reference=f"path/{path}", strength=ref.strength)
