"""CLI commands of the indexer package. Each command is its own function; the CLI root
(``rbh.cli.LAZY_COMMANDS``) names each one and loads this module when one of them runs.

Haystack, Qdrant and the embedding model are imported inside the commands, so ``rbh --help`` and
``rbh check`` do not pay for them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rbh.options import repo_option


@click.command("index")
@repo_option
@click.option("--ref", default=None, help="Git ref to index: branch, tag or sha (default: index.ref, HEAD).")
@click.option("--worktree", is_flag=True, help="Index the files on disk, uncommitted drafts included (for authors previewing a change).")
@click.option("--full", is_flag=True, help="Rebuild the whole index into a new collection instead of syncing what changed.")
@click.option("--source", default=None, metavar="URL|PATH",
              help="Read the runbooks from this git URL (cloned into index.cache_dir, fetched on later runs) or path; config and store stay in --repo.")
@click.option("--qdrant-url", default=None, metavar="URL", help="Qdrant server or cluster (default: store.url, env RBH_QDRANT_URL, else the local store).")
@click.option("--status", "show_status", is_flag=True, help="Show what the index holds (commit, counts, model, store) and exit.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary line.")
def index_command(repo, ref, worktree, full, source, qdrant_url, show_status, quiet):
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
      rbh index --source https://git.example.com/sre/runbooks.git
      RBH_QDRANT_URL=http://qdrant:6333 rbh index   use a Qdrant server
    """
    from rbh.project import load_project

    # with a --source the current folder only holds config and store: it need not be a repository
    project = load_project(repo, require_git=not source)
    if show_status:
        from rbh.indexer.status import index_status

        click.echo(index_status(project, qdrant_url=qdrant_url))
        return 0
    # The stored health is for the project's own repository (not a --source): its checks start
    # now, in a second process where there is a second CPU, while the index is updated.
    health = None
    if not source:
        from rbh.checks.api import start_health_refresh

        health = start_health_refresh(project)
    from rbh.indexer.sync import sync

    show_bar = not quiet and sys.stderr.isatty()
    bar = None

    def progress_start(total: int):
        nonlocal bar
        if not show_bar or total == 0:
            return lambda n: None
        bar = click.progressbar(length=total, label="indexing runbooks", file=sys.stderr, show_pos=True)
        bar.__enter__()
        return bar.update

    def close_bar() -> None:
        nonlocal bar
        if bar is not None:
            bar.__exit__(None, None, None)
            bar = None

    def store_health() -> None:
        close_bar()
        assert health is not None
        failed = health.wait()  # A failing check never fails the index: health is an extra.
        if failed is not None:
            click.echo(f"rbh: notice: runbook health not stored ({failed}); 'rbh ask' computes it", err=True)

    try:  # the health refresh ends while the store removes the replaced index generation
        report = sync(project, ref=ref, worktree=worktree, full=full, qdrant_url=qdrant_url, source=source,
                      progress_start=progress_start, then=None if health is None else store_health)
    except BaseException:
        if health is not None:
            health.cancel()
        raise
    finally:
        close_bar()
    from rbh.textsafe import message_line

    for w in report.warnings:
        click.echo(f"rbh: warning: {message_line(w)}", err=True)
    if not quiet:
        click.echo(report.summary())
    return 0


# ------------------------------------------------------------------------------------------------
# rbh ask / rbh eval (the query side: indexer.query, indexer.alerts, indexer.answer, indexer.llm)


def _split_values(values: tuple[str, ...]) -> tuple[str, ...]:
    """``--service a,b --service c`` -> ("a", "b", "c")."""
    return tuple(v.strip() for raw in values for v in raw.split(",") if v.strip())


@click.command("ask")
@click.argument("question", nargs=-1)
@repo_option
@click.option("--alert-json", "alert_json", type=click.File("rb"), default=None, metavar="FILE",
              help="An Alertmanager webhook payload (or '-' for stdin): resolves its alerts to their runbooks.")
@click.option("--service", multiple=True, metavar="NAME", help="Only runbooks of this service (repeat or comma-separate).")
@click.option("--team", multiple=True, metavar="NAME", help="Only runbooks whose team or owner is NAME.")
@click.option("--tag", multiple=True, metavar="TAG", help="Only runbooks with this tag.")
@click.option("-k", "--top-k", type=click.IntRange(1, 50), default=None, help="How many sections to show (default: ask.top_k, 5).")
@click.option("--per-runbook", type=click.IntRange(1, 20), default=None, help="Sections per runbook before the next runbook gets a slot (default: ask.per_runbook, 1).")
@click.option("--alert-lookup/--no-alert-lookup", default=None, help="Resolve alert names and alert text through the manifests first (default: ask.alert_lookup, on).")
@click.option("--llm/--no-llm", "use_llm", default=None, help="Add a short cited answer from the configured OpenAI-compatible endpoint (default: llm.enabled).")
@click.option("--health/--no-health", default=True, help="Show each runbook's open findings from the checks (default: on).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for tools: {query, no_match, results: [...], ...}.")
@click.option("--qdrant-url", default=None, metavar="URL", help="Qdrant server or cluster (default: store.url, env RBH_QDRANT_URL, else the local store).")
@click.option("--no-cache", is_flag=True, help="Recompute alerts and health instead of reusing .rbh/ask-cache.json and .rbh/health-cache.json (kept per commit and files).")
@click.option("--full", is_flag=True, help="Show whole runbooks and sections without the length caps.")
@click.option("--expand", is_flag=True, help="Show every result in full, not only the best one.")
@click.option("--rerank", type=click.Choice(["none", "cross-encoder", "llm"]), default=None,
              help="Reorder the free-text candidates with a local cross-encoder (ask.rerank_model) or the configured LLM (default: ask.rerank, none).")
