"""Runbooks from another repository: a remote URL cloned into a cache folder, or a local path.

``rbh index --source URL`` (or config ``index.source``) keeps config and store in the current
project and reads the runbooks from the source repository. A URL is cloned once into
``index.cache_dir`` (default ``.rbh/remotes/<name>-<hash>``, inside the gitignored ``.rbh``) and
fetched on later runs; the ref is resolved against the fetched remote branches first, so ``HEAD``
and ``main`` mean the remote's, not a stale local branch. Only ordinary transports are accepted
(https, http, ssh, git, file and ``user@host:path``): git's ``ext::`` and similar transports run
commands and are refused. Git never prompts for credentials (CI would hang); a URL's user and
password never appear in messages.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from rbh import git as rgit
from rbh.errors import GitError

_URL = re.compile(r"^(https?|ssh|git|file)://", re.I)
_SCP = re.compile(r"^[\w.-]+@[\w.-]+:(?!//)")
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "echo", "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")}


def is_url(source: str) -> bool:
    return bool(_URL.match(source) or _SCP.match(source))


def safe_url(url: str) -> str:
    """*url* without user and password, for messages."""
    return re.sub(r"^([a-z+]+://)[^/@]*@", r"\1", url, flags=re.I)


def cache_folder(project, url: str) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", safe_url(url).rstrip("/").rsplit("/", 1)[-1].removesuffix(".git"))[:40] or "repo"
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:10]
    base = Path(project.config.index.cache_dir).expanduser()
    return (base if base.is_absolute() else project.root / base) / f"{name}-{digest}"


def open_source(project, source: str):
    """The git repository runbooks are read from: cloned or fetched for a URL, opened for a path."""
    if not is_url(source):
        if re.match(r"^[a-z][a-z0-9+.-]*::", source, re.I) or "://" in source:
            raise GitError(f"unsupported git source '{safe_url(source)}': use an https, ssh, git or file URL, or a local path")
        path = Path(source).expanduser()
        return rgit.open_repo(path if path.is_absolute() else (project.root / path))
    import git

    dest = cache_folder(project, source)
    try:
        if (dest / ".git").is_dir():
            repo = git.Repo(dest)
            with repo.git.custom_environment(**_GIT_ENV):
                repo.git.fetch("--prune", "--tags", "--force", "origin")
                # keep origin/HEAD pointing at the remote's default branch, even if it changed
                with _suppress_git():
                    repo.git.remote("set-head", "origin", "--auto")
            return repo
        dest.parent.mkdir(parents=True, exist_ok=True)
        return git.Repo.clone_from(source, dest, no_checkout=True, env=_GIT_ENV)
    except git.GitCommandError as exc:
        detail = (exc.stderr or "").strip().splitlines()
        msg = detail[-1] if detail else str(exc.status)
        raise GitError(f"cannot fetch runbooks from {safe_url(source)}: {safe_url(msg.removeprefix('stderr: ').strip())}") from None


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
