"""The ``rbh`` command: a click group that attaches the commands of ``checks`` and ``indexer``.

Heavy libraries (Haystack, Qdrant, the embedding model) are imported inside the commands that need
them, so ``rbh check`` and ``rbh --help`` start fast.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import click

from rbh import __version__
from rbh.errors import EXIT_UNEXPECTED, EXIT_USAGE, RbhError, UsageError
from rbh.options import repo_option  # noqa: F401 - re-exported: command modules written before rbh.options import it from here
from rbh.redact import redact
from rbh.textsafe import RedactingFilter
from rbh.textsafe import message_line as _safe

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("rbh: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("rbh").setLevel(level)  # rbh.checks and rbh.indexer included


# Each command: (module, attribute, extra it needs or None). Commands load when they are used, so
# `rbh --help` and `rbh check` import nothing heavy, and the command modules can import from `rbh`
# without a cycle through this root.
LAZY_COMMANDS: dict[str, tuple[str, str, str | None]] = {
    "ask": ("rbh.indexer.cli", "ask_command", "ask"),
    "check": ("rbh.checks.cli", "check_command", None),
    "eval": ("rbh.indexer.cli", "eval_command", "ask"),
    "explain": ("rbh.checks.rules_cli", "explain_command", None),
    "index": ("rbh.indexer.cli", "index_command", "ask"),
    "new": ("rbh.checks.new_runbook", "new_command", None),
    "rules": ("rbh.checks.rules_cli", "rules_command", None),
    "serve": ("rbh.indexer.serve.cli", "serve_command", "serve"),
}

# What an extra installs, by import name: a command whose extra is missing says so in one line
# instead of failing deep inside an import.
EXTRAS: dict[str, tuple[str, ...]] = {
    "ask": ("haystack", "qdrant_client", "wordllama"),
    "serve": ("haystack", "qdrant_client", "wordllama", "starlette", "uvicorn", "prometheus_client", "httpx"),
}


def missing_extra(extra: str) -> str | None:
    """The first import name of ``extra`` that is not installed, or None when all are."""
    import importlib.util

    for name in EXTRAS.get(extra, ()):
        if importlib.util.find_spec(name) is None:
            return name
    return None


class LazyGroup(click.Group):
    """A click group that imports a command's module only when the command runs or shows its help
    (the pattern from click's documentation, "Lazily loading subcommands")."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        spec = LAZY_COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module_name, attr, extra = spec
        if extra is not None and ctx.resilient_parsing is False and missing_extra(extra):
            return _needs_extra(cmd_name, extra)
        import importlib

        cmd = getattr(importlib.import_module(module_name), attr)
        self.add_command(cmd, cmd_name)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The listing needs each command's short help; load them, which is cheap (no heavy imports
        # happen at module level in the command modules).
        rows = []
        for name in self.list_commands(ctx):
            spec = LAZY_COMMANDS.get(name)
            if spec is not None and spec[2] is not None and missing_extra(spec[2]):
                rows.append((name, f"(needs: pip install 'runbook-health[{spec[2]}]')"))
                continue
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _needs_extra(cmd_name: str, extra: str) -> click.Command:
    """A stand-in command that explains, in one line, what to install for ``cmd_name``."""

    @click.command(cmd_name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                               "help_option_names": []})
    @click.pass_context
    def stand_in(ctx: click.Context) -> None:
        raise UsageError(f"'rbh {cmd_name}' needs the '{extra}' extra: pip install 'runbook-health[{extra}]'")

    return stand_in


@click.group(cls=LazyGroup, context_settings=CONTEXT)
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
    except click.UsageError as exc:
        # One line, like every other error (click's own form is three: usage, "Try ...", error).
        where = exc.ctx.command_path if exc.ctx is not None else "rbh"
        click.echo(f"rbh: error: {_safe(exc.format_message())} (see '{where} --help')", err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        click.echo(f"rbh: error: {_safe(exc.format_message())}", err=True)
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
    # Most of what a command allocates is the modules it imports, which live until it exits; the
    # collector's default thresholds walk them again and again (0.03 s of a one-file `rbh index`).
    # Collections are made rarer, as the checks engine does for a run (checks.engine).
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0, 50_000), max(gen1, 20), max(gen2, 100))
    code = run()
    # The command is done; what is left is the interpreter's clean-up, whose garbage collector
    # walks every object the imports made (Haystack, numpy, pydantic) only to free memory that the
    # process hands back as it exits: about 0.1 s of a one-file `rbh index` or an `rbh ask`.
    # gc.freeze() (public, documented) takes them out of its sight. Objects are still released by
    # reference counting, and every file rbh writes is closed by the command that wrote it.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    main()
