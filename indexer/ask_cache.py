"""A small on-disk cache for `rbh ask`: the alert catalog.

The catalog is a pure function of the repository state: HEAD, the config file, the runbook and
manifest files. Reading every manifest costs a cold `rbh ask` a good part of a second, the same for
every question asked at the same state, so the result is kept in ``.rbh/ask-cache.json`` (next to the
local index, gitignored) under a key over that state. Any change to a file (size or modification
time), a new commit or another rbh version gives a new key: the cache can be stale only if a file
changes without its size or mtime changing. An unreadable or unwritable cache is ignored, never an
error. Runbooks' findings are kept apart, once per repository state for every runbook, by
``checks.health_cache`` (``rbh check`` and ``rbh index`` write them too); ``AskCache`` only tells the
answer to use them.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rbh import cachefile

if TYPE_CHECKING:
    from rbh.indexer.alerts import AlertCatalog
    from rbh.project import Project

log = logging.getLogger(__name__)

CACHE_FILE = "ask-cache.json"
FORMAT = 2
MAX_BYTES = 64 * 1024 * 1024


def state_key(project: Project, today: dt.date | None = None) -> str:
    """Hash of everything the catalog depends on (*today* is accepted for old callers and unused:
    nothing here depends on the date)."""
    return cachefile.state_key(project, f"ask-{FORMAT}")


class AskCache:
    def __init__(self, project: Project, today: dt.date | None = None):
        self.path = project.root / ".rbh" / CACHE_FILE
        self.key = state_key(project)
        self.data: dict[str, Any] = {"key": self.key, "catalog": None}
        self.dirty = False
        loaded = cachefile.read_json(self.path, MAX_BYTES)
        if isinstance(loaded, dict) and loaded.get("key") == self.key:
            self.data = loaded

    # -------------------------------------------------------------- catalog
    def catalog(self, project: Project) -> AlertCatalog | None:
        """The cached ``AlertCatalog``, or None."""
        raw = self.data.get("catalog")
        if not isinstance(raw, dict):
            return None
        try:
            from rbh.inventory import Alert, Location
            from rbh.indexer.alerts import AlertCatalog, url_resolver

            alerts = [Alert(a["name"], Location(a["path"], a["line"]), "", a["labels"], a["annotations"]) for a in raw["alerts"]]
            fm = {k: [(p, a) for p, a in v] for k, v in raw["front_matter"].items()}
            return AlertCatalog(alerts=alerts, front_matter=fm, resolver=url_resolver(project, raw["runbooks"]),
                                anchors=raw["anchors"])
        except (KeyError, TypeError, ValueError, ImportError):
            return None

    def put_catalog(self, catalog: AlertCatalog, runbook_paths: list[str]) -> None:
        self.data["catalog"] = {
            "alerts": [{"name": a.name, "path": a.loc.path, "line": a.loc.line, "labels": a.labels,
                        "annotations": a.annotations} for a in catalog.alerts],
            "front_matter": catalog.front_matter,
            "anchors": catalog.anchors,
            "runbooks": runbook_paths,
        }
        self.dirty = True

    # -------------------------------------------------------------- site layout (indexer.links)
    def site_layout(self, stamp: str) -> dict[str, Any] | None:
        """The cached site layout when its config files still have *stamp* (size and mtime)."""
        raw = self.data.get("site_layout")
        return raw.get("layout") if isinstance(raw, dict) and raw.get("stamp") == stamp else None

    def put_site_layout(self, stamp: str, layout: dict[str, Any]) -> None:
        self.data["site_layout"] = {"stamp": stamp, "layout": layout}
        self.dirty = True

    def save(self) -> None:
        if self.dirty:
            cachefile.write_json(self.path, self.data)


def clear(root: Path) -> None:
    try:
        (root / ".rbh" / CACHE_FILE).unlink()
    except OSError:
        pass


def runbooks_changed_since(project: Project, commit: str) -> bool:
    """True when a runbook, or the config file that selects them, differs between *commit* (the
    indexed one) and HEAD; a commit that touched only manifests or code leaves the index current.
    An unknown commit (history rewritten, shallow clone) counts as changed: the index cannot be
    shown to be current. One tree diff, no file contents read."""
    from rbh import git as rgit
    from rbh.config import CONFIG_NAMES
    from rbh.errors import GitError
    from rbh.paths import glob_match

    if project.repo is None:
        return True
    try:
        changes = rgit.diff_names(project.repo, commit, "HEAD")
    except GitError:
        return True
    include, exclude = project.runbook_include, project.runbook_exclude
    for path in {p for c in changes for p in (c.path, c.old_path) if p}:
        if path in CONFIG_NAMES:
            return True
        if any(glob_match(path, g) for g in include) and not any(glob_match(path, g) for g in exclude):
            return True
    return False
