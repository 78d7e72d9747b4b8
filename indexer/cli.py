"""CLI commands of the indexer package. Each command is its own function; ``COMMANDS`` lists them.

Haystack, Qdrant and the embedding model are imported inside the commands, so ``rbh --help`` and
``rbh check`` do not pay for them.
"""

from __future__ import annotations

import sys

import click

from rbh.cli import repo_option


@click.command("index")
@repo_option
@click.option("--ref", default=None, help="Git ref to index: branch, tag or sha (default: index.ref, HEAD).")
@click.option("--worktree", is_flag=True, help="Index the files on disk, uncommitted drafts included (for authors previewing a change).")
@click.option("--full", is_flag=True, help="Rebuild the whole index into a new collection instead of syncing what changed.")
@click.option("--qdrant-url", default=None, metavar="URL", help="Qdrant server or cluster (default: store.url, env RBH_QDRANT_URL, else the local store).")
@click.option("--status", "show_status", is_flag=True, help="Show what the index holds (commit, counts, model, store) and exit.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary line.")
def index_command(repo, ref, worktree, full, qdrant_url, show_status, quiet):
    """Index the runbooks of a git repository into Qdrant (dense + sparse vectors).

    Reads the committed tree at --ref (not the files on disk, unless --worktree), and re-embeds only
    the runbooks that changed since the last run. A changed model or chunking setting, a rewritten
    history or --full rebuilds into a new collection and switches to it atomically: `rbh ask` keeps
    answering from the previous index meanwhile.

    \b
    Examples:
      rbh index                                   sync the index with HEAD
      rbh index --ref origin/main --quiet         what CI runs after a merge
      rbh index --worktree                        include uncommitted drafts
      rbh index --status                          what is indexed, and where
      RBH_QDRANT_URL=http://qdrant:6333 rbh index   use a Qdrant server
    """
    from rbh.project import load_project

    project = load_project(repo)
    if show_status:
        from indexer.status import index_status

        click.echo(index_status(project, qdrant_url=qdrant_url))
        return 0
    from indexer.sync import sync

    show_bar = not quiet and sys.stderr.isatty()
    bar = None

    def progress_start(total: int):
        nonlocal bar
        if not show_bar or total == 0:
            return lambda n: None
        bar = click.progressbar(length=total, label="indexing runbooks", file=sys.stderr, show_pos=True)
        bar.__enter__()
        return bar.update

    try:
        report = sync(project, ref=ref, worktree=worktree, full=full, qdrant_url=qdrant_url, progress_start=progress_start)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for w in report.warnings:
        click.echo(f"rbh: warning: {w}", err=True)
    if not quiet:
        click.echo(report.summary())
    return 0


COMMANDS: list[click.Command] = [index_command]
