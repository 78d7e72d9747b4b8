"""Manifest sources, one module per kind, registered by hand.

``load_inventory(project)`` reads the project's manifest and catalog files and merges what every
source makes of them. Each module has ``NAME`` and ``load(files: dict[path, bytes]) -> Inventory`` (a partial inventory).
Every source sees every manifest file and takes the documents it recognises; the YAML of a file is
parsed once and shared (``_yaml.parse_file`` is cached).
"""

from __future__ import annotations

import re
from collections import Counter
from types import ModuleType
from typing import Any

from rbh.inventory import FileProblem, Inventory
from rbh.checks.sources import catalog, compose, grafana, hcl_rules, k8s, prometheus

SOURCES: dict[str, ModuleType] = {
    "k8s": k8s,
    "prometheus": prometheus,
    "compose": compose,
    "catalog": catalog,
    "grafana": grafana,
}


def load_all(files: dict[str, bytes]) -> Inventory:
    """Merged inventory of *files*, with one problem per unreadable file or document no source understood."""
    from rbh.checks.sources._yaml import clear_cache, parse_file, source_format

    inv = Inventory(files=sorted(files))
    try:
        for module in SOURCES.values():
            inv.merge(module.load(files))
        # a Terraform file whose alert rules were read (sources/hcl_rules.py) is not skipped whole
        hcl_alerts = Counter(a.loc.path for a in inv.alerts if a.loc.path.lower().endswith(hcl_rules.HCL_SUFFIXES))
        for path in sorted(files):
            parsed = parse_file(path, files[path])
            inv.problems.extend(
                FileProblem(path, p.line, f"{source_format(path)}, not a manifest format rbh reads: only its "
                            f"{hcl_alerts[path]} alert rule(s) (objects with alert = \"...\") were read", p.severity, p.code)
                if p.code == "format" and hcl_alerts[path] else p for p in parsed.problems)
            if parsed.skipped and any(p.code == "template" for p in parsed.problems):
                for kind in {m.decode() for m in _TEMPLATE_KIND.findall(files[path])}:
                    inv.template_kinds[kind] = inv.template_kinds.get(kind, 0) + 1
            for doc in parsed.documents:
                if (path, doc.index) in inv.claimed:
                    continue
                data = doc.data
                if _helm_chart_metadata(path, data):
                    continue  # Chart.yaml describes a chart, whose templates are reported on their own
                if isinstance(data, dict) and "kind" not in data and (isinstance(data.get("apiVersion"), str) or "metadata" in data):
                    # a Kubernetes apiVersion is a string (v1, apps/v1); Grafana provisioning files say `apiVersion: 1`
                    inv.problems.append(FileProblem(path, doc.line, "document has no 'kind': skipped", "error", "no-kind"))
                elif isinstance(data, dict) and "kind" in data and "apiVersion" not in data:
                    inv.problems.append(FileProblem(path, doc.line, f"document of kind '{data['kind']}' has no 'apiVersion': skipped", "error", "no-kind"))
                elif not isinstance(data, dict) and data not in (None, "", []) and not _json_patch(data):
                    inv.problems.append(FileProblem(path, doc.line, f"document is a {type(data).__name__}, not a manifest object: skipped", "warning", "not-an-object"))
    finally:
        clear_cache()
    inv.problems.sort(key=lambda p: (p.path, p.line))
    return inv


_PATCH_OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})


def _json_patch(data: Any) -> bool:
    """A JSON patch (RFC 6902) written as YAML: a list of operations, each with an ``op`` of the RFC
    and a ``path`` (kustomize's ``patches:`` and operator-sdk's scorecard ``patches/*.config.yaml``
    hold them). It changes a manifest, it is none: nothing in it to read, nothing wrong with it."""
    return (isinstance(data, list) and bool(data)
            and all(isinstance(op, dict) and op.get("op") in _PATCH_OPS and isinstance(op.get("path"), str) for op in data))


# `kind: Service` as a literal line of a template (`kind: {{ .Values.kind }}` tells nothing)
_TEMPLATE_KIND = re.compile(rb"^kind:[ \t]*([A-Z][A-Za-z0-9]*)[ \t]*\r?$", re.M)


def _helm_chart_metadata(path: str, data: Any) -> bool:
    """A Helm chart's ``Chart.yaml`` (``apiVersion: v1|v2``, ``name``, ``version``, no kind): not a
    Kubernetes object missing its kind. Helm requires that file name, so a glob over a chart folder
    takes it with the templates."""
    return (path.rsplit("/", 1)[-1] in ("Chart.yaml", "Chart.yml") and isinstance(data, dict)
            and "kind" not in data and "metadata" not in data and "name" in data)


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


