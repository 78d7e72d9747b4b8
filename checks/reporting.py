"""The ``rbh check`` options that decide *what is reported*: baseline use and writing, ``--changed-since``.

Kept out of ``checks/cli.py`` so the command stays short: ``reporting_options`` adds the options,
``prepare`` runs before the engine (it may point the config at another baseline), ``finish`` runs
after it (filters to the changed files, or writes the baseline and tells the command to stop).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from rbh.errors import ConfigError


def reporting_options(f):
    """``--changed-since``, ``--baseline``, ``--no-baseline``, ``--write-baseline [FILE]`` and ``--output FORMAT=FILE``."""
    options = [
        click.option("--changed-since", "changed_since", metavar="REV", default=None,
                     help="Report only on runbooks (and manifests) that changed since REV, or that mention "
                          "something a changed manifest defines; e.g. origin/main in a pull request."),
        click.option("--baseline", "baseline", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Baseline file of known findings (default: check.baseline, else .rbh-baseline.json "
                          "at the repository root when it exists)."),
        click.option("--no-baseline", "no_baseline", is_flag=True, default=False,
                     help="Report the findings the baseline lists too."),
        click.option("--write-baseline", "write_baseline", is_flag=False, flag_value="", default=None,
                     metavar="[FILE]",
                     help="Record every current finding as known debt in FILE (default: the baseline in use, "
                          "else .rbh-baseline.json) and exit 0. Give FILE as --write-baseline=FILE."),
        click.option("--output", "outputs", multiple=True, metavar="FORMAT=FILE",
                     help="Also write the report in FORMAT to FILE (repeatable), from the same run: "
                          "--format github --output sarif=rbh.sarif annotates and feeds code scanning at once."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@dataclass
class Plan:
    changed_since: str | None = None
    write_to: Path | None = None
    outputs: list[tuple[str, Path]] = field(default_factory=list)
    next_baseline: Path | None = None  # the file the next plain ``rbh check`` will read


def prepare(project, *, paths=(), changed_since=None, baseline=None, no_baseline=False, write_baseline=None,
            outputs=()) -> Plan:
    """Point the config at the baseline to use (or none) before the engine applies suppression."""
    from rbh.checks import baseline as bl
    from rbh.checks.formats import FORMATS

    if write_baseline is not None and (changed_since or paths):
        what = "--changed-since" if changed_since else "runbook PATHS"
        raise ConfigError(f"--write-baseline records every finding; it cannot be combined with {what}")
    if write_baseline and not write_baseline.endswith(".json"):
        # ``--write-baseline runbooks/a.md`` would otherwise overwrite a runbook with JSON.
        raise ConfigError(f"--write-baseline {write_baseline}: the baseline is a .json file "
                          "(give it as --write-baseline=FILE.json, or leave FILE out)")
    if no_baseline and baseline is not None:
        raise ConfigError("--baseline and --no-baseline contradict each other")
    plan = Plan(changed_since=changed_since)
    for spec in outputs:
        fmt, sep, target = spec.partition("=")
        if not sep or not target or fmt not in FORMATS:
            raise ConfigError(f"--output {spec}: expected FORMAT=FILE with FORMAT one of {', '.join(FORMATS)}")
        plan.outputs.append((fmt, Path(target)))
    check = project.config.check
    root = project.root.resolve()
    if baseline is not None:
        path = Path(baseline).resolve()
        if not path.is_relative_to(root):
            raise ConfigError(f"--baseline {baseline}: the file must be inside the repository ({project.root})")
        check.baseline = path.relative_to(root).as_posix()
    plan.next_baseline = (bl.resolve_path(project) if check.baseline else None) or root / bl.DEFAULT_FILE
    if write_baseline is not None:
        plan.write_to = Path(write_baseline) if write_baseline else plan.next_baseline
    if no_baseline or write_baseline is not None:
        # Writing starts from every finding: a broken or stale old baseline must not get in the way.
        check.baseline = ""
    return plan


def finish(project, result, plan: Plan) -> bool:
    """After the engine: True when the command is done (the baseline was written)."""
    if plan.write_to is not None:
        from rbh.checks import baseline as bl

        try:
            count = bl.write(result.findings, plan.write_to)
        except OSError as exc:
            raise ConfigError(f"--write-baseline {plan.write_to}: cannot write: {exc.strerror or exc}") from None
        click.echo(f"rbh: wrote {count} known finding{'s' if count != 1 else ''} to {plan.write_to}", err=True)
        if plan.next_baseline is None or plan.write_to.resolve() != plan.next_baseline.resolve():
            click.echo(f"rbh: hint: set check.baseline in rbh.yaml (or pass --baseline {plan.write_to}) "
                       "so rbh check uses it", err=True)
        return True
    if plan.changed_since:
        from rbh.checks import changed

        changed.filter_result(result, changed.compute(project, plan.changed_since))
    write_outputs(result, plan)
    return False


def write_outputs(result, plan: Plan) -> None:
    """The ``--output FORMAT=FILE`` reports, written before the main one goes to stdout."""
    from rbh.checks.formats import render

    for fmt, path in plan.outputs:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8") as out:
                render(fmt, result, out)
        except OSError as exc:
            raise ConfigError(f"--output {fmt}={path}: cannot write: {exc.strerror or exc}") from None