def ask_command(question, repo, alert_json, service, team, tag, top_k, per_runbook, alert_lookup, use_llm, health, as_json, qdrant_url, no_cache,
                full, expand, rerank):
    """Find the runbook sections that answer QUESTION, cited, with their freshness and health.

    QUESTION can be your own words, an alert name, or the alert text that paged you (its summary or
    description): alerts known from the manifests resolve straight to their runbook section, and
    free-text search fills the remaining slots. Nothing from a runbook is ever executed.

    The best result is shown in full; a runbook matched as a whole (an alert's runbook_url without
    an anchor, or a one-alert-per-file page) as its procedure: the sections a responder acts on
    (diagnosis, mitigation, ...) in full, the others shortened. Further results get one citation
    line and a snippet (--expand shows them in full, --full lifts the length caps).

    \b
    Examples:
      rbh ask "checkout p99 latency is high"
      rbh ask CheckoutHighLatency
      rbh ask --alert-json payload.json           an Alertmanager webhook payload
      rbh ask "disk full" --service postgresql --top-k 3
      rbh ask "kafka consumer lag" --json | jq '.results[0].citation'
      rbh ask "payments 5xx" --llm                 add a short cited summary (config: llm)
    """
    from rbh.indexer.answer import AskOptions, answer_question

    from rbh.indexer.alerts import read_payload_file
    from rbh.paths import escape_name

    text = escape_name(" ".join(question).strip())  # argv bytes that are not UTF-8 arrive as surrogates
    if not text and alert_json is None:
        raise click.UsageError("give a QUESTION or --alert-json FILE")
    payload_text = read_payload_file(alert_json) if alert_json is not None else None
    opts = AskOptions(
        query=text, payload_text=payload_text, service=_split_values(service), team=_split_values(team),
        tag=_split_values(tag), top_k=top_k, per_runbook=per_runbook, alert_lookup=alert_lookup, llm=use_llm,
        health=health, qdrant_url=qdrant_url, cache=not no_cache, rerank=rerank,
    )
    from rbh.project import load_project

    project = load_project(repo)
    answer = answer_question(project, opts)  # opens the store itself (indexer.store) and closes it
    from rbh.indexer import render

    if as_json:
        click.echo(render.render_json(answer), nl=False)
        return 0
    from rbh.textsafe import message_line

    for n in answer.notices:
        click.echo(f"rbh: notice: {message_line(n)}", err=True)
    click.echo(render.render_text(answer, color=render.use_color(sys.stdout), best_relevance=answer.best_relevance,
                                  full=full, expand=expand), nl=False)
    return 0


@click.command("eval")
@click.argument("queries", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@repo_option
@click.option("--runbooks-root", "--expected-prefix", "runbooks_root", default=None, metavar="DIR",
              help="Folder (relative to the repository) that the queries' expected paths are relative to.")
@click.option("--manifests", "manifests_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              metavar="DIR", help="Read alert rules from DIR instead of the repository's manifests.")
@click.option("--alert-lookup/--no-alert-lookup", default=True, help="Resolve alerts through the rules first (default: on).")
@click.option("--kinds", default=None, metavar="K1,K2", help="Only queries of these query_kind values, e.g. summary,description.")
@click.option("--json", "as_json", is_flag=True, help='Print {"overall": {...}, "by_kind": {...}, "misses": [...]}.')
@click.option("--qdrant-url", default=None, metavar="URL", help="Qdrant server or cluster (default: the configured store).")
@click.option("--rerank", type=click.Choice(["none", "cross-encoder", "llm"]), default=None,
              help="Apply the optional reranking stage as 'rbh ask --rerank' does (default: ask.rerank).")
def eval_command(queries, repo, runbooks_root, manifests_dir, alert_lookup, kinds, as_json, qdrant_url, rerank):
    """Measure retrieval quality: recall@1/3/5 and MRR@10 at runbook level, per query_kind and overall.

    QUERIES is a JSONL file, one object a line: {"query": ..., "expected": [runbook paths], "query_kind": ...}.
    Any expected path counts as a hit. Run 'rbh index' first; the index is queried as 'rbh ask' does.
    Several files are several sets over the same index: each is reported on its own (named by its
    folder for <set>/queries.jsonl, else by its file name).

    \b
    Examples:
      rbh eval queries.jsonl
      rbh eval queries.jsonl --kinds summary,description --no-alert-lookup
      rbh eval ../bench/queries.jsonl --runbooks-root runbooks --manifests ../bench/rules --json
    """
    from rbh.indexer.evaluate import run_eval, set_name
    from rbh.project import load_project

    project = load_project(repo)
    reports = {}
    for qf in queries:
        name = set_name(qf)
        while name in reports:
            name += "'"
        reports[name] = run_eval(project, qf, runbooks_root=runbooks_root, manifests_dir=manifests_dir,
                                 alert_lookup=alert_lookup, kinds=kinds.split(",") if kinds else None,
                                 qdrant_url=qdrant_url, rerank=rerank)
    for report in reports.values():
        for n in report.notices:
            click.echo(f"rbh: notice: {n}", err=True)
    if as_json:
        import json

        data = next(iter(reports.values())).as_dict() if len(reports) == 1 else \
            {"sets": {name: r.as_dict() for name, r in reports.items()}}
        click.echo(json.dumps(data, indent=2))
        return 0
    for i, (name, report) in enumerate(reports.items()):
        if len(reports) > 1:
            click.echo(("\n" if i else "") + f"set {name}")
        click.echo(report.table())
        if report.misses:
            click.echo(f"\n{len(report.misses)} quer{'y' if len(report.misses) == 1 else 'ies'} not answered at rank 1 (--json lists them)")
    return 0