# What a file that rbh could read as a manifest starts with, told from its text alone: Prometheus
# rules (an alert or record with its expr), Kubernetes objects, and compose files by their name.
_RULE_SHAPE = re.compile(rb"^\s*-?\s*(?:alert|record)\s*:.*$(?:\n.*){0,40}?^\s*expr\s*:", re.M)
_K8S_SHAPE = re.compile(rb"^apiVersion\s*:.*$(?:\n.*){0,5}?^kind\s*:|^kind\s*:.*$(?:\n.*){0,5}?^apiVersion\s*:", re.M)
_COMPOSE_NAME = re.compile(r"(?:^|/)(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml$")
_SKIPPED_FOLDERS = (".github/", "node_modules/", "vendor/", "testdata/", "test/", "tests/", "fixtures/")
_HCL_RULE_SHAPE = re.compile(rb'^[ \t]*alert[ \t]*=[ \t]*"[^"\n]+"', re.M)  # an HCL alert rule (sources/hcl_rules.py)
MAX_CANDIDATE_FILES = 3000  # files looked at; a bigger repository is sampled in path order
MAX_CANDIDATE_BYTES = 256 * 1024


def manifest_candidates(project: Any) -> list[str]:
    """Work-tree files that look like manifests rbh can read (Prometheus rules, Kubernetes objects,
    compose files), for a repository that configures none: a hint, never a finding. Helm and other
    templates (``{{``) are left out: rbh does not render them."""
    found: list[str] = []
    rules: list[str] = []
    looked = looked_hcl = 0
    for path in project.worktree_files:
        if any(f"/{d}" in f"/{path}" for d in _SKIPPED_FOLDERS):
            continue
        if path.lower().endswith(hcl_rules.HCL_SUFFIXES):  # Terraform holding alert rules as HCL objects
            looked_hcl += 1
            if looked_hcl <= MAX_CANDIDATE_FILES:
                try:
                    data = project.read_bytes(path)
                except OSError:
                    continue
                if len(data) <= MAX_CANDIDATE_BYTES and _HCL_RULE_SHAPE.search(data):
                    rules.append(path)
            continue
        if not path.endswith((".yaml", ".yml")):
            continue
        looked += 1
        if looked > MAX_CANDIDATE_FILES:
            break
        if _COMPOSE_NAME.search(path):
            found.append(path)
            continue
        try:
            data = project.read_bytes(path)
        except OSError:
            continue
        if len(data) > MAX_CANDIDATE_BYTES or b"{{" in data:
            continue
        if _RULE_SHAPE.search(data):
            rules.append(path)
        elif _K8S_SHAPE.search(data):
            found.append(path)
    return rules + found  # alert rules first: the most a runbook repository gains from


def no_manifests_notice(project: Any) -> str | None:
    """One line for a repository with no manifests configured and no ``manifests/`` folder: what was
    not checked, and the files that look like manifests, as globs to put in ``rbh.yaml``."""
    if project.manifest_include:
        return None
    from rbh.paths import glob_folder

    found = manifest_candidates(project)
    base = ("no manifests configured (and no manifests/ folder): runbooks were checked for links, anchors "
            "and reviews only, not against alert rules or workloads")
    if not found:
        return base
    folders: list[tuple[str, str]] = []
    kinds = {(glob_folder([p]), "*" + p[p.rfind("."):] if p.lower().endswith(hcl_rules.HCL_SUFFIXES) else "*.y*ml") for p in found}
    for folder, pattern in sorted(kinds, key=lambda e: (e[0].count("/"), e[0], e[1])):
        if not any(pattern == q and (folder == f or folder.startswith(f + "/") or not f) for f, q in folders):
            folders.append((folder, pattern))  # a folder under one already listed adds nothing: `X/**` covers it
    globs = ", ".join(f"{folder}/**/{pattern}" if folder else f"**/{pattern}" for folder, pattern in sorted(folders)[:3])
    globs += ", ..." if len(folders) > 3 else ""
    shown = ", ".join(found[:3]) + (f" (+{len(found) - 3} more)" if len(found) > 3 else "")
    return (f"{base}; files that look like manifests: {shown}; to check against them, set "
            f"manifests.include in rbh.yaml, e.g. [{globs}]")
