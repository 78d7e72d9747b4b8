"""What git history says: which manifest names were renamed or removed, and when each file last changed.

Facts are gathered per commit, then folded newest first in ``git log`` order:

* from ``git log -z --name-only`` (every commit): the runbook and manifest files it changed, its author
  date and author. The first commit in the walk that changed a file is its last change.
* from ``git log -p`` over the manifest folders (non-merge commits that change them, the newest
  ``MAX_COMMITS``): the names (``name:``, ``namespace:``, ``alert:``, ``record:`` values) and metric
  names in ``expr:`` lines that were removed and added. A name removed in a commit that added a
  similar name under the same key in the same file is a rename; the newest such commit is the one
  reported ("renamed in <sha>"). A file moved or renamed without a change (git's exact rename
  detection) keeps the names it carries.
* A name's removal is reported only when no later commit added it back under the same key: folded
  newest first, the newest commit that touched the name decides, so a name removed and re-added
  since (in a file the checks may not read, a template) is not "removed", and the commit named is
  the one that took the name away for good. Within one commit, a name removed from a file and added
  to a file of another name stays removed (a Deployment deleted, an Argo CD Application of its name
  made).

A commit's facts depend only on the commit (its tree and its parents' trees) and the config's
globs, so ``checks.history_cache`` keeps them on disk by commit sha: a later run lists the commits
(``git rev-list``, headers only) and reads diffs only for commits it has not seen, in one
``git log --no-walk --stdin`` pass. Folding the same facts in the same order gives the same answer
as a run without the cache, whatever happened to the history in between (new commits, force-push,
shallow clone). Without a cache, history is read in two streaming ``git log`` passes.
On a shallow clone the history is incomplete; the caller adds a notice.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import os
import posixpath
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from rbh.checks import promql
from rbh.paths import escape_name

log = logging.getLogger(__name__)

_NAME_LINE = re.compile(r"^\s*(?:-\s+)?(name|alert|record|namespace)\s*:\s*[\"']?([A-Za-z0-9_.:/-]+)[\"']?\s*(?:#.*)?$")
_EXPR_LINE = re.compile(r"^\s*(?:-\s+)?expr\s*:\s*(.+)$")
_COMMIT = "\x1e"
_FIELD = "\x1f"
MAX_COMMITS = 5_000  # manifest-changing commits consulted for renames and removals, newest first
# The same value in every run (a user's diff.algorithm or textconv must not change what a cached
# commit says), git's own locks left alone, and no fsmonitor hook started by a read.
GIT_CONFIG = ["-c", "core.fsmonitor=false", "-c", "core.quotepath=off", "-c", "diff.algorithm=myers",
              "-c", "log.showSignature=false", "-c", "log.showRoot=true", "-c", "diff.noprefix=false",
              "-c", "diff.mnemonicPrefix=false", "-c", "diff.relative=false", "-c", "diff.interHunkContext=0",
              "-c", "diff.suppressBlankEmpty=false", "--no-replace-objects"]
# -M100% -l1000: a file moved without a change (git's exact rename detection, its limit written out so
# no user setting changes it) shows no lines, so the names it carries are not removed; a file moved
# and edited is still a deletion and an addition (a looser similarity paired unrelated small files of
# one shape, a Service deleted and another added, as renames)
_DIFF_ARGS = ["-p", "-U3", "-M100%", "-l1000", "--no-color", "--no-ext-diff", "--no-textconv", "--no-merges",
              "-O/dev/null"]  # -O/dev/null: no diff.orderFile (file order decides ties within a commit)


@dataclass(frozen=True)
class Rename:
    old: str
    new: str
    sha: str
    key: str  # name | alert | record
    path: str

    @property
    def short(self) -> str:
        return self.sha[:8]


@dataclass
class ManifestHistory:
    renames: dict[str, Rename] = field(default_factory=dict)  # old name -> newest rename of it
    removed: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # name -> (sha, key, path) of the commit that removed it last
    removed_metrics: dict[str, str] = field(default_factory=dict)  # metric -> sha that removed its last use
    commits: int = 0
    shallow: bool = False
    available: bool = True

    def renamed_to(self, name: str, candidates: set[str] | None = None) -> Rename | None:
        """The rename chain's end for *name* (only if it is in *candidates*, when given)."""
        seen: set[str] = set()
        current = self.renames.get(name)
        result = None
        while current is not None and current.new not in seen and len(seen) < 20:
            if current.new == name:
                return None  # renamed back (two names swapped in a values file): *name* is no old name
            seen.add(current.new)
            result = Rename(name, current.new, current.sha, current.key, current.path) if result is None else Rename(name, current.new, result.sha, current.key, current.path)
            if candidates is not None and current.new in candidates:
                return result
            current = self.renames.get(current.new)
        if result is not None and (candidates is None or result.new in candidates):
            return result
        return None



