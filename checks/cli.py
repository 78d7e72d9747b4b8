"""The ``rbh check`` command (the CLI root, ``rbh.cli``, names it and loads this module lazily)."""

from __future__ import annotations

import os
import sys

import click

from rbh.checks.reporting import finish as reporting_finish
from rbh.checks.reporting import prepare as reporting_prepare
from rbh.checks.reporting import reporting_options
from rbh.options import repo_option
from rbh.errors import EXIT_FINDINGS, EXIT_OK

FAIL_ON = ("error", "warning", "info", "never")


def format_choices() -> list[str]:
    from rbh.checks.formats import FORMATS

    return ["auto", *FORMATS]


def resolve_format(name: str) -> str:
    """``auto``: GitHub annotations under GitHub Actions (when that format is registered), else text."""
    from rbh.checks.formats import FORMATS

    if name != "auto":
        return name
    if os.environ.get("GITHUB_ACTIONS") == "true" and "github" in FORMATS:
        return "github"
    return "text"


def exit_code(result, fail_on: str) -> int:
    from rbh.checks.model import Severity

    if fail_on == "never":
        return EXIT_OK
    threshold = Severity.parse(fail_on)
    return EXIT_FINDINGS if any(f.severity >= threshold for f in result.active) else EXIT_OK


def _repo_relative(root, path: str) -> str:
    """A PATH argument as a repository path: files given relative to the current directory work too."""
    from pathlib import Path

    candidate = Path(path).resolve()
    if candidate.exists():
        try:
            return candidate.relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path


@click.command("check")
@repo_option
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(format_choices()), default=None,
              help="Output format (default: check.format from rbh.yaml, else auto: github under GitHub Actions, text otherwise).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
              help="Exit 1 when a finding at or above this severity remains (default: check.fail_on, else error).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, hidden=True,
              help="Pretend today is this date (reproducible review-overdue output).")
@click.option("--trend", is_flag=True, default=False,
              help="Print health over time instead: open findings by severity and stale runbooks per week "
                   "(json only; the docs site draws the same series).")
@click.option("--trend-weeks", type=click.IntRange(1, 520), default=12, show_default=True,
              help="With --trend: how many weeks back.")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Read git history afresh instead of through .rbh/history-cache.json, and store no findings for rbh ask.")
@reporting_options
def check_command(repo, paths, fmt, fail_on, today, trend, trend_weeks, no_cache, **reporting) -> None:
    """Check runbooks for staleness against the manifests and git history.

    Compares what each runbook references (kubectl targets, namespaces, containers, ports, alerts,
    metrics, dashboards, links, repository paths) with the current manifests, and reports what no
    longer matches, with what it probably should say now. PATHS limits the check to those runbooks.

    \b
    Examples:
      rbh check                             check every runbook, text output
      rbh check --fail-on warning           CI: fail on warnings too
      rbh check --format json > out.json    machine-readable findings
      rbh check runbooks/checkout.md        one runbook
      rbh check --changed-since main        only what this branch could have made stale
      rbh check --format sarif > rbh.sarif  GitHub code scanning
      rbh check --write-baseline            record today's findings as known debt (adoption)

    \b
    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or config error, 3 unexpected error.
    """
    from rbh.checks.engine import run_checks
    from rbh.checks.formats import FORMATS, render
    from rbh.project import load_project

    project = load_project(repo)
    if trend:
        _print_trend(project, fmt, trend_weeks)
        return
    fmt = resolve_format(fmt or project.config.check.format)
    if fmt not in FORMATS:
        from rbh.errors import ConfigError

        raise ConfigError(f"rbh.yaml: check.format: unknown format '{fmt}' (choose from {', '.join(format_choices())})")
    fail_on = fail_on or project.config.check.fail_on
    plan = reporting_prepare(project, paths=paths, **reporting)
    selected = [_repo_relative(project.root, p) for p in paths] or None
    report = None
    if plan.changed_since and selected is None:
        from rbh.checks.changed import runbooks_in_scope

        selected, report = runbooks_in_scope(project, plan.changed_since)  # only what the change can affect
    result = run_checks(project, paths=selected, today=today.date() if today else None,
                        use_cache=not no_cache, report=report)
    if reporting_finish(project, result, plan):
        return
    out = sys.stdout
    color = fmt == "text" and out.isatty() and not os.environ.get("NO_COLOR")
    render(fmt, result, out, color=color)
    out.flush()
    code = exit_code(result, fail_on)
    if code:
        raise click.exceptions.Exit(code)


def _print_trend(project, fmt: str | None, weeks: int) -> None:
    """``rbh check --trend``: the docs site's health-over-time series as JSON."""
    import json

    from rbh.checks.trend import compute_trend
    from rbh.errors import RbhError

    if fmt not in (None, "json"):
        raise RbhError("--trend prints json only: use --trend --format json")
    trend = compute_trend(project.root, weeks=weeks, fallback_config=project.config)
    json.dump(trend.as_dict(), sys.stdout, indent=2)
    sys.stdout.write("\n")

