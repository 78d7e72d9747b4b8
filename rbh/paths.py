"""Repository-relative paths: glob matching with ``**`` and containment checks.

Every path rbh handles is a POSIX path relative to the repository root. Nothing resolves outside
it: ``..`` segments, absolute paths and symlinks that point outside are refused.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path, PurePosixPath


@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(path: str, pattern: str) -> bool:
    """True when the repository-relative POSIX *path* matches *pattern* (``**`` matches any depth)."""
    return _glob_regex(pattern.lstrip("./") if pattern.startswith("./") else pattern).match(path) is not None


def select(paths: list[str], include: list[str], exclude: list[str] = ()) -> list[str]:
    return sorted(p for p in paths if any(glob_match(p, g) for g in include) and not any(glob_match(p, g) for g in exclude))


def safe_relpath(root: Path, candidate: str | os.PathLike[str]) -> str | None:
    """*candidate* (relative to *root*) as a normalized POSIX path, or None when it would leave *root*."""
    text = str(candidate).replace("\\", "/")
    if not text or text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        return None
    parts: list[str] = []
    for part in PurePosixPath(text).parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(part)
    return "/".join(parts) if parts else None


def walk_files(root: Path) -> list[str]:
    """Every regular file below *root* as a relative POSIX path; symlinks, .git and .rbh are skipped.

    So are submodules and nested repositories (a folder with its own ``.git``): their files belong to
    another history, and ``git.list_files`` leaves them out too, so ``rbh check`` on the work tree and
    ``rbh index`` at a ref see the same runbooks."""
    found: list[str] = []
    skip = {".git", ".rbh", ".venv", "node_modules", "__pycache__"}

    def keep(dirpath: str, name: str) -> bool:
        full = os.path.join(dirpath, name)
        return name not in skip and not os.path.islink(full) and not os.path.lexists(os.path.join(full, ".git"))

    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if keep(dirpath, d))
        rel = os.path.relpath(dirpath, root)
        for name in filenames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            found.append(name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}")
    return sorted(found)


def keep_out_of_git(folder: Path) -> None:
    """Put a ``*`` .gitignore in a folder rbh writes inside the work tree (the local index, caches):
    a repository that does not ignore ``.rbh/`` would otherwise commit a 100 MB index with the next
    ``git add -A``, and checking out another commit would then delete the serving index."""
    marker = folder / ".gitignore"
    if not marker.exists():
        try:
            marker.write_text("# written by rbh: a local index and caches, never committed\n*\n", encoding="utf-8")
        except OSError:
            pass
