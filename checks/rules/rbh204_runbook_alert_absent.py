"""Runbook for an absent alert: a runbook named after an alert that no rule defines any more.

## What it does
For runbooks without an `alerts:` list in the front matter (those are checked by RBH201), takes the
alert name the page is named after, the way people write alert pages:

- the file name, the H1 and the front-matter `title` count when they agree, compared case- and
  space-insensitively: `KubeJobCompletion.md` titled `Kube Job Completion` or `KubeProxy Down`,
  `kube-job-completion.md` titled `KubeJobCompletion`; a kebab or snake file name under a title of
  plain words (`object_storage.md`, "Object Storage") is how any doc page is named, and counts only
  when the manifests' history shows the alert was removed;
- a title or H1 alone counts when it is a CamelCase identifier of three words or more
  (`OvnMasterDown`);
- a file name in capitals (`SDLC_IMPLEMENTATION_SUMMARY.md`, `ALERT_RUNBOOK_INDEX.md`) names a
  document, not an alert, whatever its title;
- single words without an inner capital (`influxdb.md`, `postgres.md`) are not alert names, nor
  is a product name that only capitalises its file name (`gitlab.md` titled `GitLab`); a prose title
  that disagrees with the file name (`accessToolbox.md`, "Access the toolbox") marks a helper page.

When no alerting rule defines that name and no alert's `runbook_url` links to the runbook, it reports
the page with one of two confidences:

- **removed**: the manifests' history shows the alert was defined and then removed
  ("removed in <sha>", the commit that took it away for good: an alert added back later, or whose
  rule file was only moved, is not removed): a warning;
- **never defined** by the configured rules: the message names the rule inputs. When none of the
  configured rules defines any alert of the page's group, the rules probably just don't include that
  group: the finding drops to info and names the repository files that define the alert (rule files
  that would settle it), if any. The group is the page's service folder when runbooks are kept in
  service folders (`alerts/cluster-etcd-operator/`: covered when a configured alert's `runbook_url`
  or name leads to a page there), else the alert name's first word (`CDI` in `CDIOperatorDown`).

Runs only when rule files are configured. Runbooks whose title says "deprecated" are skipped.

## Why it matters
Alert-per-page runbook repositories accumulate pages for alerts deleted long ago. They show up in
search results, get edited by well-meaning people and mislead responders about what can fire. The
confidence levels keep a valid page from being flagged as stale just because its alert's rules come
from another project.

## Example
`runbooks/alerts/NoOvnMasterLeader.md` after the alert was removed from the rules:
`runbooks/alerts/NoOvnMasterLeader.md:1:1  warning  RBH204  runbook is named after alert `NoOvnMasterLeader`, which no alerting rule defines (removed in 1a2b3c4d)`

`docs/runbooks/CDIOperatorDown.md` when only the KubeVirt rules are configured:
`docs/runbooks/CDIOperatorDown.md:1:1  info  RBH204  runbook is named after alert `CDIOperatorDown`, which the 1 configured rule file (rules/*.yaml) does not define; no configured rule defines any `CDI*` alert: add the rules of that group to manifests.include to settle it`
"""

from __future__ import annotations

import re
from typing import Container, Iterator

from rbh.checks.rule import Finding, RuleContext, RuleOptions, Severity

ID = "RBH204"
NAME = "runbook-alert-absent"
SEVERITY = Severity.warning

_ALERT_SHAPE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_MARKER = re.compile(r"\s*[\[(][^\])]*[\])]\s*$")  # "Name [Deprecated]", "Name (legacy)"
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_SPLIT = re.compile(r"[\s_\-.:]+")
# Folder names that hold runbooks of every service: no group meaning.
_GENERIC_FOLDERS = {"runbooks", "runbook", "alerts", "alert", "docs", "doc", "content", "pages", "playbooks", "src",
                    "deprecated", "deprecated_runbooks", "deprecated-runbooks", "archive", "old", "legacy", ""}
_MAX_SCAN_BYTES = 2_000_000  # per file, when looking for rule files that mention an alert
_SCAN_EXTS = (".yaml", ".yml", ".json", ".jsonnet", ".libsonnet", ".rules", ".go")


