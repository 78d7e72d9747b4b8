"""``rbh rules`` and ``rbh explain``: the rule catalog, from the registry, for people at a terminal."""

from __future__ import annotations

import json

import click

from rbh.options import repo_option


def _configured(repo) -> dict:
    """Per-rule settings from rbh.yaml when a repository is at hand (no repository: defaults only)."""
    try:
        from rbh.project import load_project

        return load_project(repo).config.check.rules
    except Exception:  # noqa: BLE001 - the catalog is useful outside a repository too
        if repo is not None:
            raise
        return {}


@click.command("rules")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
    help="Table for people, JSON for tools, markdown for docs.",
)
@repo_option
def rules_command(fmt: str, repo) -> None:
    """List every check: ID, name, default severity and what it catches.

    The SEVERITY column shows the default; when rbh.yaml changes a rule's severity or disables it,
    the CONFIGURED column says so.

    \b
    Examples:
      rbh rules
      rbh rules --format json | jq '.[] | select(.severity == "error") | .id'
    """
    from rbh.checks.ruledocs import all_docs

    docs = all_docs()
    configured = _configured(repo)

    def setting(rule_id: str) -> str:
        rc = configured.get(rule_id)
        if rc is None:
            return ""
        if not rc.enabled:
            return "disabled"
        return rc.severity or ""

    if fmt == "json":
        entries = [
            {"id": d.id, "name": d.name, "severity": str(d.severity), "configured": setting(d.id) or None, "summary": d.summary}
            for d in docs
        ]
        click.echo(json.dumps(entries, indent=2))
        return
    if fmt == "markdown":
        click.echo("| ID | Name | Default severity | Summary |")
        click.echo("|---|---|---|---|")
        for d in docs:
            click.echo(f"| {d.id} | `{d.name}` | {d.severity} | {d.summary.replace('|', chr(92) + '|')} |")
        return
    show_cfg = any(setting(d.id) for d in docs)
    headers = ["ID", "NAME", "SEVERITY", *(["CONFIGURED"] if show_cfg else []), "SUMMARY"]
    rows = [[d.id, d.name, str(d.severity), *([setting(d.id)] if show_cfg else []), d.summary] for d in docs]
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers) - 1)]
    for r in [headers, *rows]:
        cells = [c.ljust(w) for c, w in zip(r, widths)]
        click.echo("  ".join([*cells, r[-1]]).rstrip())
    click.echo(f"\n{len(docs)} rules. 'rbh explain ID' shows what a rule detects, why it matters and an example.")


@click.command("explain")
@click.argument("rule_id", metavar="ID")
def explain_command(rule_id: str) -> None:
    """Show a rule's documentation: what it detects, why it matters, an example, its options.

    ID is a rule ID (RBH101) or name (unknown-workload), in any case.

    \b
    Examples:
      rbh explain RBH101
      rbh explain unknown-workload
    """
    from rbh.checks.ruledocs import explain_text, find

    click.echo(explain_text(find(rule_id)), nl=False)

