"""Small JSON caches under ``.rbh/`` (history, health, ask): one way to read, write and key them.

A cache folder is untrusted input like the rest of the repository (SECURITY.md): reads never follow a
symlink, stop at a size limit and turn any parse error into "no cache"; writes go through a temporary
file and an atomic rename, never through a symlinked folder, and mark the folder as not for git.
Callers validate what they read; a missing or broken cache is never an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def read_json(path: Path, limit: int) -> Any:
    """The JSON value in *path*, or None when it is missing, a symlink, over *limit* bytes or not JSON."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def write_json(path: Path, doc: Any) -> bool:
    """Write *doc* to *path* atomically; False (logged at debug level) when it could not be written."""
    from rbh.paths import keep_out_of_git

    folder = path.parent
    tmp = folder / f".{path.name}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if folder.is_symlink():
            return False
        keep_out_of_git(folder)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(doc, separators=(",", ":")))  # json.dump(fh) encodes in pure Python
        os.replace(tmp, path)
        return True
    except OSError as exc:
        log.debug("%s not written: %s", path.name, exc)
        try:
            tmp.unlink()
        except OSError:
            pass
        return False


def head_sha(project: Any) -> str:
    """HEAD's commit, "no-commit" before the first one, "-" outside git."""
    if project.repo is None:
        return "-"
    try:
        return project.repo.head.commit.hexsha
    except Exception:  # noqa: BLE001 - no commits yet: the files alone decide
        return "no-commit"


def state_key(project: Any, salt: str) -> str:
    """Hash of a repository state: rbh's version, *salt* (the cache's format), HEAD, the config and
    every runbook and manifest file's size and modification time (not the date)."""
    from rbh import __version__

    h = hashlib.sha256()
    h.update(f"{salt}\x1f{__version__}\x1f{head_sha(project)}\x1f{project.config.model_dump_json()}".encode())
    for rel in sorted(set(project.runbook_paths()) | set(project.manifest_paths())):
        try:
            st = (project.root / rel).stat()
        except OSError:
            continue
        h.update(f"\x1e{rel}\x1f{st.st_size}\x1f{st.st_mtime_ns}".encode())
    return h.hexdigest()[:32]
