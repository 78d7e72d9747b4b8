"""The on-disk memo of per-commit history facts: ``.rbh/history-cache.json``.

A commit's facts (``checks.history.CommitFacts``: files it changed, author, date, the manifest
names and metrics it removed) are a pure function of the commit and of the config's globs, so they
are kept by commit sha under a key over those globs. A run lists the commits reachable from HEAD
(``git rev-list``, headers only), reads names and diffs only for commits the memo lacks, and folds
everything newest first exactly as a run without the memo would. Nothing order-dependent is cached,
so new commits, a force-push or a different branch can make the memo incomplete but never wrong;
commits no longer reachable are dropped when it is written. When the clone's shallow boundary
changes (``git fetch --deepen`` / ``--unshallow``), the boundary commits' facts change too, so the
memo is discarded and rebuilt.

The ``.rbh`` folder is inside the work tree, so a pull request can put anything there: the file is
parsed as JSON only (never pickle), every value is checked for type and shape (shas, names, paths),
a symlinked or git-tracked cache is ignored, and any problem means "no cache", never an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

from rbh import cachefile
from rbh.checks.history import (
    MAX_COMMITS,
    CommitFacts,
    HistoryError,
    RepoHistory,
    git_lines,
    build,
    fold,
    needed_diffs,
    relevance,
)

log = logging.getLogger(__name__)

CACHE_DIR = ".rbh"
CACHE_FILE = "history-cache.json"
HEAD_FILE = "history-head.json"  # the fold at the memo's tip: what a run at an unchanged HEAD reads
FORMAT = 5  # 2: file names read with -z (1 mis-read names holding a quote, tab, newline or " b/"); 3-4: names moved with their file (same file name) in a commit are not removed (3 had any file); 5: names added kept (a name re-added later is not removed), renamed files diffed against their old selves
MAX_BYTES = 256 * 1024 * 1024

_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_NAME = re.compile(r"^[A-Za-z0-9_.:/-]{1,512}$")  # what checks.history's name regex can capture
_METRIC = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]{0,511}$")
_KEYS = frozenset({"name", "alert", "record", "namespace"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[+-]\d\d:\d\d|Z)$")  # git's %aI


class _Invalid(Exception):
    pass


def _key(specs: list[str], globs: list[str]) -> str:
    blob = json.dumps({"format": FORMAT, "specs": specs, "globs": globs, "max": MAX_COMMITS}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _shallow_state(repo) -> str:
    """Hash of the clone's shallow boundary ('' for a full clone)."""
    common = Path(getattr(repo, "common_dir", None) or repo.git_dir)
    try:
        return hashlib.sha256((common / "shallow").read_bytes()).hexdigest()[:32]
    except OSError:
        return ""


def _path_ok(p: Any) -> bool:
    return (isinstance(p, str) and 0 < len(p) <= 4096 and "\x00" not in p and not p.startswith("/")
            and ".." not in p.split("/"))


def _commit_from_json(row: Any) -> tuple[str, CommitFacts]:
    if not isinstance(row, list) or len(row) != 6:
        raise _Invalid("row shape")
    sha, date, author, files, touch, manifest = row
    if not isinstance(sha, str) or not _SHA.match(sha):
        raise _Invalid("sha")
    if not isinstance(date, str) or not _DATE.match(date):
        raise _Invalid("date")
    if not isinstance(author, str) or len(author) > 512 or _CONTROL.search(author):
        raise _Invalid("author")
    if not isinstance(files, list) or not all(_path_ok(f) for f in files):
        raise _Invalid("files")
    if not isinstance(touch, bool):
        raise _Invalid("touch")
    facts = None
    if manifest is not None:
        if not touch or not isinstance(manifest, list) or len(manifest) != 3:
            raise _Invalid("manifest")
        removed_raw, metrics_raw, added_raw = manifest
        if not isinstance(removed_raw, list) or not isinstance(metrics_raw, list) or not isinstance(added_raw, list):
            raise _Invalid("manifest")
        removed = []
        for item in removed_raw:
            if not isinstance(item, list) or len(item) != 4:
                raise _Invalid("removed")
            name, key, path, new = item
            if not (isinstance(name, str) and _NAME.match(name) and key in _KEYS and _path_ok(path)
                    and (new is None or isinstance(new, str) and _NAME.match(new))):
                raise _Invalid("removed")
            removed.append((name, key, path, new))
        if not all(isinstance(m, str) and _METRIC.match(m) for m in metrics_raw):
            raise _Invalid("metrics")
        if not all(isinstance(a, list) and len(a) == 2 and a[0] in _KEYS and isinstance(a[1], str) and _NAME.match(a[1])
                   for a in added_raw):
            raise _Invalid("added")
        facts = (tuple(removed), tuple(metrics_raw), tuple((a[0], a[1]) for a in added_raw))
    return sha, CommitFacts(date, author, tuple(files), touch, facts)


