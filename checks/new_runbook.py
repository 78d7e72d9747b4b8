"""``rbh new ALERTNAME``: write a runbook skeleton for an alert, where its ``runbook_url`` expects it.

The skeleton carries what the alert rule knows (summary, description, expression, labels, the rule
file) and the headings responders look for: Meaning, Impact, Diagnosis, Mitigation. The path is the
file the alert's ``runbook_url`` resolves to (``check.runbook_urls``), so RBH203 passes once the
page exists; without a ``runbook_url`` it is ``<runbook folder>/<ALERTNAME>.md``. The file is never
written outside the repository and an existing file is never overwritten.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from rbh.options import repo_option
from rbh.errors import RbhError

_LONGEST_TICKS = re.compile(r"`+")


def _fence(text: str) -> str:
    longest = max((len(m.group(0)) for m in _LONGEST_TICKS.finditer(text)), default=0)
    return "`" * max(3, longest + 1)


def _yaml_str(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def skeleton(alert) -> str:
    """The markdown of a new runbook for *alert* (``checks.inventory.Alert``)."""
    ann = {str(k): str(v) for k, v in (alert.annotations or {}).items()}
    summary = (ann.get("summary") or "").strip()
    description = (ann.get("description") or ann.get("message") or "").strip()
    lines = ["---", f"title: {_yaml_str(alert.name)}", f"alerts: [{_yaml_str(alert.name)}]"]
    if alert.severity:
        lines.append(f"severity: {_yaml_str(str(alert.severity))}")
    lines += ["---", "", f"# {alert.name}", ""]
    if summary:
        lines += [f"> {line}" if line else ">" for line in summary.splitlines()] + [""]
    lines += ["## Meaning", ""]
    lines += [description, ""] if description else ["TODO: what this alert means, in one or two sentences.", ""]
    lines += [f"The alert is defined in `{alert.loc.path}` (line {alert.loc.line})"
              + (f", group `{alert.group}`" if alert.group else "") + ".", ""]
    if alert.expr:
        fence = _fence(alert.expr)
        lines += ["It fires when this expression returns a result:", "", f"{fence}promql", alert.expr.strip(), fence, ""]
    labels = {str(k): str(v) for k, v in (alert.labels or {}).items()}
    if labels:
        lines += ["Labels:", ""] + [f"- `{k}`: `{v}`" for k, v in sorted(labels.items())] + [""]
    lines += ["## Impact", "", "TODO: what users or systems notice while this alert fires.", "",
              "## Diagnosis", "", "TODO: the checks that confirm the cause, most likely first.", "",
              "## Mitigation", "", "TODO: the steps that end the impact, then the follow-up.", ""]
    return "\n".join(lines)


def target_path(project, alert, ctx_resolver) -> tuple[str, str]:
    """(repository-relative path, how it was chosen) for the new runbook of *alert*."""
    if alert.runbook_url:
        for res in ctx_resolver.resolve_all(alert.runbook_url):
            if not res.managed or not res.candidates:
                continue
            path = res.candidates[0].replace("*", alert.name) if res.templated else res.candidates[0]
            return path, f"the path its runbook_url expects ({alert.runbook_url})"
        raise RbhError(f"the runbook_url of alert `{alert.name}` ({alert.runbook_url}) does not point into this repository",
                       hint="map its URL prefix to a folder with check.runbook_urls.prefixes in rbh.yaml")
    folder = project.runbook_folder
    return (f"{folder}/{alert.name}.md" if folder else f"{alert.name}.md"), "no runbook_url: the runbook folder"


@click.command("new")
@click.argument("alert_name")
@repo_option
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the skeleton instead of writing the file.")
def new_command(alert_name: str, repo: str | None, to_stdout: bool) -> None:
    """Write a runbook skeleton for ALERT_NAME from its alert rule.

    The file goes where the alert's runbook_url expects it (so the link resolves), with the rule's
    summary, description, expression and labels, and Meaning / Impact / Diagnosis / Mitigation
    headings to fill in. An existing file is never overwritten.

    \b
    Examples:
      rbh new KubeJobFailed
      rbh new KubeJobFailed --stdout > draft.md
    """
    from rbh.checks.sources import load_inventory
    from rbh.checks.suggest import best_match
    from rbh.paths import safe_relpath
    from rbh.project import load_project

    project = load_project(repo, require_git=False)
    inv = load_inventory(project)
    alerts = [a for a in inv.alerts if a.name == alert_name] or [a for a in inv.alerts if a.name.lower() == alert_name.lower()]
    if not alerts:
        near = best_match(alert_name, {a.name for a in inv.alerts})
        raise RbhError(f"no alerting rule in the configured manifests defines `{alert_name}`",
                       hint=f"did you mean `{near}`?" if near else "rbh new reads the rule files of manifests.include in rbh.yaml")
    alert = alerts[0]
    from rbh.runbook_urls import resolver_for

    resolver, _ = resolver_for(project.config, project.runbook_paths(), default_folder=project.runbook_folder,
                               root=project.root, files=set(project.worktree_files))
    rel, why = target_path(project, alert, resolver)
    text = skeleton(alert)
    if to_stdout:
        click.echo(text, nl=False)
        return
    safe = safe_relpath(project.root, rel)
    if safe is None or not safe.endswith(".md"):
        raise RbhError(f"refusing to write `{rel}`: it is not a markdown file inside the repository")
    path = Path(project.root) / safe
    parent = path.parent
    while not parent.exists() and parent != project.root:
        parent = parent.parent
    if parent.resolve() != Path(project.root).resolve() and not parent.resolve().is_relative_to(Path(project.root).resolve()):
        raise RbhError(f"refusing to write `{rel}`: its folder leaves the repository")
    if path.exists() or path.is_symlink():
        raise RbhError(f"`{safe}` already exists; rbh new never overwrites a file",
                       hint="add a section for the alert there, or use --stdout to see the skeleton")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as fh:  # "x": fails rather than overwrite, even in a race
        fh.write(text)
    click.echo(f"wrote {safe} for alert {alert.name} ({alert.loc.path}:{alert.loc.line}); path: {why}")

