"""Broken anchor: a link's `#fragment` names a heading the target runbook does not have.

## What it does
For links with a fragment (`#mitigation`, `other.md#failover`), checks the fragment against the
target markdown file's heading anchors (`rbh.anchors`): as MkDocs generates them (Python-Markdown's
`toc`, or the `toc.slugify` set in `mkdocs.yml`; intraword underscores kept, duplicates `_1`, `_2`),
and as GitHub and GitLab do (duplicates `-1`, `-2`), case-insensitively; `.mdx` pages too. On a
Middleman (`.html.md.erb`) or MkDocs site a `####Title` line without the space is a heading with an
anchor, as Redcarpet, kramdown and Python-Markdown read it (CommonMark, on GitHub and Hugo, does not).
In a file other pages paste in with a Jinja `{% include %}`, `#anchor` names a heading of each
including page. MyST's explicit targets (Jupyter Book, mystmd, Sphinx with myst-parser) are anchors
too: a `(label)=` line and a directive's `:name:` option; a link `#label` with no page may name a
target of any runbook, as MyST resolves labels across the project. A text fragment (`#claims:~:text=groups`) is checked for its anchor part only.
`#top` is never broken: browsers scroll to the top of the page for it. A suggestion is offered only
when a heading's anchor is probably the one meant (the calibrated similarity threshold). Links into
missing files are RBH301's; non-markdown targets are not checked.

## Why it matters
Headings get reworded ("Mitigation" -> "Mitigate"); the link still opens the page, but at the top,
and the responder has to hunt for the section during the incident.

## Example
```markdown
Then [fail over the database](postgres.md#fail-over-to-the-replica).
```
`runbooks/checkout.md:33:6  error  RBH302  anchor `#fail-over-to-the-replica` not found in `runbooks/postgres.md`  (did you mean `#failover-to-the-replica`)`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity
from rbh.anchors import has_anchor
from rbh.checks.rules.rbh301_broken_link import resolve_link

ID = "RBH302"
NAME = "broken-anchor"
SEVERITY = Severity.error
Options = NoOptions


def check(ctx: RuleContext) -> Iterator[Finding]:
    for rb in ctx.runbooks:
        for ref in ctx.refs(rb, "link"):
            if not ref.anchor:
                continue
            # a fragment other pages include: its anchors are theirs (each must have the heading)
            for source in ctx.link_sources(rb.path):
                if ref.name:
                    target, exists = resolve_link(ctx, source, ref.name)
                    if not exists or target is None or not target.endswith((".md", ".mdx")):
                        continue
                else:
                    target = source
                fragments = ctx.fragments_of(target)
                if fragments is not None and not has_anchor(ref.anchor, fragments):
                    if not ref.name and ref.anchor.lower() in ctx.myst_labels:
                        continue  # `[text](#label)`: a MyST target of another page (labels are the project's)
                    break
            else:
                continue
            near = ctx.suggest_anchor(target, ref.anchor)
            yield ctx.finding(rb.path, ref.line, ref.column, f"anchor `#{ref.anchor}` not found in `{target}`",
                              suggestion=f"#{near}" if near else None, reference=f"anchor/{ref.name}#{ref.anchor}",
                              strength=ref.strength)
