"""Runbooks from another repository: a remote URL cloned into a cache folder, or a local path.

``rbh index --source URL`` (or config ``index.source``) keeps config and store in the current
project and reads the runbooks from the source repository. A URL is cloned once into
``index.cache_dir`` (default ``.rbh/remotes/<name>-<hash>``, inside the gitignored ``.rbh``) and
fetched on later runs; the ref is resolved against the fetched remote branches first, so ``HEAD``
and ``main`` mean the remote's, not a stale local branch. Only ordinary transports are accepted
(https, http, ssh, git, file and ``user@host:path``): git's ``ext::`` and similar transports run
commands and are refused. Git never prompts for credentials (CI would hang).

Credentials in a URL (``https://user:token@host/...``) never reach disk or output: the clone is made
from the URL without them, so ``.git/config`` never holds them, and git receives them from a
credential helper that reads them from its own environment (``credential_env``), only for the URL's
host. Messages show the URL without user and password.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

from rbh import git as rgit
from rbh.errors import GitError

if TYPE_CHECKING:
    from git import Repo

    from rbh.project import Project

_URL = re.compile(r"^(https?|ssh|git|file)://", re.I)
_SCP = re.compile(r"^[\w.-]+@[\w.-]+:(?!//)")
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "echo", "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")}


def is_url(source: str) -> bool:
    return bool(_URL.match(source) or _SCP.match(source))


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(*url* without user and password, user, password). ssh keeps its user (a login name such as
    ``git``, not a secret, and needed to connect); http(s) give both to the credential helper."""
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url, None, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if parts.scheme.lower() in ("ssh", "git+ssh", "ssh+git") and user:
        host = f"{user}@{host}"
        return urlunsplit(parts._replace(netloc=host)), None, None
    return urlunsplit(parts._replace(netloc=host)), unquote(user) or None, unquote(password) if colon else None


def safe_url(url: str) -> str:
    """*url* without user and password, for messages and for anything written to disk."""
    parts = urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    # "https://user:p@ss@host" that urlsplit did not see as a URL: drop everything up to the last "@"
    return re.sub(r"^([a-z][a-z0-9+.-]*://)[^/]*@", r"\1", url, flags=re.I)


# A credential helper defined through the environment (never written to a config file): it answers
# git's "get" with the user and password from its own environment, and only for the URL's host.
_CREDENTIAL_HELPER = (
    '!f() { test "$1" = get || return 0; h=; while IFS= read -r l && [ -n "$l" ]; do '
    'case "$l" in host=*) h="${l#host=}";; esac; done; '
    '[ "$h" = "$RBH_GIT_HOST" ] && printf "username=%s\\npassword=%s\\n" "$RBH_GIT_USERNAME" "$RBH_GIT_PASSWORD"; }; f'
)


def credential_env(url: str) -> dict[str, str]:
    """Environment for git processes that fetch *url*: ``core.fsmonitor`` off (``rbh.git.git_env``)
    and, when the URL carries credentials, the helper above with them (other helpers cleared)."""
    clean, user, password = split_credentials(url)
    if user is None and password is None:
        return {**_GIT_ENV, **rgit.git_env()}
    # "" first empties the helper list, so the user's own helpers cannot store these credentials
    helper = {"credential.helper": "", "credential.useHttpPath": "false"}
    env = rgit.git_env(extra=helper)
    count = int(env["GIT_CONFIG_COUNT"])
    env.update({f"GIT_CONFIG_KEY_{count}": "credential.helper", f"GIT_CONFIG_VALUE_{count}": _CREDENTIAL_HELPER,
                "GIT_CONFIG_COUNT": str(count + 1)})
    return {**_GIT_ENV, **env, "RBH_GIT_HOST": urlsplit(clean).netloc, "RBH_GIT_USERNAME": user or "",
            "RBH_GIT_PASSWORD": password or ""}


def cache_folder(project: Project, url: str) -> Path:
    url = safe_url(url)  # the same folder whatever the token, and no secret in a folder name or hash
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git"))[:40] or "repo"
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:10]
    base = Path(project.config.index.cache_dir).expanduser()
    return (base if base.is_absolute() else project.root / base) / f"{name}-{digest}"


def open_source(project: Project, source: str) -> Repo:
    """The git repository runbooks are read from: cloned or fetched for a URL, opened for a path."""
    if not is_url(source):
        if re.match(r"^[a-z][a-z0-9+.-]*::", source, re.I) or "://" in source:
            raise GitError(f"unsupported git source '{safe_url(source)}': use an https, ssh, git or file URL, or a local path")
        path = Path(source).expanduser()
        return rgit.open_repo(path if path.is_absolute() else (project.root / path))
    import git

    dest = cache_folder(project, source)
    clean, _, _ = split_credentials(source)
    env = credential_env(source)
    try:
        if (dest / ".git").is_dir():
            repo = rgit.harden(git.Repo(dest))
            with repo.git.custom_environment(**env):
                # a cache cloned by an older rbh may hold the credentials in .git/config: drop them
                repo.git.remote("set-url", "origin", clean)
                repo.git.fetch("--prune", "--tags", "--force", "origin")
                # keep origin/HEAD pointing at the remote's default branch, even if it changed
                with _suppress_git():
                    repo.git.remote("set-head", "origin", "--auto")
            return repo
        dest.parent.mkdir(parents=True, exist_ok=True)
        return rgit.harden(git.Repo.clone_from(clean, dest, no_checkout=True, env=env))
    except git.GitCommandError as exc:
        raise GitError(f"cannot fetch runbooks from {safe_url(source)}: {_scrub(rgit.git_message(exc), source)}") from None


def _scrub(message: str, source: str) -> str:
    """*message* without the URL's credentials, wherever git quoted them."""
    _, user, password = split_credentials(source)
    for secret in (password, user if password else None):
        if secret and len(secret) >= 3:
            message = message.replace(secret, "***")
    return re.sub(r"([a-z][a-z0-9+.-]*://)[^/\s@']*@", r"\1", message, flags=re.I)


def remote_ref(repo, ref: str) -> str:
    """*ref* resolved against the fetched remote first: ``HEAD`` -> ``origin/HEAD``, ``main`` -> ``origin/main``."""
    candidates = ["origin/HEAD"] if ref == "HEAD" else [f"origin/{ref}", ref]
    for cand in candidates:
        try:
            return rgit.resolve_ref(repo, cand)
        except GitError:
            continue
    raise GitError(f"unknown git ref '{ref}' in the source repository")


class _suppress_git:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        import git

        return exc_type is not None and issubclass(exc_type, git.GitCommandError)