@dataclass(frozen=True)
class CommitFacts:
    """What one commit says, for the fold. *manifest* is None until its diff was read (or when the
    commit changes no manifest: *touch* False)."""

    date: str  # author date, ISO 8601
    author: str
    files: tuple[str, ...]  # runbook and manifest files it changed (merges: none)
    touch: bool  # a non-merge commit that changed a file under the manifest pathspecs
    manifest: tuple[tuple[tuple[str, str, str, str | None], ...], tuple[str, ...], tuple[tuple[str, str], ...]] | None = None
    # (removed names as (name, key, path, renamed to or None), metrics it removed, names it added as (key, name))


def commit_facts_of_diff(per_file: dict[str, tuple[list, list, set, set]]):
    """A commit's (removed names, removed metrics, added names) from its parsed manifest diff."""
    removed: list[tuple[str, str, str, str | None]] = []
    metrics: set[str] = set()
    # a name added in the same commit to a file of the same name elsewhere was moved with its file
    # (`git mv monitoring/x.yaml monitoring/alerts/x.yaml`, which --no-renames shows as a deletion and
    # an addition), not removed; the same name added to a file of another name may be another kind
    # of object (a Deployment deleted, an Argo CD Application of that name added)
    added_in: dict[tuple[str, str], set[str]] = {}
    metrics_in: dict[str, set[str]] = {}
    for path, (_rem, add, _mr, metrics_added) in per_file.items():
        for pair in add:
            added_in.setdefault(pair, set()).add(posixpath.basename(path))
        for metric in metrics_added:
            metrics_in.setdefault(metric, set()).add(posixpath.basename(path))
    for path, (rem, add, metrics_removed, _metrics_added) in per_file.items():
        removed_names = set(rem)
        base = posixpath.basename(path)
        for key, old in rem:
            if base in added_in.get((key, old), ()):
                continue  # moved, not removed
            options = [n for k, n in add if k == key and (k, n) not in removed_names]
            best = None
            if options:
                cand = max(options, key=lambda n: difflib.SequenceMatcher(None, old, n).ratio())
                if difflib.SequenceMatcher(None, old, cand).ratio() >= 0.5 or len(options) == 1:
                    best = cand
            removed.append((old, key, path, best))
        metrics |= {m for m in metrics_removed if base not in metrics_in.get(m, ())}
    added = sorted(added_in)  # (key, name) pairs
    return tuple(removed), tuple(sorted(metrics)), tuple(added)


def fold(order: list[str], facts: dict[str, CommitFacts], *, shallow: bool = False) -> tuple[ManifestHistory, dict[str, str]]:
    """Renames and removals, and the last commit per file, from per-commit facts newest first."""
    history = ManifestHistory(shallow=shallow)
    last: dict[str, str] = {}
    readded: set[tuple[str, str]] = set()  # (key, name) some newer commit added
    count = 0
    for sha in order:
        rec = facts[sha]
        for path in rec.files:
            if path not in last:
                last[path] = sha
        if not rec.touch or count >= MAX_COMMITS:
            continue
        count += 1
        if rec.manifest is None:
            raise ValueError(f"commit {sha[:8]}: manifest diff not read")
        removed, metrics, added = rec.manifest
        for old, key, path, new in removed:
            if (key, old) in readded:
                continue  # a newer commit added it back: not removed (nor renamed away) for good
            history.removed.setdefault(old, (sha, key, path))
            if new is not None and old not in history.renames:
                history.renames[old] = Rename(old, new, sha, key, path)
        for metric in metrics:
            history.removed_metrics.setdefault(metric, sha)
        # added after this commit's removals: a name removed from one file and added to another in
        # the same commit (a Deployment deleted, an Argo CD Application of its name made) stays removed
        readded.update(added)
    history.commits = count
    return history, last


