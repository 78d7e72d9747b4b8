"""Wiring for ``rbh serve``: token, chat targets, the warm index, the app, and uvicorn on a socket."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from rbh.indexer.serve.notify import Target
    from rbh.project import Project

from rbh.errors import ConfigError

log = logging.getLogger("rbh.indexer.serve")

MIN_TOKEN_CHARS = 16


def read_token(token_env: str) -> str:
    from rbh.redact import register_secret_env

    if not token_env or not token_env.replace("_", "").isalnum():
        raise ConfigError(f"--token-env: {token_env[:60]!r} is not an environment variable name")
    token = os.environ.get(token_env, "").strip()
    if len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(f"rbh serve needs a bearer token of at least {MIN_TOKEN_CHARS} characters in ${token_env}",
                          hint=f"export {token_env}=$(openssl rand -hex 24)")
    register_secret_env(token_env)
    return token


def chat_targets(project: Project, allow_repo_webhooks: bool) -> list[Target]:
    """Targets from RBH_SERVE_WEBHOOKS, plus rbh.yaml's serve.webhooks only when allowed: a pull
    request that edits rbh.yaml must not be able to send the alerts somewhere else."""
    from rbh.indexer.serve.notify import Target, targets_from_env
    from rbh.redact import register_secret_env

    register_secret_env("RBH_SERVE_WEBHOOKS")
    targets = targets_from_env(os.environ.get("RBH_SERVE_WEBHOOKS"))
    repo_hooks = project.config.serve.webhooks
    if repo_hooks and not allow_repo_webhooks:
        log.warning("rbh.yaml lists %d chat webhook(s) in serve.webhooks; ignored without --allow-repo-webhooks "
                    "or RBH_TRUST_REPO_URLS=1 (or set RBH_SERVE_WEBHOOKS)", len(repo_hooks))
    elif repo_hooks:
        targets += [Target(h.name, h.kind, h.url) for h in repo_hooks]
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise ConfigError("chat webhooks: two targets have the same name")
    return targets


def build(repo: Path | None, *, token: str, targets: list, qdrant_url: str | None = None, backoff: float = 0.5,
          check_seconds: float | None = None, **overrides: Any):
    """(app, warm index, serve config) for *repo*: what ``rbh serve`` runs, for tests and the bench
    too; *overrides* replace ``serve:`` settings of the repository's config."""
    from rbh.indexer.serve.app import Settings, create_app
    from rbh.indexer.serve.notify import Notifier
    from rbh.indexer.serve.warm import WarmIndex
    from rbh.project import load_project

    cfg = load_project(repo).config.serve.model_copy(update=overrides)
    warm = WarmIndex(repo, qdrant_url=qdrant_url, check_seconds=check_seconds or cfg.index_check_seconds)
    notifier = Notifier(targets, timeout=cfg.notify_timeout, retries=cfg.notify_retries, queue_size=cfg.notify_queue,
                        backoff=backoff)
    app = create_app(warm, notifier, Settings(token, cfg.max_body_bytes, cfg.rate_limit_per_minute, cfg.max_alerts_per_message))
    return app, warm, cfg


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    return sock


def serve(repo: Path | None, *, host: str | None, port: int | None, token_env: str, allow_repo_webhooks: bool,
          qdrant_url: str | None, on_ready: Callable[[str], None] = lambda line: None) -> None:
    """Run the service until stopped; *on_ready* gets the one line to tell the user once it listens
    (the command prints it: library code does not write to the terminal)."""
    import uvicorn

    from rbh.project import load_project

    token = read_token(token_env)
    project = load_project(repo)
    cfg = project.config.serve
    targets = chat_targets(project, allow_repo_webhooks)
    app, warm, _ = build(repo, token=token, targets=targets, qdrant_url=qdrant_url)
    host = host or cfg.host
    sock = bind(host, cfg.port if port is None else port)
    bound = sock.getsockname()[1]
    state = warm.bundle.state

    def ready() -> None:
        url_host = f"[{host}]" if ":" in host else host
        on_ready(f"rbh serve: listening on http://{url_host}:{bound} (index at commit {(state.get('commit') or '-')[:8]}; "
                 f"{len(targets)} chat target(s){': ' + ', '.join(t.name for t in targets) if targets else ''})")

    app.state.on_ready = ready
    config = uvicorn.Config(app, log_config=None, access_log=False, server_header=False, proxy_headers=False,
                            lifespan="on", timeout_graceful_shutdown=10)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        warm.close()
        sock.close()
