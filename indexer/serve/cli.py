"""The ``rbh serve`` command (attached in ``indexer.cli``)."""

from __future__ import annotations

import click

from rbh.options import repo_option

DEFAULT_TOKEN_ENV = "RBH_SERVE_TOKEN"


@click.command("serve")
@repo_option
@click.option("--host", default=None, help="Address to listen on (default: serve.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default: serve.port, 8095; 0 picks a free one).")
@click.option("--token-env", default=DEFAULT_TOKEN_ENV, envvar="RBH_SERVE_TOKEN_ENV", show_default=True, metavar="NAME",
              help="Environment variable holding the bearer token (never read from rbh.yaml).")
@click.option("--allow-repo-webhooks", is_flag=True,
              help="Also post to the chat webhooks listed in rbh.yaml (serve.webhooks); off by default. "
                   "RBH_TRUST_REPO_URLS=1 in the environment does the same.")
@click.option("--qdrant-url", default=None, metavar="URL", help="Qdrant server or cluster (default: store.url, env RBH_QDRANT_URL, else the local store).")
def serve_command(repo, host, port, token_env, allow_repo_webhooks, qdrant_url):
    """Serve the runbooks over HTTP: Alertmanager webhook, ask API, search page, metrics.

    POST /v1/alertmanager takes Alertmanager's webhook (version 4) and sends one message per alert
    group to the chat webhooks in RBH_SERVE_WEBHOOKS ("slack=URL teams=URL ..."; kinds: slack,
    mattermost, rocketchat, teams), carrying each alert's runbook section, link, first steps and
    health. GET /v1/ask?q=... answers as 'rbh ask --json'; GET / is a search page; /healthz and
    /metrics (Prometheus) need no token. Everything else needs 'Authorization: Bearer <token>'
    with the token from the variable --token-env names. A new 'rbh index' is picked up without a
    restart (every serve.index_check_seconds).

    \b
    Examples:
      RBH_SERVE_TOKEN=$(openssl rand -hex 24) rbh serve
      RBH_SERVE_WEBHOOKS="slack=https://hooks.slack.com/services/..." rbh serve --port 9095
      curl -H "Authorization: Bearer $RBH_SERVE_TOKEN" 'http://127.0.0.1:8095/v1/ask?q=checkout+latency'
    """
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        from rbh.errors import ConfigError

        raise ConfigError("rbh serve needs its extra: pip install 'runbook-health[serve]'") from None
    from rbh.config import trust_repo_webhooks
    from rbh.indexer.serve.service import serve

    allow_repo_webhooks = allow_repo_webhooks or trust_repo_webhooks()
    serve(repo, host=host, port=port, token_env=token_env, allow_repo_webhooks=allow_repo_webhooks, qdrant_url=qdrant_url,
          on_ready=lambda line: click.echo(line, err=True))
    return 0
