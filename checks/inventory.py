"""Loading the inventory (the platform model, ``rbh.inventory``) from a project's manifests.

Sources (``checks/sources/``) each turn the manifest files they recognise into a partial
``Inventory``; ``load_inventory`` merges them and adds the problems found while reading. The model's
names stay importable from here for the rules.
"""

from __future__ import annotations

from rbh.inventory import (  # noqa: F401 - the model, re-exported for the rules' imports
    WORKLOAD_KINDS,
    Alert,
    CatalogEntity,
    ComposeService,
    Container,
    Dashboard,
    FileProblem,
    Inventory,
    K8sObject,
    KeyedObject,
    Location,
    RecordingRule,
    Service,
    ServicePort,
    Workload,
)


def load_inventory(project) -> Inventory:
    """Read every manifest (and catalog) file of *project* and build the merged inventory."""
    from rbh.checks.sources import load_all
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
