"""Repository access through GitPython: files at a ref, last change per file in one pass, diffs.

GitPython runs the ``git`` binary with argument lists (never a shell); rbh never runs anything it
reads from a runbook or manifest. Every git process rbh starts runs with ``core.fsmonitor`` off
(``git_env``): the setting names a program that git runs on status and diff, and a repository's
config is not ours to trust.

Names git reports (paths, author names) may hold bytes that are not UTF-8; GitPython keeps them as
surrogates, which no output can encode. They come back from here escaped (``\\xNN``), and paths
that needed escaping are reported instead of read.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable


from rbh.errors import GitError
from rbh.paths import escape_name, is_undecodable

_SEP_COMMIT = "\x1e"
_SEP_FIELD = "\x1f"


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    date: dt.datetime
    author: str

    @property
    def short(self) -> str:
        return self.sha[:8]

    def as_dict(self) -> dict[str, str]:
        return {"commit": self.sha, "date": self.date.isoformat(), "author": self.author}


# Settings forced on every git process, through git's environment config (``GIT_CONFIG_COUNT``,
# git >= 2.31), which outranks every config file and reaches the processes GitPython starts itself
# (``is_dirty``, ``rev-parse``). ``core.fsmonitor`` would run a program named by the repository's config.
SAFE_GIT_CONFIG = {"core.fsmonitor": "false"}


def git_env(base: dict[str, str] | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment variables that apply ``SAFE_GIT_CONFIG`` (and *extra* settings) after any the user
    set in *base* (default: ``os.environ``) the same way."""
    env = os.environ if base is None else base
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        count = 0
    out: dict[str, str] = {}
    for key, value in {**SAFE_GIT_CONFIG, **(extra or {})}.items():
        out[f"GIT_CONFIG_KEY_{count}"] = key
        out[f"GIT_CONFIG_VALUE_{count}"] = value
        count += 1
    out["GIT_CONFIG_COUNT"] = str(count)
    return out


def git_message(exc) -> str:
    """What git said when a command failed (a ``git.GitCommandError``), as one line.

    GitPython wraps stderr as ``\\n  stderr: '...\\n'``: its last line is a lone quote, which is
    all that ``--source`` failures used to report. The wrapper is removed and git's own ``fatal:`` or
    ``error:`` line preferred."""
    text = escape_name(str(getattr(exc, "stderr", "") or "")).strip()
    if text.startswith("stderr:"):
        text = text.removeprefix("stderr:").strip()
        if len(text) >= 2 and text[0] == text[-1] == "'":
            text = text[1:-1]
    lines = [line.strip() for line in text.splitlines() if line.strip().strip("'")]
    for line in lines:  # the first is the cause ("does not appear to be a git repository"), later ones follow from it
        if line.lower().startswith(("fatal:", "error:")):
            return line
    if lines:
        return lines[-1]
    status = getattr(exc, "status", None)
    return f"git exited with status {status}" if status is not None else str(exc)


def harden(repo):
    """*repo* with ``git_env`` applied to every git command it runs; returns *repo*."""
    repo.git.update_environment(**git_env())
    return repo


def open_repo(path: Path | str | None = None):
    """The git repository containing *path* (default: the current directory)."""
    import git  # GitPython; imported here to keep ``rbh --help`` fast

    start = Path(path or ".").resolve()
    if not start.exists():
        raise GitError(f"{start}: no such directory")
    try:
        return harden(git.Repo(start, search_parent_directories=True))
    except git.InvalidGitRepositoryError:
        raise GitError(f"{start} is not inside a git repository (use --repo PATH or run 'git init')") from None
    except git.NoSuchPathError:
        raise GitError(f"{start}: no such directory") from None


def repo_root(repo) -> Path:
    if repo.working_tree_dir is None:
        raise GitError(f"{repo.git_dir} is a bare repository; rbh needs a checkout")
    return Path(repo.working_tree_dir)


def has_commits(repo) -> bool:
    try:
        repo.head.commit  # noqa: B018
        return True
    except ValueError:
        return False


