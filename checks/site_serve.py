"""What ``mkdocs serve`` must watch for the health banners, and when a rebuild may reuse check results.

The docs folder and ``mkdocs.yml`` are MkDocs' own to watch; the banners also depend on the manifests,
the rbh config file and the baseline. A rebuild reuses the last check results while the key of what
they depend on is unchanged.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any


def watched_paths(project: Any) -> list[str]:
    """What the checks read besides the docs: the folders the manifest globs start in (the manifest
    files themselves for a glob that starts at the root: watching the whole repository would watch
    .git too), the rbh config file and the baseline. Only what exists inside the repository."""
    from rbh.checks.baseline import resolve_path
    from rbh.paths import pathspecs_of

    root = Path(project.root).resolve()
    paths: list[Path | None] = []
    for spec in pathspecs_of(project.manifest_include):
        if spec == ".":
            paths += [root / p for p in project.manifest_paths()]
        else:
            paths.append(root / spec)
    paths.append(project.config_path)
    try:
        paths.append(resolve_path(project))
    except Exception:  # noqa: BLE001 - a bad baseline setting is the checks' error to report
        pass
    out: list[str] = []
    for p in paths:
        if p is None:
            continue
        p = Path(os.path.abspath(p))
        if p.is_relative_to(root) and p.exists() and str(p) not in out:
            out.append(str(p))
    return out


def results_key(project: Any, *, today: dt.date, extra_files: tuple[str | os.PathLike[str] | None, ...] = ()) -> str:
    """What check results depend on, as one key: HEAD, the config, every runbook's and manifest's
    size and modification time (``rbh.cachefile.state_key``, the health cache's key), the baseline,
    *extra_files* (mkdocs.yml: its ``toc.slugify`` decides anchors) and *today* (review due dates)."""
    from rbh import cachefile
    from rbh.checks.baseline import resolve_path

    parts = [str(Path(project.root).resolve()), cachefile.state_key(project, "site-1"), today.isoformat()]
    for extra in (resolve_path(project), *extra_files):
        if extra is not None and os.path.exists(extra):
            st = os.stat(extra)
            parts.append(f"{os.path.abspath(extra)}\x1f{st.st_size}\x1f{st.st_mtime_ns}")
    return "\x1e".join(parts)