class Options(RuleOptions):
    from_file_name: bool = True
    from_title: bool = True
    skip_deprecated: bool = True  # runbooks whose title says "deprecated"


def alert_shaped(name: str) -> bool:
    """CamelCase or camelCase identifiers with an inner capital and a lower-case letter, 5+ chars."""
    return bool(_ALERT_SHAPE.match(name)) and len(name) >= 5 and any(c.isupper() for c in name[1:]) and any(c.islower() for c in name)


def words(name: str) -> list[str]:
    """CamelCase words: ``KubeAPIDown`` -> Kube, API, Down; ``CDIOperatorDown`` -> CDI, Operator, Down."""
    return _WORDS.findall(name)


def _norm(text: str) -> str:
    return _SPLIT.sub("", text).lower()


def _joined(title: str) -> str | None:
    """``Kube Job Completion`` -> ``KubeJobCompletion`` (each word's first letter kept as written)."""
    parts = [p for p in _SPLIT.split(title.strip()) if p]
    if not parts or not all(re.fullmatch(r"[A-Za-z0-9]+", p) for p in parts):
        return None
    return "".join(parts)


def inferred_alerts(rb, options, removed: Container[str] = ()) -> list[tuple[str, int]]:
    """Alert names the runbook is named after, with the line that names them (see the docstring).
    A kebab or snake file name under a title of plain words (``object_storage.md``, "Object Storage";
    ``troubleshooting-guide.md``, "Troubleshooting Guide") is how any doc page is named: it counts only
    when the manifests' history shows that alert in *removed*."""
    stem = rb.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    h1 = next((h for h in rb.headings if h.level == 1), None)
    titles = [(_MARKER.sub("", t).strip(), line) for t, line in
              ((rb.front_matter.title or "", 1), (h1.text if h1 else "", h1.line if h1 else 1)) if t and t.strip()]
    found: list[tuple[str, int]] = []
    if options.from_file_name and alert_shaped(stem):
        # the file name counts unless a prose title says the page is about something else
        if not titles or any(_norm(t) == _norm(stem) or stem.lower() in t.lower() or (options.from_title and alert_shaped(t))
                             for t, _ in titles):
            found.append((stem, 1))
    elif (options.from_file_name and options.from_title and not stem.isupper()  # SDLC_SUMMARY.md: a document's name
          and len(words(stem.replace("-", " ").title().replace(" ", ""))) > 1):
        # kube-job-completion.md titled KubeJobCompletion / Kube Job Completion
        for t, line in titles:
            j = _joined(t)
            if j and alert_shaped(j) and _norm(j) == _norm(stem) and len(words(j)) >= 2:
                parts = [p for p in _SPLIT.split(t.strip()) if p]
                if len(parts) > 1 and not any(alert_shaped(p) for p in parts) and j not in removed:
                    continue  # plain words: a doc page's title, unless the alert once existed
                found.append((j, line))
                break
    if options.from_title:
        for t, line in titles:
            if alert_shaped(t) and len(words(t)) >= 3 and all(_norm(t) != _norm(n) for n, _ in found):
                found.append((t, line))
    return found


def _group_of(rb_path: str, name: str) -> tuple[str | None, str]:
    """(service folder or None, name prefix) of an alert page."""
    parts = rb_path.split("/")
    folder = parts[-2] if len(parts) > 1 else ""
    first = words(name)[0] if words(name) else name
    return (None if folder.lower() in _GENERIC_FOLDERS else "/".join(parts[:-1])), first


