"""Runbook health over time: the checks at past commits, one point per week (or per sampled commit).

For each point the repository's tree at that commit is read through git (GitPython: regular blobs
only, never a symlink; no checkout, the work tree is left alone) into a temporary folder and the
same engine as ``rbh check`` runs over it, with "today" set to the commit's date. The result is a
series of open findings by severity and of stale runbooks (runbooks with an error finding), in
total and per owner. The docs site draws it; ``rbh check --trend --format json`` prints it.

Sampling: one point per week of the window, at the last commit of that week. When the whole history
lies within one week (a young repository), the points are up to ``max_points`` commits spread
evenly over it instead. Git-history rules (last change, manifests changed since) see no history at
past commits and stay silent there; the series is about what the files said.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rbh.checks.model import Severity

NO_OWNER = "(no owner)"


@dataclass
class TrendPoint:
    """Health of the repository at one commit."""

    commit: str
    date: str  # ISO date of the commit (UTC)
    label: str  # "2026-W47" for weekly points, "1a2b3c4 2026-11-20" for commit points
    runbooks: int = 0
    findings: dict[str, int] = field(default_factory=lambda: {"error": 0, "warning": 0, "info": 0})
    stale: int = 0  # runbooks with at least one error finding
    owners: dict[str, dict[str, int]] = field(default_factory=dict)  # owner -> {"error", "warning", "stale", "runbooks"}


@dataclass
class Trend:
    """The series the site's chart and ``rbh check --trend`` show."""

    bucket: str  # "week" | "commit"
    window_weeks: int
    points: list[TrendPoint] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"bucket": self.bucket, "window_weeks": self.window_weeks,
                "points": [asdict(p) for p in self.points], "notices": list(self.notices)}


def sample_commits(commits: list[tuple[str, dt.datetime]], weeks: int, max_points: int) -> tuple[str, list[tuple[str, dt.datetime, str]]]:
    """Pick the commits to check from first-parent history (newest first): ``(bucket, [(sha, date, label)])``.

    Weekly: the newest commit of each ISO week in the last *weeks* weeks that has one (weeks without a
    commit are left out, not invented). Fewer than two weeks of history: up to *max_points* commits
    evenly spread from the oldest to the newest.
    """
    if not commits:
        return "week", []
    newest = commits[0][1]
    start = newest - dt.timedelta(weeks=weeks)
    in_window = [(sha, when) for sha, when in commits if when > start]
    weeks_seen: dict[tuple[int, int], tuple[str, dt.datetime]] = {}
    for sha, when in in_window:  # newest first: the first commit seen in a week is that week's last
        weeks_seen.setdefault(when.isocalendar()[:2], (sha, when))
    if len(weeks_seen) >= 2:
        out = [(sha, when, f"{when.isocalendar()[0]}-W{when.isocalendar()[1]:02d}")
               for (sha, when) in sorted(weeks_seen.values(), key=lambda c: c[1])]
        return "week", out[-max_points:] if max_points else out
    oldest_first = list(reversed(in_window))
    n = max(1, min(max_points, len(oldest_first)))
    if n == 1:
        picks = [oldest_first[-1]]
    else:
        idx = sorted({round(i * (len(oldest_first) - 1) / (n - 1)) for i in range(n)})
        picks = [oldest_first[i] for i in idx]
    return "commit", [(sha, when, f"{sha[:7]} {when.date().isoformat()}") for sha, when in picks]


def compute_trend(root: Path, *, weeks: int = 12, max_points: int = 12, ref: str = "HEAD",
                  config_update: dict | None = None, cache: dict | None = None, fallback_config=None) -> Trend:
    """Health at sampled past commits of the repository at *root* (see the module docstring).

    *config_update* overrides config keys at every commit (the plugin's runbook/manifest globs);
    *cache* maps a commit sha to its computed point, so ``mkdocs serve`` rebuilds reuse them.
    *fallback_config* (the configuration ``rbh check`` uses now) checks commits that have no rbh.yaml
    of their own: a repository that adopted rbh recently, or whose rbh.yaml is not committed yet,
    would otherwise be checked with the defaults there (on hmcts/ops-runbooks: 1 runbook instead of
    246 at every past week).
    """
    from rbh import git as rgit

    repo = rgit.open_repo(root)
    trend = Trend(bucket="week", window_weeks=weeks)
    if not rgit.has_commits(repo):
        trend.notices.append("no commits yet: no health history to show")
        return trend
    newest = repo.commit(ref).committed_datetime.astimezone(dt.timezone.utc)
    since = (newest - dt.timedelta(weeks=weeks, days=1)).isoformat()  # long histories: read only the window
    commits = [(c.hexsha, c.committed_datetime.astimezone(dt.timezone.utc))
               for c in repo.iter_commits(ref, first_parent=True, since=since)]
    trend.bucket, picks = sample_commits(commits, weeks, max_points)
    with tempfile.TemporaryDirectory(prefix="rbh-trend-") as tmp:
        blobs = Path(tmp) / "blobs"
        blobs.mkdir()
        for sha, when, label in picks:
            key = (sha, repr(sorted((config_update or {}).keys())), fallback_config is not None)
            if cache is not None and key in cache:
                point = cache[key]
            else:
                try:
                    point = _point_at(repo, sha, when, label, Path(tmp), blobs, config_update, fallback_config)
                except Exception as exc:  # noqa: BLE001 - one unreadable commit must not hide the rest
                    trend.notices.append(f"commit {sha[:8]} skipped: {type(exc).__name__}: {exc}"[:200])
                    continue
                if cache is not None:
                    cache[key] = point
            trend.points.append(point)
    return trend