def _commit_to_json(sha: str, rec: CommitFacts) -> list:
    manifest = None
    if rec.manifest is not None:
        manifest = [[list(r) for r in rec.manifest[0]], list(rec.manifest[1]), [list(a) for a in rec.manifest[2]]]
    return [sha, rec.date, rec.author, list(rec.files), rec.touch, manifest]


class HistoryCache:
    """The memo file of one repository; every failure to read or write it is silent."""

    def __init__(self, root: Path):
        self.folder = root / CACHE_DIR
        self.path = self.folder / CACHE_FILE
        self.root = root
        self.rebuilt = ""  # why a memo that was there could not be used (a notice), else ""

    def usable(self) -> bool:
        """The folder and the files are real (no symlink may redirect reads or writes) and git
        tracks neither file (a committed cache is someone else's data)."""
        if self.folder.is_symlink() or self.path.is_symlink():
            return False
        try:
            tracked = list(git_lines(self.root, ["ls-files", "--", f"{CACHE_DIR}/{CACHE_FILE}", f"{CACHE_DIR}/{HEAD_FILE}"]))
        except HistoryError:
            return False
        if any(line.strip() for line in tracked):
            log.info("%s is tracked by git: ignored", self.path)
            return False
        return True

    def read(self, key: str, shallow: str) -> tuple[str, list[str], dict[str, CommitFacts]] | None:
        """(tip, order at tip, facts by sha), or None when there is no valid memo for *key*."""
        doc = cachefile.read_json(self.path, MAX_BYTES)
        try:
            if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("key") != key:
                return None
            if doc.get("shallow") != shallow:
                self.rebuilt = "the clone's shallow boundary changed (fetch --deepen / --unshallow): history facts re-read"
                return None
            tip, rows = doc.get("tip"), doc.get("commits")
            if not isinstance(tip, str) or not _SHA.match(tip) or not isinstance(rows, list):
                return None
            order: list[str] = []
            facts: dict[str, CommitFacts] = {}
            for row in rows:
                sha, rec = _commit_from_json(row)
                if sha in facts:
                    raise _Invalid("duplicate")
                order.append(sha)
                facts[sha] = rec
            if order and order[0] != tip:
                raise _Invalid("tip")
            return tip, order, facts
        except (_Invalid, ValueError, UnicodeDecodeError, RecursionError) as exc:
            log.info("history cache ignored: %s", exc)
            return None

    def write(self, key: str, shallow: str, order: list[str], facts: dict[str, CommitFacts]) -> None:
        doc = {"format": FORMAT, "key": key, "shallow": shallow, "tip": order[0] if order else "",
               "commits": [_commit_to_json(s, facts[s]) for s in order]}
        cachefile.write_json(self.path, doc)


def _rename_ok(row: Any) -> bool:
    return (isinstance(row, list) and len(row) == 5 and all(isinstance(x, str) for x in row)
            and _NAME.match(row[0]) is not None and _NAME.match(row[1]) is not None and _SHA.match(row[2]) is not None
            and row[3] in _KEYS and _path_ok(row[4]))


def _head_to_json(key: str, shallow: str, head: str, rh: RepoHistory) -> dict:
    m = rh.manifests
    shas = set(rh.last.values())
    return {"format": FORMAT, "key": key, "shallow": shallow, "head": head, "commits": m.commits,
            "renames": [[r.old, r.new, r.sha, r.key, r.path] for r in m.renames.values()],
            "removed": [[name, sha, key_, path] for name, (sha, key_, path) in m.removed.items()],
            "metrics": [[metric, sha] for metric, sha in m.removed_metrics.items()],
            "last": rh.last,
            "info": {sha: [rh.facts[sha].date, rh.facts[sha].author] for sha in sorted(shas)}}