def check(ctx: RuleContext) -> Iterator[Finding]:
    inv = ctx.inventory
    if "prometheus" not in inv.sources_seen:
        return
    names = inv.alert_names
    prefixes = {(words(n) or [n])[0].lower() for n in names}
    rule_files = sorted({loc.path for a in inv.alerts for loc in [a.loc, *a.copies]})  # a file of copies is one too
    covered_folders: set[str] = set()
    candidates = []
    history = ctx.history
    removed = history.removed if history is not None else {}
    for rb in ctx.runbooks:
        if rb.front_matter.alerts or rb.problems and not rb.text:
            continue
        got = inferred_alerts(rb, ctx.options, removed)
        if not got:
            continue
        rb_folder = "/".join(rb.path.split("/")[:-1])
        if any(name in names for name, _ in got) or rb.path in ctx.linked_runbooks:
            covered_folders.add(rb_folder)
            continue
        if ctx.options.skip_deprecated and "deprecated" in (rb.front_matter.title or rb.title).lower():
            continue  # its owners already marked it as retired
        candidates.append((rb, got))
    for a in inv.alerts:  # a rule linking into a folder covers that folder too
        if a.runbook_url:
            for res in ctx.url_resolver.resolve_all(a.runbook_url):
                if res.found:
                    covered_folders.add("/".join(res.found.split("/")[:-1]))
    inputs = _describe_inputs(ctx, rule_files)
    for rb, got in candidates:
        name, line = got[0]
        suggestion, source, note = ctx.hint(name, names, calibrated=True)
        if name in removed:
            yield ctx.finding(rb.path, line, 1, f"runbook is named after alert `{name}`, which no alerting rule defines{note}",
                              suggestion=suggestion, suggestion_source=source, reference=f"alert/{name}", strength="prose")
            continue
        folder, prefix = _group_of(rb.path, name)
        # the group is the service folder when runbooks are kept in service folders, else the name prefix
        group_known = folder in covered_folders if folder is not None else prefix.lower() in prefixes
        message = f"runbook is named after alert `{name}`, which {inputs}"
        if group_known:
            yield ctx.finding(rb.path, line, 1, message, suggestion=suggestion, suggestion_source=source,
                              reference=f"alert/{name}", strength="prose")
            continue
        group = f"`{folder}/`" if folder else f"`{prefix}*`"
        settle = _mentioning_files(ctx, name)
        how = (f"{', '.join(f'`{p}`' for p in settle[:3])} mention{'s' if len(settle) == 1 else ''} it: add "
               f"{'it' if len(settle) == 1 else 'them'} to manifests.include to settle it") if settle else \
            "add the rules of that group to manifests.include to settle it"
        yield ctx.finding(rb.path, line, 1, f"{message}; no configured rule defines any {group} alert: {how}",
                          suggestion=None, reference=f"alert/{name}", strength="prose", severity=Severity.info)


def _describe_inputs(ctx: RuleContext, rule_files: list[str]) -> str:
    globs = ctx.config.manifests.include or []
    where = f" ({', '.join(globs[:3])}{', ...' if len(globs) > 3 else ''})" if globs else ""
    n = len(rule_files)
    return f"the {n} configured rule file{'s' if n != 1 else ''}{where} {'do' if n != 1 else 'does'} not define"


def _mentioning_files(ctx: RuleContext, name: str) -> list[str]:
    """Repository files outside the configured manifests that define or mention *name* (cached scan)."""
    index = ctx.__dict__.get("_rbh204_text")
    if index is None:
        index = {}
        configured = set(ctx.inventory.files)
        budget = 50_000_000
        for f in sorted(ctx.files):
            if not f.endswith(_SCAN_EXTS) or f in configured or budget <= 0:
                continue
            try:
                path = ctx.root / f
                size = path.stat().st_size
                if size > _MAX_SCAN_BYTES:
                    continue
                budget -= size
                index[f] = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
        ctx.__dict__["_rbh204_text"] = index
    # a rule definition, not any mention: `alert: Name` (YAML), "alert": "Name" (JSON), or the name as a
    # string literal in code that builds rules (jsonnet, Go)
    q = re.escape(name)
    rule_def = re.compile(rf"""\balert["']?\s*:\s*["']?{q}["']?\s*(?:[,}}#]|$)""", re.M)
    literal = re.compile(rf"""["']{q}["']""")
    return [f for f, text in index.items()
            if (rule_def.search(text) and "expr" in text if f.endswith((".yaml", ".yml", ".json", ".rules"))
                else literal.search(text))]
