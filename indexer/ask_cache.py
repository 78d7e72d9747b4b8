"""A small on-disk cache for `rbh ask`: the alert catalog and runbooks' open findings.

Both are pure functions of the repository state: HEAD, the config file, the runbook and manifest
files, and today's date (review-overdue findings move with it). Reading every manifest and running
the checks costs a cold `rbh ask` more than half a second, the same for every question asked at the
same state, so the result is kept in ``.rbh/ask-cache.json`` (next to the local index, gitignored)
under a key over that state. Any change to a file (size or modification time), a new commit, another
day or another rbh version gives a new key: the cache can be stale only if a file changes without
its size or mtime changing. An unreadable or unwritable cache is ignored, never an error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from rbh.paths import keep_out_of_git

log = logging.getLogger(__name__)

CACHE_FILE = "ask-cache.json"
FORMAT = 1


def state_key(project: Any, today: dt.date) -> str:
    """Hash of everything the catalog and the findings depend on."""
    from rbh import __version__

    h = hashlib.sha256()
    head = "-"
    if project.repo is not None:
        try:
            head = project.repo.head.commit.hexsha
        except Exception:  # noqa: BLE001 - no commits yet: the files alone decide
            head = "no-commit"
    h.update(f"{FORMAT}\x1f{__version__}\x1f{head}\x1f{today.isoformat()}\x1f{project.config.model_dump_json()}".encode())
    files = set(project.runbook_paths()) | set(project.manifest_paths())
    for rel in sorted(files):
        try:
            st = (project.root / rel).stat()
        except OSError:
            continue
        h.update(f"\x1e{rel}\x1f{st.st_size}\x1f{st.st_mtime_ns}".encode())
    return h.hexdigest()[:32]


class AskCache:
    def __init__(self, project: Any, today: dt.date | None = None):
        self.path = project.root / ".rbh" / CACHE_FILE
        self.key = state_key(project, today or dt.date.today())
        self.data: dict[str, Any] = {"key": self.key, "catalog": None, "findings": {}}
        self.dirty = False
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict) and loaded.get("key") == self.key:
                self.data = loaded
        except (OSError, ValueError):
            pass

    # -------------------------------------------------------------- catalog
    def catalog(self, project: Any):
        """The cached ``AlertCatalog``, or None."""
        raw = self.data.get("catalog")
        if not isinstance(raw, dict):
            return None
        try:
            from checks.inventory import Alert, Location
            from indexer.alerts import AlertCatalog, url_resolver

            alerts = [Alert(a["name"], Location(a["path"], a["line"]), "", a["labels"], a["annotations"]) for a in raw["alerts"]]
            fm = {k: [(p, a) for p, a in v] for k, v in raw["front_matter"].items()}
            return AlertCatalog(alerts=alerts, front_matter=fm, resolver=url_resolver(project, raw["runbooks"]),
                                anchors=raw["anchors"])
        except (KeyError, TypeError, ValueError, ImportError):
            return None

    def put_catalog(self, catalog: Any, runbook_paths: list[str]) -> None:
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

    # -------------------------------------------------------------- findings
    def findings(self, paths: list[str]) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
        """(cached findings by path, paths not cached)."""
        have = self.data.get("findings") or {}
        return {p: have[p] for p in paths if p in have}, [p for p in paths if p not in have]

    def put_findings(self, findings: dict[str, list[dict[str, Any]]]) -> None:
        self.data.setdefault("findings", {}).update(findings)
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        tmp = self.path.with_name(f".{CACHE_FILE}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            keep_out_of_git(self.path.parent)
            tmp.write_text(json.dumps(self.data), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.debug("ask cache not written: %s", exc)
            try:
                tmp.unlink()
            except OSError:
                pass


def clear(root: Path) -> None:
    try:
        (root / ".rbh" / CACHE_FILE).unlink()
    except OSError:
        pass