def resolve_ref(repo, ref: str = "HEAD") -> str:
    """Full sha of *ref*; a one-line GitError when it does not exist."""
    import git

    if ref == "HEAD" and not has_commits(repo):
        raise GitError("the repository has no commits yet; commit your runbooks first (or use --worktree)")
    try:
        return repo.rev_parse(f"{ref}^{{commit}}").hexsha
    except (git.BadName, git.BadObject, ValueError, git.GitCommandError):
        raise GitError(f"unknown git ref '{ref}'") from None


def is_shallow(repo) -> bool:
    return (Path(repo.git_dir) / "shallow").exists()


def list_files(repo, ref: str = "HEAD", undecodable: set[str] | None = None) -> list[str]:
    """Regular files of the tree at *ref* (symlinks and submodules are left out). Names that are
    not UTF-8 come back escaped and are added to *undecodable* (they cannot be read by that name).

    One ``git ls-tree`` lists the tree; GitPython's tree traversal builds an object per entry, five
    times slower at 2,000 files (and every ``rbh index`` lists one or two trees)."""
    sha = resolve_ref(repo, ref)
    raw = repo.git.ls_tree("-r", "-z", "--full-tree", sha, stdout_as_string=False)
    out: list[str] = []
    for entry in raw.split(b"\0"):
        meta, tab, name = entry.partition(b"\t")
        fields = meta.split(b" ")
        if not tab or len(fields) != 3 or fields[1] != b"blob" or fields[0] == b"120000":
            continue
        path = name.decode("utf-8", "surrogateescape")  # as GitPython decodes tree entries
        if is_undecodable(path):
            path = escape_name(path)
            if undecodable is not None:
                undecodable.add(path)
        out.append(path)
    return sorted(out)


def read_files(repo, ref: str, paths: Iterable[str]) -> dict[str, bytes]:
    """Contents of *paths* in the tree at *ref* (missing paths are left out)."""
    commit = repo.commit(resolve_ref(repo, ref))
    out: dict[str, bytes] = {}
    for p in paths:
        try:
            blob = commit.tree / p
        except KeyError:
            continue
        if blob.type == "blob" and blob.mode != 0o120000:
            out[p] = blob.data_stream.read()
    return out


def blob_ids(repo, ref: str, paths: Iterable[str] | None = None) -> dict[str, str]:
    """Blob sha of every regular file at *ref* (or of *paths*): a cheap content fingerprint."""
    commit = repo.commit(resolve_ref(repo, ref))
    wanted = set(paths) if paths is not None else None
    out: dict[str, str] = {}
    for item in commit.tree.traverse():
        path = escape_name(item.path) if item.type == "blob" else item.path
        if item.type == "blob" and item.mode != 0o120000 and (wanted is None or path in wanted):
            out[path] = item.hexsha
    return out


def last_changes(repo, ref: str = "HEAD", paths: Iterable[str] | None = None, pathspecs: Iterable[str] = ()) -> dict[str, CommitInfo]:
    """Last commit (sha, date, author) touching each file, from ONE pass over ``git log``.

    *paths* limits the answer to those files; *pathspecs* limits the log itself (folders or globs).
    The log is read as git writes it, and git is stopped once every file of *paths* has its commit:
    for the runbook changed by the newest commit that is the first commit read, not a walk over
    years of history (0.4 s at 20,000 commits).
    """
    sha = resolve_ref(repo, ref)
    wanted = set(paths) if paths is not None else None
    if wanted is not None and not wanted:
        return {}
    args = [f"--format={_SEP_COMMIT}%H{_SEP_FIELD}%aI{_SEP_FIELD}%an", "--name-only", "--no-renames", sha]
    if pathspecs:
        args += ["--", *pathspecs]
    import git

    try:
        proc = repo.git.execute(["git", "-c", "core.quotepath=off", "log", "-z", *args], as_process=True)
    except git.GitCommandError as exc:
        raise GitError(f"git log failed: {git_message(exc)}") from None
    log = _LogReader(wanted)
    try:
        pending = b""
        while not log.done:
            chunk = proc.stdout.read1(1 << 16)
            if not chunk:
                break
            *records, pending = (pending + chunk).split(b"\0")
            for record in records:
                log.add(os.fsdecode(record))
                if log.done:
                    break
        if log.done:
            proc.kill()  # the rest of history cannot change a file's last change
            proc.proc.wait()  # the process itself: AutoInterrupt.wait would report the kill as a failure
            return log.found
        if pending:
            log.add(os.fsdecode(pending.removesuffix(b"\n")))
        proc.wait()  # GitPython's AutoInterrupt: raises GitCommandError for a failed git log
    except git.GitCommandError as exc:
        raise GitError(f"git log failed: {git_message(exc)}") from None
    finally:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    return log.found


