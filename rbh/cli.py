"""The ``rbh`` command: a click group that attaches the commands of ``checks`` and ``indexer``.

Heavy libraries (Haystack, Qdrant, the embedding model) are imported inside the commands that need
them, so ``rbh check`` and ``rbh --help`` start fast.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from rbh import __version__
from rbh.errors import EXIT_UNEXPECTED, EXIT_USAGE, RbhError
from rbh.redact import RedactingFilter, redact
from rbh.textsafe import message_line as _safe

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


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


def setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("rbh: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("rbh").setLevel(level)
    for name in ("checks", "indexer"):
        logging.getLogger(name).setLevel(level)


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="rbh")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def cli(verbose: int) -> None:
    """Runbook health: find the right runbook section fast, and know whether to trust it.

    \b
    Examples:
      rbh index                           index the runbooks of this repository
      rbh ask "checkout p99 latency"      best runbook sections, cited, with their health
      rbh check --fail-on warning         staleness checks for CI
      rbh explain RBH101                  what a check detects and why
    """
    setup_logging(verbose)


def _attach() -> None:
    from checks.cli import COMMANDS as CHECK_COMMANDS
    from indexer.cli import COMMANDS as INDEX_COMMANDS

    for cmd in (*INDEX_COMMANDS, *CHECK_COMMANDS):
        cli.add_command(cmd)


_attach()


def run(argv: list[str] | None = None) -> int:
    """Run rbh and return its exit code: every outcome maps to the table in ``rbh.errors``."""
    try:
        rv = cli.main(args=argv, prog_name="rbh", standalone_mode=False)
    except RbhError as exc:
        click.echo(f"rbh: error: {_safe(str(exc))}", err=True)
        if exc.hint:
            click.echo(f"rbh: hint: {_safe(exc.hint)}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("rbh: aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if exc.exit_code == 2 else exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("rbh: interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if os.environ.get("RBH_DEBUG"):
            import traceback

            click.echo(redact(traceback.format_exc()), err=True)
        click.echo(f"rbh: unexpected error: {type(exc).__name__}: {_safe(str(exc))[:500]}", err=True)
        click.echo("rbh: this is a bug; set RBH_DEBUG=1 for a traceback and please report it", err=True)
        return EXIT_UNEXPECTED
    return rv if isinstance(rv, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
