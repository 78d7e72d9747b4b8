"""Repository-relative paths: glob matching with ``**`` and containment checks.

Every path rbh handles is a POSIX path relative to the repository root. Nothing resolves outside
it: ``..`` segments, absolute paths and symlinks that point outside are refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path, PurePosixPath


_STARS = {"*": "[^/]*", "**": ".*", "**/": "(?:.*/)?"}


def _merge_stars(a: str, b: str) -> str | None:
    """One star for two adjacent ones when they match the same strings (``**`` absorbs every star;
    ``*`` then ``**/`` does not merge: it cannot match ``a/b``)."""
    if a == b:
        return a
    if "**" in (a, b) or (a, b) == ("**/", "*"):
        return "**"
    return None


def _glob_tokens(pattern: str) -> list[str]:
    """*pattern* as star tokens (``*``, ``**``, ``**/``) and one-character regex pieces."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            tok, i = "**/", i + 3
        elif pattern.startswith("**", i):
            tok, i = "**", i + 2
        elif c == "*":
            tok, i = "*", i + 1
        else:
            if c == "?":
                out.append("[^/]")
                i += 1
            elif c == "[" and pattern.find("]", i + 1) != -1:
                j = pattern.find("]", i + 1)
                body = pattern[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j + 1
            else:
                out.append(re.escape(c))
                i += 1
            continue
        merged = _merge_stars(out[-1], tok) if out and out[-1] in _STARS else None
        if merged:
            out[-1] = merged
        else:
            out.append(tok)
    return out


class _GlobAutomaton:
    """Glob matching by simulating the pattern's automaton: O(path x pattern) whatever the stars.
    Used for patterns with many stars, where a backtracking regex costs O(path ** stars)."""

    def __init__(self, tokens: list[str]):
        self.tokens = [t if t in _STARS else re.compile(t) for t in tokens]

    def _closure(self, states: set[tuple[int, bool]]) -> set[tuple[int, bool]]:
        # (token index, inside a ``**/`` that has consumed characters); stars may match nothing
        todo, seen = list(states), set(states)
        while todo:
            k, inside = todo.pop()
            if k < len(self.tokens) and self.tokens[k] in _STARS and not inside:
                nxt = (k + 1, False)
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def match(self, path: str) -> bool | None:
        states = self._closure({(0, False)})
        for ch in path:
            nxt: set[tuple[int, bool]] = set()
            for k, _inside in states:
                if k >= len(self.tokens):
                    continue
                tok = self.tokens[k]
                if tok == "*":
                    if ch != "/":
                        nxt.add((k, False))
                elif tok == "**":
                    nxt.add((k, False))
                elif tok == "**/":
                    nxt.add((k, True))
                    if ch == "/":
                        nxt.add((k + 1, False))
                elif not isinstance(tok, str) and tok.fullmatch(ch):
                    nxt.add((k + 1, False))
            states = self._closure(nxt)
            if not states:
                return None
        return True if (len(self.tokens), False) in states else None


MAX_BACKTRACKING_STARS = 3


@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str] | _GlobAutomaton:
    """A regex for *pattern*, linear by construction: a star followed by fixed text and another star
    takes the first occurrence of that text, in an atomic group (as ``fnmatch`` does), whenever the
    first occurrence is always the best one; patterns with more stars than that covers use the
    automaton. Adjacent stars are merged."""
    tokens = _glob_tokens(pattern)
    stars = [i for i, t in enumerate(tokens) if t in _STARS]
    out: list[str] = []
    backtracking = 0
    i = 0
    k = 0  # index into stars of the first star after i
    while i < len(tokens):
        tok = tokens[i]
        if tok not in _STARS:
            out.append(tok)
            i += 1
            continue
        while k < len(stars) and stars[k] <= i:
            k += 1
        if k == len(stars):
            out.append(_STARS[tok])
            i += 1
            continue
        later = stars[k]
        fixed = "".join(tokens[i + 1 : later])
        nxt = tokens[later]
        # after a ``*``, the fixed text must not match "/" at a choice of places (a class might)
        classes = any(t.startswith("[") and t != "[^/]" for t in tokens[i + 1 : later])
        if nxt == "**" or (tok == "*" and nxt == "*" and not classes):
            lazy = "[^/]*?" if tok == "*" else ".*?" if tok == "**" else None
            if lazy:  # the leftmost occurrence leaves the most room for the rest
                out.append(f"(?>{lazy}{fixed})")
                i = later
                continue
        backtracking += 1
        out.append(_STARS[tok])
        i += 1
    if backtracking > MAX_BACKTRACKING_STARS:
        return _GlobAutomaton(tokens)
    return re.compile("".join(out) + r"\Z", re.S)  # re.S: a file name may hold a newline


def glob_match(path: str, pattern: str) -> bool:
    """True when the repository-relative POSIX *path* matches *pattern* (``**`` matches any depth)."""
    return _glob_regex(pattern.lstrip("./") if pattern.startswith("./") else pattern).match(path) is not None


def select(paths: list[str], include: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
    return sorted(p for p in paths if any(glob_match(p, g) for g in include) and not any(glob_match(p, g) for g in exclude))


def glob_folder(globs: Sequence[str]) -> str:
    """The folder the first glob's fixed part names (``runbooks/**/*.md`` -> ``runbooks``; '' for none)."""
    if not globs:
        return ""
    head = re.split(r"[*?\[]", globs[0], maxsplit=1)[0]
    return head.rsplit("/", 1)[0] if "/" in head else ""


def pathspecs_of(globs: Sequence[str]) -> list[str]:
    """The folders (git pathspecs) that hold every file the *globs* can select."""
    return sorted({glob_folder([g]) or "." for g in globs}) or ["."]


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


UNDECODABLE_NAME = "file name is not valid UTF-8 (shown with \\xNN escapes): not read; rename the file"


def is_undecodable(name: str) -> bool:
    """True for a name that holds surrogates: bytes that were not UTF-8, kept by ``surrogateescape``
    (``os.walk``, GitPython). Such a name cannot be printed, put in JSON, XML or a store."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def escape_name(name: str) -> str:
    """*name* as printable text: each byte that is not UTF-8 becomes ``\\xNN`` (``caf\\xe9.md``)."""
    if not is_undecodable(name):
        return name
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no byte stands for
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def walk_files(root: Path, undecodable: set[str] | None = None) -> list[str]:
    """Every regular file below *root* as a relative POSIX path; symlinks, .git and .rbh are skipped.

    Names that are not UTF-8 come back escaped (``escape_name``) and are added to *undecodable*, so
    callers report them instead of reading them (or crashing an output format on them).

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
            path = name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}"
            if is_undecodable(path):
                path = escape_name(path)
                if undecodable is not None:
                    undecodable.add(path)
            found.append(path)
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