class _LogReader:
    """The records of ``git log -z --name-only`` in ``last_changes``' format: a commit header
    ("<header>\\0"), then "\\n" and each file name NUL-terminated, exactly as stored (a quote, tab,
    newline or leading blank in a name is not C-quoted or stripped)."""

    def __init__(self, wanted: set[str] | None) -> None:
        self.wanted = wanted
        self.found: dict[str, CommitInfo] = {}
        self.info: CommitInfo | None = None
        self.first = False

    @property
    def done(self) -> bool:
        return self.wanted is not None and len(self.found) == len(self.wanted)

    def add(self, record: str) -> None:
        if record.startswith(_SEP_COMMIT):
            parts = record[1:].split(_SEP_FIELD)
            self.info = CommitInfo(parts[0], dt.datetime.fromisoformat(parts[1]), escape_name(parts[2])) if len(parts) == 3 else None
            self.first = True
            return
        if self.first:
            record, self.first = record.removeprefix("\n"), False
        name = escape_name(record)
        if self.info is None or not name or name in self.found or (self.wanted is not None and name not in self.wanted):
            return
        self.found[name] = self.info


def commit_info(repo, ref: str = "HEAD") -> CommitInfo:
    c = repo.commit(resolve_ref(repo, ref))
    return CommitInfo(c.hexsha, c.authored_datetime, escape_name(c.author.name or ""))


def is_ancestor(repo, old: str, new: str) -> bool:
    import git

    try:
        repo.git.merge_base("--is-ancestor", old, new)
        return True
    except git.GitCommandError:
        return False


@dataclass(frozen=True)
class Change:
    status: str  # A, M, D, R
    path: str
    old_path: str | None = None


def diff_names(repo, old: str, new: str | None = None) -> list[Change]:
    """Files added, modified, deleted and renamed between two commits (*new* None: the work tree)."""
    import git

    try:
        raw = repo.git.execute(["git", "-c", "core.quotepath=off", "diff", "-z", "--name-status", "-M", "--no-color", old,
                                *([new] if new else [])])
    except git.GitCommandError as exc:
        where = f"{old[:8]}..{new[:8]}" if new else f"{old[:8]} (work tree)"
        raise GitError(f"git diff {where} failed: {git_message(exc)}") from None
    return name_status_changes(raw.split("\0"))


def name_status_changes(records: Iterable[str]) -> list[Change]:
    """``Change``s from the NUL-separated records of ``--name-status -z``: a status (``R100``), then
    one path, or two for a rename or copy (paths exactly as stored: never quoted)."""
    out: list[Change] = []
    it = iter(records)
    for status in it:
        st = status.strip()[:1]
        if not st:
            continue
        if st in "RC":
            old_path, new_path = escape_name(next(it, "")), escape_name(next(it, ""))
            if old_path and new_path:
                out.append(Change("R", new_path, old_path) if st == "R" else Change("A", new_path))
        elif st in "AMDT":
            path = escape_name(next(it, ""))
            if path:
                out.append(Change("M" if st == "T" else st, path))
        else:  # U (unmerged), X: one path, nothing to report
            next(it, None)
    return out