def needed_diffs(order: list[str], facts: dict[str, CommitFacts]) -> list[str]:
    """Commits inside the fold's window whose manifest diff has not been read yet."""
    out, count = [], 0
    for sha in order:
        rec = facts[sha]
        if not rec.touch:
            continue
        if count >= MAX_COMMITS:
            break
        count += 1
        if rec.manifest is None:
            out.append(sha)
    return out


# ------------------------------------------------------------------------------------ git
class HistoryError(Exception):
    """git could not be read (the caller treats history as unavailable)."""


def git_lines(root: Path, args: list[str], stdin_lines: Iterable[str] | None = None, *, nul: bool = False) -> Iterator[str]:
    """Lines of a git command's output, streamed; *nul*: the NUL-terminated records of a ``-z``
    command instead (paths exactly as stored: no C-quoting, and a newline, tab, quote or `` b/`` in a
    name cannot split or shift a record), non-UTF-8 bytes escaped as the work-tree walk escapes them.

    GitPython's ``execute`` returns the whole output at once; a 10-year history's diff is read line by
    line here instead, through the same argument-list call (never a shell)."""
    cmd = ["git", "-C", str(root), *GIT_CONFIG, *args]
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin_lines is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    except OSError as exc:
        raise HistoryError(f"git not runnable: {exc}") from None
    assert proc.stdout is not None
    try:
        if stdin_lines is not None:
            assert proc.stdin is not None
            # git reads every revision from stdin before it writes anything: no deadlock
            proc.stdin.write("".join(f"{s}\n" for s in stdin_lines).encode())
            proc.stdin.close()
        if nul:
            yield from _nul_records(proc.stdout)
        else:
            for raw in proc.stdout:
                yield raw.decode("utf-8", errors="replace").rstrip("\n")
        err = proc.stderr.read().decode("utf-8", errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise HistoryError(f"git {args[0]} failed: {err.strip().splitlines()[-1] if err.strip() else proc.returncode}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()


def _nul_records(stream: IO[bytes]) -> Iterator[str]:
    rest = b""
    while True:
        chunk = stream.read(1 << 16)
        if not chunk:
            break
        *done, rest = (rest + chunk).split(b"\0")
        for raw in done:
            yield escape_name(raw.decode("utf-8", "surrogateescape"))
    if rest:
        yield escape_name(rest.decode("utf-8", "surrogateescape"))


def _unquote(name: str) -> str:
    """A path as git prints it: C-quoted in double quotes when it has control characters or quotes."""
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    body = name[1:-1]
    out = bytearray()
    i = 0
    simple = {"n": 10, "t": 9, '"': 34, "\\": 92, "a": 7, "b": 8, "f": 12, "r": 13, "v": 11}
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
            if re.match(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
        out += c.encode("utf-8", "surrogateescape")
        i += 1
    return escape_name(out.decode("utf-8", "surrogateescape"))


def under(path: str, specs: list[str]) -> bool:
    return any(s in ("", ".") or path == s or path.startswith(s.rstrip("/") + "/") for s in specs)


_LOG_FORMAT = f"--format={_COMMIT}%H{_FIELD}%P{_FIELD}%aI{_FIELD}%an"


def read_commits(root: Path, revs: list[str], specs: list[str], relevant, *, no_walk: bool = False) -> tuple[list[str], dict[str, CommitFacts]]:
    """(commits in walk order, their facts without diffs) from one ``git log -z --name-only`` pass
    over *revs* (``--no-walk``: exactly those commits, given on stdin). *relevant(path)* says which
    changed files to keep."""
    args = ["log", "-z", "--name-only", "--no-renames", "--no-color", _LOG_FORMAT]
    if no_walk:
        args += ["--no-walk=unsorted", "--stdin"]
        records = git_lines(root, args, revs, nul=True)
    else:
        records = git_lines(root, [*args, *revs, "--"], nul=True)
    order: list[str] = []
    facts: dict[str, CommitFacts] = {}
    current: list[Any] | None = None
    first = False

    def flush() -> None:
        if current is not None:
            sha, date, author, merge, files, touch = current
            facts[sha] = CommitFacts(date, author, tuple(files), touch and not merge)

    # -z output: "<header>\0", then "\n" and each changed file's name, NUL-terminated
    for record in records:
        if record.startswith(_COMMIT):
            flush()
            parts = record[1:].split(_FIELD, 3)
            if len(parts) != 4 or not _SHA.match(parts[0]):
                current = None
                continue
            sha, parents, date, author = parts
            order.append(sha)
            current = [sha, date, author, len(parents.split()) > 1, [], False]
            first = True
            continue
        if first:
            record, first = record.removeprefix("\n"), False
        if current is None or not record:
            continue
        path = record
        if not current[5] and under(path, specs):
            current[5] = True
        if relevant(path):
            current[4].append(path)
    flush()
    return order, facts


def read_diffs(root: Path, shas: list[str], specs: list[str]) -> dict[str, tuple]:
    """Manifest facts of exactly these commits, from one ``git log -p --no-walk --stdin`` pass."""
    out: dict[str, tuple] = {}
    if not shas:
        return out
    sha = None
    body: list[str] = []
    args = ["log", *_DIFF_ARGS, f"--format={_COMMIT}%H", "--no-walk=unsorted", "--stdin", "--", *(specs or ["."])]
    for line in git_lines(root, args, shas):
        if line.startswith(_COMMIT):
            if sha is not None:
                out[sha] = commit_facts_of_diff(_parse_commit_diff("\n".join(body)))
            sha, body = line[1:].strip(), []
            continue
        body.append(line)
    if sha is not None:
        out[sha] = commit_facts_of_diff(_parse_commit_diff("\n".join(body)))
    wanted = set(shas)
    for s in wanted - out.keys():  # a commit git skipped (no change under the pathspecs after all)
        out[s] = ((), (), ())
    return {s: v for s, v in out.items() if s in wanted}


_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


def rev_list(root: Path) -> list[str]:
    """Every commit reachable from HEAD, in ``git log`` order (headers only: cheap)."""
    return [line for line in git_lines(root, ["rev-list", "HEAD", "--"]) if _SHA.match(line)]


def head_sha(root: Path) -> str | None:
    try:
        lines = list(git_lines(root, ["rev-parse", "--verify", "-q", "HEAD^{commit}"]))
    except HistoryError:
        return None
    return lines[0].strip() if lines and _SHA.match(lines[0].strip()) else None


# ------------------------------------------------------------------------------------ the whole
@dataclass
class RepoHistory:
    """Everything the checks take from git history, for the commit at HEAD."""

    manifests: ManifestHistory
    last: dict[str, str] = field(default_factory=dict)  # path -> sha of its last change
    facts: dict[str, CommitFacts] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    commits_read: int = 0  # commits whose facts this run read from git (the rest came from the memo)

    def last_change(self, path: str):
        """``rbh.git.CommitInfo`` of the last commit that changed *path* (None when none did)."""
        from rbh.git import CommitInfo

        sha = self.last.get(path)
        if sha is None:
            return None
        rec = self.facts[sha]
        try:
            date = dt.datetime.fromisoformat(rec.date)
        except ValueError:
            return None
        return CommitInfo(sha, date, rec.author)

    def last_changes(self, paths: Iterable[str]) -> dict[str, Any]:
        out = {}
        for p in paths:
            info = self.last_change(p)
            if info is not None:
                out[p] = info
        return out


def relevance(globs: list[str], specs: list[str]):
    """Which changed files a commit's facts keep: those the runbook or manifest globs select, and
    any under the manifest pathspecs."""
    from rbh.paths import glob_match

    def relevant(path: str) -> bool:
        return under(path, [s for s in specs if s not in ("", ".")]) or any(glob_match(path, g) for g in globs)

    return relevant


def build(root: Path, specs: list[str], relevant, *, shallow: bool = False,
          known: dict[str, CommitFacts] | None = None, order: list[str] | None = None) -> tuple[list[str], dict[str, CommitFacts], int]:
    """(order, facts, commits read): every commit reachable from HEAD with its facts, reading only
    what *known* lacks. Without *known*: one ``git log --name-only`` pass, then one ``-p`` pass."""
    read = 0
    if known is None:
        order, facts = read_commits(root, ["HEAD"], specs, relevant)
        read = len(order)
    else:
        if order is None:
            order = rev_list(root)
        facts = {s: known[s] for s in order if s in known}
        missing = [s for s in order if s not in facts]
        if missing:
            _, more = read_commits(root, missing, specs, relevant, no_walk=True)
            facts.update(more)
            read = len(missing)
            lost = [s for s in missing if s not in facts]
            if lost:
                raise HistoryError(f"git log did not return {len(lost)} commit(s), e.g. {lost[0][:8]}")
    todo = needed_diffs(order, facts)
    if todo:
        diffs = read_diffs(root, todo, specs)
        for s in todo:
            old = facts[s]
            facts[s] = CommitFacts(old.date, old.author, old.files, old.touch, diffs.get(s, ((), (), ())))
    return order, facts, read


def load_history(repo, pathspecs: list[str]) -> ManifestHistory:
    """Renames and removals in the history of the manifest files matched by *pathspecs* (no cache)."""
    from rbh import git as rgit

    history = ManifestHistory()
    if repo is None or not rgit.has_commits(repo):
        history.available = False
        return history
    root = Path(repo.working_tree_dir or repo.git_dir)
    specs = list(pathspecs or ["."])
    try:
        order, facts, _ = build(root, specs, lambda p: False)
        history, _ = fold(order, facts, shallow=rgit.is_shallow(repo))
    except HistoryError as exc:
        log.info("manifest history unavailable: %s", exc)
        history.available = False
        history.shallow = rgit.is_shallow(repo)
    return history


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _patch_path(text: str, prefix: str) -> str | None:
    """The file of a ``--- a/...`` / ``+++ b/...`` line (without the marker): C-quoted when the name
    has a quote, tab, newline or other control character; followed by a tab when it holds a space
    (for GNU patch). None for ``/dev/null``."""
    if text == "/dev/null":
        return None
    text = text.removesuffix("\t")  # a name that ends in a tab is quoted, so this tab is git's
    name = _unquote(text) if text.startswith('"') else text
    return name[len(prefix):] if name.startswith(prefix) else name


def _parse_commit_diff(body: str) -> dict[str, tuple[list, list, set, set]]:
    """Per file: (names removed, names added, metrics removed, metrics added) in one commit's diff.

    The file comes from the ``---``/``+++`` lines, not from ``diff --git a/X b/Y``, which cannot be
    split when a name holds `` b/``. Context lines (``-U3``) let a changed line inside an
    ``expr: |`` block be read as PromQL.
    """
    per_file: dict[str, tuple[list, list, set, set]] = {}
    current: str | None = None
    old: str | None = None
    in_header = False  # between "diff --git" and the first hunk: mode, index and file name lines
    expr_indent: int | None = None  # inside an ``expr: |`` block scalar, the key's indentation
    for line in body.split("\n"):
        if line.startswith("diff --git "):
            current, old, in_header, expr_indent = None, None, True, None
            continue
        if in_header:
            if line.startswith("--- "):
                old = _patch_path(line[4:], "a/")
            elif line.startswith("+++ "):
                current = _patch_path(line[4:], "b/") or old
                if current is not None:
                    per_file.setdefault(current, ([], [], set(), set()))
            elif line.startswith("@@"):
                in_header = False
            continue
        if line.startswith("@@"):
            expr_indent = None
            continue
        if not line or line[0] not in "+- " or current is None:
            continue
        bucket = per_file.setdefault(current, ([], [], set(), set()))
        sign, text = line[0], line[1:]
        if expr_indent is not None and (not text.strip() or _indent(text) > expr_indent):
            if sign != " ":
                (bucket[2] if sign == "-" else bucket[3]).update(promql.metric_names(text))
            continue
        expr_indent = None
        e = _EXPR_LINE.match(text)
        if e:
            value = e.group(1).strip()
            if value[:1] in ("|", ">"):
                expr_indent = _indent(text)
            elif sign != " ":
                (bucket[2] if sign == "-" else bucket[3]).update(promql.metric_names(value.strip("'\"")))
            continue
        if sign == " ":
            continue
        m = _NAME_LINE.match(text)
        if m:
            (bucket[0] if sign == "-" else bucket[1]).append((m.group(1), m.group(2)))
    return per_file
