"""runbook_url does not resolve: an alert links a runbook file or anchor that does not exist.

## What it does
Maps each alert's `runbook_url` onto a file of this repository using `check.runbook_urls.prefixes`
(URL prefix -> folder; `*` matches one segment such as a branch) and checks that the file exists and,
when the URL has a `#fragment`, that the runbook has a heading with that anchor (MkDocs or GitHub
style). MkDocs and Hugo page URLs (`.../checkout/high-latency/`), `.html` pages and GitHub-blob URLs
are understood; templates (`{{ $labels.x }}`) match any file. `case_insensitive: true` in the
config compares paths case-insensitively. URLs outside every configured prefix are not checked.
A page without headings of its own whose sections the site renders from the rules (a template that
writes `#alert-<name>` for each alert) is checked against the pattern its runbook_urls share: when two
or more alerts' anchors are one prefix plus the alert's name, an anchor that is not (a rename the URL
missed) is the error, with the anchor to write. Hugo's multilingual `_index.en.md` serves a folder URL.
The same rule written in two files (a rule file also shipped in a ConfigMap's data, a rendered copy)
is one rule: its finding is made once, at the plain file (else the first file), and names the
copies ("(the same rule is also at compiled/resources.yaml:797)").
Alert rules written as HCL objects in a Terraform file of `manifests.include` (`alert = "Name"`,
`annotations = { runbook_url = "..." }`) are checked the same way.
A URL whose whole base is a template (`[[.RunbookBaseURL]]#Cluster-Health-is-Red`) may point anywhere
and is not checked, unless the alerts sharing that base settle it: when two or more of their anchors
are headings of a runbook and one runbook has every anchor of theirs found anywhere, it is the base, and an anchor of the same base
it does not have is the error.

"Did you mean" is offered only when it is probably right: the file's rename in git history, the same
path in another letter case (a notice then names the `case_insensitive` option, once), or a runbook
whose name passes the similarity threshold calibrated on real repositories (`bench/suggest_calibration.py`;
siblings such as `...Warning` / `...Critical` and index pages are never suggested). Otherwise the
message says how to create the missing page: `rbh new ALERTNAME` writes a skeleton from the alert rule.

## Why it matters
A responder clicks the link in the page. A 404 there, or a link to the top of a long page instead of
the section, costs the first minutes of an incident.

## Example
```yaml
annotations:
  runbook_url: https://runbooks.example.com/payments/provider-errors/#mitigation
```
when the runbook was renamed:
`manifests/alerts/payments.yaml:14:1  error  RBH203  runbook_url of alert `PaymentsProviderErrors` points to `runbooks/payments/provider-errors.md`, which does not exist  (did you mean `runbooks/payments/provider-failures.md` (renamed in 1a2b3c4d))`

and, when no page was renamed or is probably meant:
`manifests/alerts/payments.yaml:14:1  error  RBH203  runbook_url of alert `PaymentsProviderErrors` points to `runbooks/payments/provider-errors.md`, which does not exist; create it with `rbh new PaymentsProviderErrors``
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity
from rbh.checks.rules._alerts import also_at
from rbh.checks.suggest import best_match
from rbh.anchors import has_anchor

ID = "RBH203"
NAME = "runbook-url-unresolved"
SEVERITY = Severity.error
Options = NoOptions


def check(ctx: RuleContext) -> Iterator[Finding]:
    resolver = ctx.url_resolver
    pending = []
    for alert in ctx.inventory.alerts:
        url = alert.runbook_url
        if not url:
            continue
        line = alert.annotation_lines.get("runbook_url", alert.loc.line)
        for res in resolver.resolve_all(url):
            pending.append((alert, res, line))
    generated = _generated_anchors(ctx, pending)
    based = _template_base_pages(ctx, pending)
    for alert, res, line in pending:
        page = based.get(_template_base(alert.runbook_url)) if res.templated and res.anchor and not res.candidates else None
        if page is not None and res.anchor:
            if not has_anchor(res.anchor, ctx.fragments_of(page[0]) or {}):
                yield ctx.finding(alert.loc.path, line, 1,
                                  f"runbook_url of alert `{alert.name}` points to anchor `#{res.anchor}`, which `{page[0]}` "
                                  f"does not have (its template base leads there: the {page[1]} other anchors of that base "
                                  f"found in the runbooks are all headings of that page){also_at(alert)}",
                                  suggestion=ctx.suggest_anchor(page[0], res.anchor), reference=f"runbook_url/{alert.name}#",
                                  strength="manifest")
            continue
        if res.found is not None and res.found in generated and res.anchor:
            prefix, count = generated[res.found]
            if res.anchor.lower() == prefix + alert.name.lower():
                continue  # the anchor the site renders for this alert
            yield ctx.finding(alert.loc.path, line, 1,
                              f"runbook_url of alert `{alert.name}` points to anchor `#{res.anchor}`, which `{res.found}` "
                              f"does not have: the page has no headings of its own (the site renders its sections), "
                              f"and {count} other alerts' anchors there are `#{prefix}<alert name>`{also_at(alert)}",
                              suggestion=f"#{prefix}{alert.name.lower()}", reference=f"runbook_url/{alert.name}#",
                              strength="manifest")
            continue
        yield from _check_one(ctx, alert, res, line)


def _generated_anchors(ctx: RuleContext, pending) -> dict[str, tuple[str, int]]:
    """Pages with no headings of their own whose runbook_url anchors are built from alert names:
    page -> (anchor prefix, alerts following it). kubermatic's "Alerting Runbook" page is rendered by
    a site template from the rule data (`#alert-<name>` for each alert); its markdown holds one
    sentence. The anchors are checked against that pattern, which two or more alerts establish: one
    named after another alert (a rename the runbook_url missed) or another scheme stays an error."""
    headless = {rb.path for rb in ctx.runbooks if not rb.headings}
    prefixes: dict[str, dict[str, int]] = {}
    for alert, res, _ in pending:
        if res.found in headless and res.anchor and not res.templated:
            anchor, name = res.anchor.lower(), alert.name.lower()
            if anchor.endswith(name):
                found = prefixes.setdefault(res.found, {})
                found[anchor[: -len(name)]] = found.get(anchor[: -len(name)], 0) + 1
    out: dict[str, tuple[str, int]] = {}
    for page, counts in prefixes.items():
        prefix, count = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        if count >= 2:
            out[page] = (prefix, count)
    return out


def _template_base(url: str | None) -> str:
    return (url or "").split("#", 1)[0].strip()


def _template_base_pages(ctx: RuleContext, pending) -> dict[str, tuple[str, int]]:
    """URLs whose whole base is a template (`[[.RunbookBaseURL]]#Elasticsearch-Cluster-Health-is-Red`),
    anchor only: template base -> (the page it leads to, anchors establishing it). The base may point
    anywhere, but when two or more distinct anchors of one base are headings of one runbook and every
    anchor of that base found anywhere is found there, the base is that page, and an anchor of it the
    page lacks is a broken link (elasticsearch-operator: `#Elasticsearch-Cluster-Health-is-Yellow`,
    the heading reads "Healthy"). An anchor found only on another page leaves the base undecided."""
    by_base: dict[str, set[str]] = {}
    for alert, res, _ in pending:
        if res.templated and res.anchor and not res.candidates:
            by_base.setdefault(_template_base(alert.runbook_url), set()).add(res.anchor.lower())
    out: dict[str, tuple[str, int]] = {}
    for base, wanted in by_base.items():
        pages: set[str] | None = None
        established = 0
        for anchor in wanted:
            having = {rb.path for rb in ctx.runbooks if has_anchor(anchor, ctx.fragments_of(rb.path) or {})}
            if having:
                pages = having if pages is None else pages & having
                established += 1
        if pages is not None and len(pages) == 1 and established >= 2:
            out[base] = (next(iter(pages)), established)
    return out


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _check_one(ctx: RuleContext, alert, res, line: int) -> Iterator[Finding]:
    if not res.managed:
        return
    if res.found is None:
        if res.templated and not res.candidates:
            return
        target = res.candidates[0] if res.candidates else res.url
        suggestion, source, extra = None, None, ""
        if res.candidates and not res.templated:
            suggestion, source, extra = _missing_runbook_hint(ctx, alert, res.candidates)
        yield ctx.finding(alert.loc.path, line, 1,
                          f"runbook_url of alert `{alert.name}` points to `{target}`, which does not exist{extra}{also_at(alert)}",
                          suggestion=suggestion, suggestion_source=source, reference=f"runbook_url/{alert.name}",
                          strength="manifest")
        return
    if res.anchor and not res.templated:
        fragments = ctx.fragments_of(res.found)
        if fragments is not None and not has_anchor(res.anchor, fragments):
            near = ctx.suggest_anchor(res.found, res.anchor)
            yield ctx.finding(alert.loc.path, line, 1,
                              f"runbook_url of alert `{alert.name}` points to anchor `#{res.anchor}`, which `{res.found}` does not have{also_at(alert)}",
                              suggestion=near, reference=f"runbook_url/{alert.name}#", strength="manifest")


def _missing_runbook_hint(ctx: RuleContext, alert, candidates: list[str]) -> tuple[str | None, str | None, str]:
    """(suggestion, its source, text added to the message) for a runbook_url naming a missing file:
    the file's rename in git history; else the same path in another letter case (once, the notice
    names the ``case_insensitive`` option); else a probably-right similar runbook (calibrated
    threshold, never an index page); else a file of that name the runbook globs leave out; else how to
    create it with ``rbh new``."""
    renames = ctx.runbook_renames
    for c in candidates:
        hit = renames.get(c)
        if hit and hit[0] in set(ctx.runbook_paths):
            return hit[0], f"renamed in {hit[1]}", ""
    lower = {p.lower(): p for p in ctx.runbook_paths}
    for c in candidates:
        if c.lower() in lower:
            ctx.notice("some runbook_url paths differ from the runbook files only in letter case; if your site serves "
                       "them case-insensitively (lower-cased URLs), set `check.runbook_urls.case_insensitive: true` in rbh.yaml")
            return lower[c.lower()], None, " (the path exists in another letter case)"
    target = candidates[0]
    folder = target.rsplit("/", 1)[0] if "/" in target else ""
    stem = _stem(target)
    if stem.lower() in ("index", "_index", "readme"):
        stem = target.rstrip("/").rsplit("/", 2)[-2] if target.count("/") >= 1 else stem
    near = best_match(stem, [p for p in ctx.runbook_paths if p.rsplit("/", 1)[0] == folder] or ctx.runbook_paths, key=_stem)
    if near:
        return near, None, ""
    runbooks = set(ctx.runbook_paths)
    outside = sorted(f for f in ctx.files if (f == target or f.endswith("/" + target)) and f not in runbooks)
    if outside:  # the page exists, the globs leave it out: creating another would be the wrong fix
        return None, None, f"; `{outside[0]}` has that name but is not a runbook (add it to `runbooks.include`)"
    return None, None, f"; create it with `rbh new {alert.name}`"