def _point_at(repo, sha: str, when: dt.datetime, label: str, tmp: Path, blobs: Path, config_update: dict | None,
              fallback_config=None) -> TrendPoint:
    from rbh.checks.engine import run_checks
    from rbh.config import load_config
    from rbh.project import Project

    dest = tmp / sha
    _materialise(repo, sha, dest, blobs, limit=MAX_BLOB_BYTES)
    try:
        # a Project without a repository: load_project would look upwards for one, and a temporary
        # folder inside some other checkout (TMPDIR in a CI workspace) would make that the project
        config, config_path = load_config(dest)
        if config_path is None and fallback_config is not None:
            config = fallback_config  # no rbh.yaml at that commit: check it as rbh check does now
        project = Project(root=dest, config=config, config_path=config_path, repo=None)
        if config_update:
            project.config = project.config.model_copy(update=config_update)
        result = run_checks(project, today=when.date())
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    point = TrendPoint(commit=sha, date=when.date().isoformat(), label=label, runbooks=len(result.runbooks))
    owners_of = {rb.path: (list(dict.fromkeys(rb.front_matter.owners)) or [NO_OWNER]) for rb in result.runbooks}
    for owners in owners_of.values():
        for o in owners:
            point.owners.setdefault(o, {"error": 0, "warning": 0, "stale": 0, "runbooks": 0})["runbooks"] += 1
    stale: set[str] = set()
    for f in result.findings:
        if f.suppressed in ("inline", "snooze"):  # deliberate, reviewed exceptions; baselined debt still counts
            continue
        sev = "error" if f.severity >= Severity.error else "warning" if f.severity >= Severity.warning else "info"
        point.findings[sev] += 1
        if f.path in owners_of and sev != "info":
            for o in owners_of[f.path]:
                point.owners[o][sev] += 1
        if sev == "error" and f.path in owners_of:
            stale.add(f.path)
    point.stale = len(stale)
    for path in stale:
        for o in owners_of[path]:
            point.owners[o]["stale"] += 1
    return point


MAX_BLOB_BYTES = 2_000_000  # larger files are not read from past trees (runbooks that big are RBH001 anyway)
# files over the limit that the checks read are left out; others (screenshots) are empty stand-ins
_READ_EXTENSIONS = (".md", ".markdown", ".erb", ".yaml", ".yml", ".json", ".toml")


def _materialise(repo, sha: str, dest: Path, blobs: Path, limit: int) -> None:
    """Write the regular files of commit *sha* under *dest*: read through git, symlinks and submodules
    skipped, each blob written once and hard-linked after that."""
    tree = repo.commit(sha).tree
    for item in tree.traverse():
        if item.type != "blob" or item.mode not in (0o100644, 0o100755):
            continue
        rel = item.path
        if rel.startswith("/") or ".." in rel.split("/") or rel.split("/")[0] == ".git":
            continue
        stored = blobs / item.hexsha
        try:
            size = item.size
        except ValueError:
            # git has no such object (a partial or damaged clone left out a big PDF): the file is named
            # by the tree all the same, so it stands in like a big file rather than losing the point
            size = limit + 1
        if size > limit:
            if rel.lower().endswith(_READ_EXTENSIONS):
                continue  # a file the checks read: left out rather than read as empty
            # an image or archive the runbooks link: only its existence matters (links to it are
            # not broken at that commit); an empty file stands in for it
            placeholder = dest / rel
            placeholder.parent.mkdir(parents=True, exist_ok=True)
            placeholder.touch()
            continue
        if not stored.exists():
            stored.write_bytes(item.data_stream.read())
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(stored, target)
        except OSError:
            shutil.copyfile(stored, target)
