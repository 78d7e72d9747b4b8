"""Runbook for an absent alert: a runbook named after an alert that no rule defines any more.

## What it does
For runbooks without an `alerts:` list in the front matter (those are checked by RBH201), takes the
alert name from the file name (`KubePodCrashLooping.md`) or the title when it is a single
alert-shaped identifier (CamelCase or camelCase, no spaces). When no alerting rule defines that name
and no alert's `runbook_url` links to the runbook, reports it with the commit that removed the alert
(from the manifests' history) or the nearest existing alert name. Runs only when rule files are
configured.

A file name counts only when the title agrees (no title, an alert-shaped title, or one containing
the file name): `accessToolbox.md` titled "Access the toolbox" is a helper page, not an alert page.
Runbooks whose title says "deprecated" are skipped (their owners already know).

## Why it matters
Alert-per-page runbook repositories accumulate pages for alerts deleted long ago. They show up in
search results, get edited by well-meaning people and mislead responders about what can fire.

## Example
`runbooks/alerts/NoOvnMasterLeader.md` after the alert was removed from the rules:
`runbooks/alerts/NoOvnMasterLeader.md:1:1  warning  RBH204  runbook is named after alert `NoOvnMasterLeader`, which no alerting rule defines (removed in 1a2b3c4d)`

"""

from __future__ import annotations

import re
from typing import Iterator

from pydantic import BaseModel, ConfigDict

from checks.model import Finding, Severity
from checks.rules._base import RuleContext

ID = "RBH204"
NAME = "runbook-alert-absent"
SEVERITY = Severity.warning

_ALERT_SHAPE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_MARKER = re.compile(r"\s*[\[(][^\])]*[\])]\s*$")  # "Name [Deprecated]", "Name (legacy)"


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_file_name: bool = True
    from_title: bool = True
    skip_deprecated: bool = True  # runbooks whose title says "deprecated"


def alert_shaped(name: str) -> bool:
    """CamelCase or camelCase identifiers with at least one upper and one lower case letter."""
    return bool(_ALERT_SHAPE.match(name)) and len(name) >= 5 and any(c.isupper() for c in name[1:]) and any(c.islower() for c in name)


def inferred_alerts(rb, options) -> list[tuple[str, int]]:
    """Alert names the runbook is named after: its file name and/or its title.

    A file name counts only when the title does not say otherwise: a prose title that does not
    contain the file name ("Access the toolbox" for ``accessToolbox.md``) marks a helper page.
    """
    stem = rb.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    raw_title = rb.front_matter.title or next((h.text for h in rb.headings if h.level == 1), "")
    title = _MARKER.sub("", raw_title).strip()
    title_line = next((h.line for h in rb.headings if h.level == 1), 1)
    found: list[tuple[str, int]] = []
    title_is_alert = options.from_title and alert_shaped(title)
    if options.from_file_name and alert_shaped(stem) and (not title or title_is_alert or stem.lower() in title.lower()):
        found.append((stem, 1))
    if title_is_alert and title != stem:
        found.append((title, title_line))
    return found


def check(ctx: RuleContext) -> Iterator[Finding]:
    inv = ctx.inventory
    if "prometheus" not in inv.sources_seen:
        return
    names = inv.alert_names
    for rb in ctx.runbooks:
        if rb.front_matter.alerts or rb.problems and not rb.text:
            continue
        got = inferred_alerts(rb, ctx.options)
        if not got or any(name in names for name, _ in got) or rb.path in ctx.linked_runbooks:
            continue
        if ctx.options.skip_deprecated and "deprecated" in (rb.front_matter.title or rb.title).lower():
            continue  # its owners already marked it as retired
        name, line = got[0]
        suggestion, source, note = ctx.hint(name, names)
        yield ctx.finding(rb.path, line, 1, f"runbook is named after alert `{name}`, which no alerting rule defines{note}",
                          suggestion=suggestion, suggestion_source=source, reference=f"alert/{name}", strength="prose")
