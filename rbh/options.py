"""Click options shared by every command module, kept below the CLI root so that command modules
never import the root (which would make a cycle: the root loads them)."""

from __future__ import annotations

from pathlib import Path

import click


def repo_option(f):
    """``--repo PATH``: the runbook repository (default: the git repository containing the current directory)."""
    return click.option(
        "--repo",
        "repo",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        envvar="RBH_REPO",
        help="Runbook repository (default: the git repository containing the current directory).",
    )(f)
