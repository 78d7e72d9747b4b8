"""Manifest sources, one module per kind, registered by hand.

``load_inventory(project)`` reads the project's manifest and catalog files and merges what every
source makes of them. Each module has ``NAME`` and ``load(files: dict[path, bytes]) -> Inventory`` (a partial inventory).
Every source sees every manifest file and takes the documents it recognises; the YAML of a file is
parsed once and shared (``_yaml.parse_file`` is cached).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from rbh.inventory import FileProblem, Inventory
from rbh.checks.sources import catalog, compose, grafana, k8s, prometheus

SOURCES: dict[str, ModuleType] = {
    "k8s": k8s,
    "prometheus": prometheus,
    "compose": compose,
    "catalog": catalog,
    "grafana": grafana,
}


def load_all(files: dict[str, bytes]) -> Inventory:
    """Merged inventory of *files*, with one problem per unreadable file or document no source understood."""
    from rbh.checks.sources._yaml import clear_cache, parse_file

    inv = Inventory(files=sorted(files))
    try:
        for module in SOURCES.values():
            inv.merge(module.load(files))
        for path in sorted(files):
            parsed = parse_file(path, files[path])
            inv.problems.extend(parsed.problems)
            for doc in parsed.documents:
                if (path, doc.index) in inv.claimed:
                    continue
                data = doc.data
                if isinstance(data, dict) and "kind" not in data and ("apiVersion" in data or "metadata" in data):
                    inv.problems.append(FileProblem(path, doc.line, "document has no 'kind': skipped", "error", "no-kind"))
                elif isinstance(data, dict) and "kind" in data and "apiVersion" not in data:
                    inv.problems.append(FileProblem(path, doc.line, f"document of kind '{data['kind']}' has no 'apiVersion': skipped", "error", "no-kind"))
                elif not isinstance(data, dict) and data not in (None, "", []):
                    inv.problems.append(FileProblem(path, doc.line, f"document is a {type(data).__name__}, not a manifest object: skipped", "warning", "not-an-object"))
    finally:
        clear_cache()
    inv.problems.sort(key=lambda p: (p.path, p.line))
    return inv


def load_inventory(project: Any) -> Inventory:
    """Read every manifest (and catalog) file of *project* and build the merged inventory."""
    from rbh.paths import select

    paths = project.manifest_paths()
    if project.config.check.catalog:
        extra = select(project.worktree_files, project.config.check.catalog)
        paths = sorted(set(paths) | set(extra))
    files: dict[str, bytes] = {}
    problems: list[FileProblem] = []
    for p in paths:
        try:
            files[p] = project.read_bytes(p)
        except OSError as exc:
            problems.append(FileProblem(p, 1, f"cannot read: {exc.strerror}"))
    inv = load_all(files)
    inv.problems[:0] = problems
    return inv
