"""What the manifests' git history says about names: which were renamed, and which were removed.

One ``git log -p`` pass over the manifest files (cached per run) collects, per commit, the names
(``name:``, ``namespace:``, ``alert:``, ``record:`` values) and metric names in ``expr:`` lines that were removed and
added. A name removed in a commit that added a similar name under the same key in the same file is
a rename; the newest such commit is the one reported ("renamed in <sha>"). On a shallow clone the
history is incomplete; the caller adds a notice.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass, field

from checks import promql

log = logging.getLogger(__name__)

_NAME_LINE = re.compile(r"^\s*(?:-\s+)?(name|alert|record|namespace)\s*:\s*[\"']?([A-Za-z0-9_.:/-]+)[\"']?\s*(?:#.*)?$")
_EXPR_LINE = re.compile(r"^\s*(?:-\s+)?expr\s*:\s*(.+)$")
_COMMIT = "\x1e"
MAX_HISTORY_BYTES = 50_000_000  # of diff text read; older history is not consulted beyond these bounds
MAX_COMMITS = 5_000


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
            seen.add(current.new)
            result = Rename(name, current.new, current.sha, current.key, current.path) if result is None else Rename(name, current.new, result.sha, current.key, current.path)
            if candidates is not None and current.new in candidates:
                return result
            current = self.renames.get(current.new)
        if result is not None and (candidates is None or result.new in candidates):
            return result
        return None


def _record(history: ManifestHistory, sha: str, per_file: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]], set[str], set[str]]]) -> None:
    for path, (removed, added, metrics_removed, metrics_added) in per_file.items():
        added_names = {(k, n) for k, n in added}
        removed_names = {(k, n) for k, n in removed}
        for key, old in removed:
            if (key, old) in added_names:
                continue  # moved, not removed
            history.removed.setdefault(old, (sha, key, path))
            if old in history.renames:
                continue
            options = [n for k, n in added if k == key and (k, n) not in removed_names]
            if not options:
                continue
            best = max(options, key=lambda n: difflib.SequenceMatcher(None, old, n).ratio())
            if difflib.SequenceMatcher(None, old, best).ratio() >= 0.5 or len(options) == 1:
                history.renames[old] = Rename(old, best, sha, key, path)
        for metric in metrics_removed - metrics_added:
            history.removed_metrics.setdefault(metric, sha)


def load_history(repo, pathspecs: list[str]) -> ManifestHistory:
    """Renames and removals in the history of the manifest files matched by *pathspecs*."""
    from rbh import git as rgit

    history = ManifestHistory()
    if repo is None or not rgit.has_commits(repo):
        history.available = False
        return history
    history.shallow = rgit.is_shallow(repo)
    import git

    args = ["git", "-c", "core.quotepath=off", "log", "-p", "-U3", "--no-renames", "--no-color", "--no-ext-diff", "--no-textconv",
            f"--max-count={MAX_COMMITS}", f"--format={_COMMIT}%H", "HEAD", "--", *(pathspecs or ["."])]
    try:
        raw = repo.git.execute(args, max_chunk_size=1 << 20)
    except git.GitCommandError as exc:
        log.info("manifest history unavailable: %s", exc)
        history.available = False
        return history
    if len(raw) > MAX_HISTORY_BYTES:
        raw = raw[:MAX_HISTORY_BYTES]
    for record in raw.split(_COMMIT):
        if not record.strip():
            continue
        sha, _, body = record.partition("\n")
        history.commits += 1
        _record(history, sha.strip(), _parse_commit_diff(body))
    return history


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _parse_commit_diff(body: str) -> dict[str, tuple[list, list, set, set]]:
    """Per file: (names removed, names added, metrics removed, metrics added) in one commit's diff.

    Context lines (``-U3``) let a changed line inside an ``expr: |`` block be read as PromQL.
    """
    per_file: dict[str, tuple[list, list, set, set]] = {}
    current = None
    expr_indent: int | None = None  # inside an ``expr: |`` block scalar, the key's indentation
    for line in body.split("\n"):
        if line.startswith("diff --git"):
            m = re.match(r"diff --git a/(.*) b/(.*)$", line)
            current = m.group(2) if m else None
            expr_indent = None
            if current is not None:
                per_file.setdefault(current, ([], [], set(), set()))
            continue
        if line.startswith(("+++ ", "--- ", "index ", "new file", "deleted file", "similarity", "rename ")):
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