def _head_from_json(doc: Any, key: str, shallow: str, head: str) -> RepoHistory | None:
    """The folded history stored for exactly this HEAD, or None."""
    import datetime as dt

    from rbh.checks.history import ManifestHistory, Rename

    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("key") != key \
            or doc.get("shallow") != shallow or doc.get("head") != head:
        return None
    commits, renames, removed, metrics = doc.get("commits"), doc.get("renames"), doc.get("removed"), doc.get("metrics")
    last, info = doc.get("last"), doc.get("info")
    if not (isinstance(commits, int) and not isinstance(commits, bool) and 0 <= commits <= MAX_COMMITS):
        return None
    if not (isinstance(renames, list) and isinstance(removed, list) and isinstance(metrics, list)
            and isinstance(last, dict) and isinstance(info, dict)):
        return None
    m = ManifestHistory(shallow=bool(shallow), commits=commits)
    for row in renames:
        if not _rename_ok(row) or row[0] in m.renames:
            return None
        m.renames[row[0]] = Rename(*row)
    for row in removed:
        if not (isinstance(row, list) and len(row) == 4 and all(isinstance(x, str) for x in row)
                and _NAME.match(row[0]) and _SHA.match(row[1]) and row[2] in _KEYS and _path_ok(row[3])):
            return None
        m.removed[row[0]] = (row[1], row[2], row[3])
    for row in metrics:
        if not (isinstance(row, list) and len(row) == 2 and isinstance(row[0], str) and isinstance(row[1], str)
                and _METRIC.match(row[0]) and _SHA.match(row[1])):
            return None
        m.removed_metrics[row[0]] = row[1]
    facts: dict[str, CommitFacts] = {}
    for sha, row in info.items():
        if not (_SHA.match(sha) and isinstance(row, list) and len(row) == 2 and isinstance(row[0], str)
                and isinstance(row[1], str) and len(row[0]) <= 40 and len(row[1]) <= 512 and not _CONTROL.search(row[1])):
            return None
        try:
            dt.datetime.fromisoformat(row[0])
        except ValueError:
            return None
        facts[sha] = CommitFacts(row[0], row[1], (), False)
    for path, sha in last.items():
        if not (_path_ok(path) and isinstance(sha, str) and sha in facts):
            return None
    return RepoHistory(m, dict(last), facts)


def repo_history(project, *, use_cache: bool = True) -> RepoHistory | None:
    """The history facts at HEAD for *project* (None without git or commits).

    With *use_cache*, ``.rbh/history-cache.json`` supplies the facts of commits seen before and is
    brought up to date; without it, history is read in two streaming passes and nothing is written.
    A git failure gives a ``RepoHistory`` whose manifests are marked unavailable.
    """
    from rbh.paths import pathspecs_of
    from rbh.checks.history import ManifestHistory
    from rbh import git as rgit

    repo = project.repo
    if repo is None or not rgit.has_commits(repo):
        return None
    root = Path(project.root)
    # no manifests configured: no manifest history to read (not the diff of every file in the repository)
    specs = pathspecs_of(project.manifest_include) if project.manifest_include else []
    globs = sorted(set(project.runbook_include) | set(project.manifest_include))
    key = _key(specs, globs)
    shallow = _shallow_state(repo)
    relevant = relevance(globs, specs)
    notices: list[str] = []
    cache = HistoryCache(root) if use_cache else None
    if cache is not None and not cache.usable():
        cache = None
    try:
        head = repo.head.commit.hexsha
    except ValueError:
        return None
    if cache is not None and not (cache.folder / HEAD_FILE).is_symlink():
        done = _head_from_json(cachefile.read_json(cache.folder / HEAD_FILE, MAX_BYTES), key, shallow, head)
        if done is not None:
            return done
    memo = cache.read(key, shallow) if cache is not None else None
    if cache is not None and cache.rebuilt:
        notices.append(cache.rebuilt)
    try:
        if memo is not None and memo[0] == head and memo[1] and not needed_diffs(memo[1], memo[2]):
            order, facts = memo[1], memo[2]
            changed, read = False, 0
        else:
            order, facts, read = build(root, specs, relevant, shallow=bool(shallow),
                                       known=memo[2] if memo is not None else None)
            changed = True
            if memo is not None and memo[0] not in set(order):
                notices.append(f"history rewritten since the last run (commit {memo[0][:8]} is no longer an ancestor "
                               f"of HEAD): history facts re-read for {read} commit(s)")
        manifests, last = fold(order, facts, shallow=bool(shallow))
    except (HistoryError, ValueError, KeyError) as exc:
        log.info("history unavailable: %s", exc)
        return RepoHistory(ManifestHistory(shallow=bool(shallow), available=False), notices=notices)
    result = RepoHistory(manifests, last, facts, notices, read)
    if cache is not None:
        if changed:
            cache.write(key, shallow, order, facts)
        cachefile.write_json(cache.folder / HEAD_FILE, _head_to_json(key, shallow, head, result))
    return result


def clear(root: Path) -> None:
    for name in (CACHE_FILE, HEAD_FILE):
        try:
            (root / CACHE_DIR / name).unlink()
        except OSError:
            pass
