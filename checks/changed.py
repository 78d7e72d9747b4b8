"""``rbh check --changed-since REV``: report only on files a change could have made stale.

In scope are

* runbooks and manifests changed since the merge base of REV and HEAD (committed, staged, unstaged
  or untracked: the work tree is compared, so a pre-commit hook sees uncommitted edits);
* runbooks and manifests that mention a name a changed manifest defined or now defines. The names are
  the words on the manifest lines that changed (old and new side), less the YAML keys every manifest
  has (``name``, ``image``, ``ports`` ...): renaming ``deployment/cart`` to ``cart-api`` brings every
  runbook that says ``cart`` into scope, and a changed port brings in every runbook that uses it;
* runbooks and manifests that mention a changed or deleted runbook by file name (links, and alert
  ``runbook_url`` annotations, break when a runbook moves or its headings change).

This errs on the side of checking too much: a file is left out only when nothing it says was touched.
A change to the config file, or a REV that is not an ancestor-related commit, means everything.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from rbh import git as rgit
from rbh.config import CONFIG_NAMES
from rbh.errors import GitError
from rbh.paths import glob_match

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*[A-Za-z0-9]")
# Keys and values that occur in nearly every manifest: mentioning them says nothing about a runbook.
_COMMON = frozenset(
    """
    apiversion kind metadata name namespace labels annotations spec template containers container image
    ports port containerport targetport protocol tcp udp env value valuefrom envfrom configmapref
    secretref configmapkeyref secretkeyref key selector matchlabels replicas resources limits requests
    cpu memory volumes volumemounts mountpath readinessprobe livenessprobe httpget path initialdelayseconds
    periodseconds data stringdata type clusterip nodeport loadbalancer rules groups alert expr for record
    severity summary description runbook_url services service build depends_on environment volumes networks
    true false null yes no app v1 apps v2 http https monitoring.coreos.com prometheusrule deployment
    statefulset daemonset cronjob job pod configmap secret ingress horizontalpodautoscaler
    """.split()
)


@dataclass
class ChangeScope:
    base: str  # the merge-base commit compared with the work tree
    everything: bool = False
    changed: set[str] = field(default_factory=set)  # files changed since base (new paths)
    gone: set[str] = field(default_factory=set)  # deleted files and old paths of renames
    files: set[str] = field(default_factory=set)  # every file whose findings are reported
    reason: str = ""

    def includes(self, path: str) -> bool:
        return self.everything or path in self.files


def _words(text: str) -> set[str]:
    """Lower-cased words; dotted names also count by part (``cart.shop.svc`` mentions ``shop``)."""
    out: set[str] = set()
    for w in _WORD.findall(text):
        w = w.lower()
        out.add(w)
        if "." in w:
            out.update(part for part in w.split(".") if len(part) > 1)
    return out


def _changed_words(old: str, new: str) -> set[str]:
    """Words on the lines that differ between two versions of a manifest (keys common to all manifests left out)."""
    words: set[str] = set()
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        if line[:1] in "+-":
            words |= _words(line[1:])
    return {w for w in words if w not in _COMMON and not (w.isdigit() and len(w) < 2)}


def _decode(data: bytes | None) -> str:
    return data.decode("utf-8", errors="replace") if data else ""


def compute(project, rev: str) -> ChangeScope:
    """Which files ``--changed-since REV`` reports on."""
    repo = project.repo
    if repo is None:
        raise GitError("--changed-since needs a git repository")
    try:
        target = rgit.resolve_ref(repo, rev)
    except GitError:
        hint = "fetch more history (actions/checkout: fetch-depth: 0)" if rgit.is_shallow(repo) else None
        raise GitError(f"--changed-since: unknown git ref '{rev}'", hint=hint) from None
    head = rgit.resolve_ref(repo, "HEAD")
    bases = repo.merge_base(target, head)
    base = bases[0].hexsha if bases else target
    scope = ChangeScope(base=base)

    changes = rgit.diff_names(repo, base)
    untracked = [p for p in repo.untracked_files]
    for c in changes:
        if c.status == "D":
            scope.gone.add(c.path)
        else:
            scope.changed.add(c.path)
        if c.old_path:
            scope.gone.add(c.old_path)
    scope.changed.update(untracked)

    touched = scope.changed | scope.gone
    if any(PurePosixPath(p).name in CONFIG_NAMES and "/" not in p for p in touched):
        scope.everything, scope.reason = True, "the config file changed"
        return scope

    runbook_paths = project.runbook_paths()
    manifest_paths = project.manifest_paths()
    manifest_set = set(manifest_paths)

    def is_manifest(p: str) -> bool:
        return p in manifest_set or any(glob_match(p, g) for g in project.manifest_include) and not any(
            glob_match(p, g) for g in project.manifest_exclude
        )

    def is_runbook(p: str) -> bool:
        return p.endswith((".md", ".markdown")) and (
            any(glob_match(p, g) for g in project.runbook_include) and not any(glob_match(p, g) for g in project.runbook_exclude)
        )

    changed_manifests = sorted(p for p in touched if is_manifest(p))
    changed_runbooks = sorted(p for p in touched if is_runbook(p))
    scope.files = {p for p in scope.changed if is_manifest(p) or is_runbook(p)}

    words: set[str] = set()
    if changed_manifests:
        old_texts = rgit.read_files(repo, base, changed_manifests)
        for p in changed_manifests:
            new = ""
            if p in scope.changed:
                try:
                    new = (project.root / p).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    new = ""
            words |= _changed_words(_decode(old_texts.get(p)), new)
    names: set[str] = set()
    for p in changed_runbooks:
        pp = PurePosixPath(p)
        names.add(pp.name.lower())
        if pp.stem.lower() not in ("index", "readme"):
            names.add(pp.stem.lower())
    needles = words | names
    if needles:
        for p in [*runbook_paths, *manifest_paths]:
            if p in scope.files:
                continue
            try:
                text = (project.root / p).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if _words(text) & needles:
                scope.files.add(p)
    scope.reason = (
        f"{len(changed_runbooks)} runbook(s) and {len(changed_manifests)} manifest(s) changed since {base[:8]}"
    )
    return scope


def filter_result(result, scope: ChangeScope):
    """Keep the findings on files in *scope*; record what was left out in a notice."""
    if scope.everything:
        result.notices.append(f"--changed-since: checking everything ({scope.reason})")
        return result
    kept = [f for f in result.findings if scope.includes(f.path)]
    checked = sorted(p for p in scope.files)
    result.notices.append(
        f"--changed-since: {scope.reason}; reporting on {len(checked)} file(s) they could affect"
    )
    result.findings = kept
    if result.runbooks:
        result.runbooks = [rb for rb in result.runbooks if rb.path in scope.files]
        result.files_checked = len(result.runbooks)
    return result
