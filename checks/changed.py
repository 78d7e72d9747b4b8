"""``rbh check --changed-since REV``: report only on files a change could have made stale.

In scope are

* runbooks and manifests changed since the merge base of REV and HEAD (committed, staged, unstaged
  or untracked: the work tree is compared, so a pre-commit hook sees uncommitted edits);
* runbooks and manifests that mention a name a changed manifest defined or now defines. Both
  versions of the manifest are parsed, and every part that differs (an object's metadata, a
  container, a port, an alert rule, a ConfigMap's data) gives the names it states: object, namespace,
  container, label, alert and metric names, ports, dashboard uids, ConfigMap keys, compose services.
  Prose (summaries, descriptions) is left out; a changed ``runbook_url`` is reported on the manifest
  itself. Renaming ``deployment/cart`` to ``cart-api`` brings every runbook that says ``cart`` into
  scope, and a changed port every runbook that uses it. A manifest that does not parse (a Helm
  template) contributes every word on its changed lines;
* runbooks and manifests that mention a changed or deleted runbook by file name (links, and alert
  ``runbook_url`` annotations, break when a runbook moves or its headings change), and runbooks that
  name any file that moved or disappeared (a repository path in a runbook breaks).

This errs on the side of checking too much: a file is left out only when nothing it says was
touched. A change to the config file means everything.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import yaml

from rbh import git as rgit
from rbh import yaml_load
from rbh.config import CONFIG_NAMES
from rbh.errors import GitError
from rbh.paths import glob_match

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*[A-Za-z0-9]")
# Keys whose scalar values name something a runbook can mention: objects, containers, alerts,
# recording rules, ports, dashboards, hosts. (Namespaces are counted apart: see _changed_words.)
_NAME_KEYS = frozenset(
    """
    name alert record app app.kubernetes.io/name app.kubernetes.io/instance component service
    uid port containerport targetport nodeport published target container_name hostname claimname
    secretname servicename host image_name
    """.split()
)
_LIST_KEYS = frozenset({"ports", "hosts", "dnsnames", "aliases"})
_KEYED_MAPS = frozenset({"data", "stringdata", "binarydata", "environment"})  # their keys are names
_LABEL_MAPS = frozenset({"labels", "matchlabels", "selector"})  # their values are names
_ROUTING_LABELS = frozenset({"severity", "priority"})  # alert routing values ("critical") name nothing


def _words(text: str, dotted_parts: bool = True) -> set[str]:
    """Lower-cased words; dotted names also count by part (``cart.shop.svc`` mentions ``shop``)."""
    out: set[str] = set()
    for w in _WORD.findall(text):
        w = w.lower()
        out.add(w)
        if dotted_parts and "." in w:
            out.update(part for part in w.split(".") if len(part) > 1)
    return out


# Up to this many needles, a text is first searched for each as a plain substring (fast); with more,
# tokenizing it once is cheaper than that many scans.
_SUBSTRING_NEEDLES = 32


def _mentions_any(data: bytes, needles: set[str]) -> bool:
    """Whether a file's bytes, read as UTF-8 text, state one of *needles* as a word (``_words``,
    dotted parts included).

    Every word ``_words`` yields is a run of ASCII characters, lower-cased, and decoding keeps
    ASCII bytes as they are (an invalid sequence never swallows one), so the word is also in the
    bytes lower-cased: a file that holds no needle there cannot mention one and is neither decoded
    nor tokenized. For a change of one runbook that is nearly every file."""
    if len(needles) <= _SUBSTRING_NEEDLES:
        low = data.lower()  # ASCII letters only: what a word can hold
        if not any(n.encode() in low for n in needles if n.isascii()):
            return False
    return not _words(data.decode("utf-8", errors="replace")).isdisjoint(needles)


def _scalar(v) -> bool:
    return isinstance(v, (str, int, float)) and not isinstance(v, bool)


def _names_of(node: dict, parent_key: str) -> tuple[set[str], set[str]]:
    """(names, namespaces) a mapping itself states, not its children; an object (a mapping with
    ``metadata.name``) also states its own name, so any change inside it brings in its runbooks."""
    from rbh.checks.promql import extract

    names: set[str] = set()
    namespaces: set[str] = set()
    meta = node.get("metadata")
    if isinstance(meta, dict) and _scalar(meta.get("name")):
        names |= _words(str(meta["name"]), dotted_parts=False)
    for key, value in node.items():
        k = str(key).lower()
        if _scalar(value):
            text = str(value)
            if k == "namespace":
                namespaces.add(text.lower())
            elif k in _NAME_KEYS:
                names |= _words(text, dotted_parts=False)
            elif k == "expr":
                metrics, alerts = extract(text)
                names |= {n.lower() for n, _ in metrics + alerts}
            if parent_key in _KEYED_MAPS:
                names.add(k)
            if parent_key in _LABEL_MAPS and k not in _ROUTING_LABELS:
                names |= _words(text, dotted_parts=False)
        elif isinstance(value, list) and k in _LIST_KEYS:
            for item in value:
                if _scalar(item):
                    names |= _words(str(item), dotted_parts=False)
        elif isinstance(value, dict) and parent_key == "services":  # docker compose service names
            names.add(k)
    return {n for n in names if not re.fullmatch(r"\d", n)}, namespaces


def _name_nodes(docs: list) -> tuple[dict[str, tuple[set[str], set[str]]], Counter]:
    """Every mapping of the documents by a hash of its whole content, with the (names, namespaces)
    it states; and how often each namespace is stated."""
    out: dict[str, tuple[set[str], set[str]]] = {}
    ns_count: Counter = Counter()

    def walk(node, parent_key: str) -> None:
        if isinstance(node, dict):
            digest = hashlib.sha1(json.dumps(node, sort_keys=True, default=str).encode(), usedforsecurity=False).hexdigest()
            names, namespaces = _names_of(node, parent_key)
            ns_count.update(namespaces)
            have = out.setdefault(digest, (set(), set()))
            have[0].update(names)
            have[1].update(namespaces)
            for k, v in node.items():
                walk(v, str(k).lower())
        elif isinstance(node, list):
            for item in node:
                walk(item, parent_key)

    for doc in docs:
        walk(doc, "")
    return out, ns_count


def _load_docs(text: str) -> list | None:
    if not text.strip():
        return []
    try:  # bounded (alias bombs, depth) like every YAML rbh reads: the base revision is untrusted too
        return [d for d in yaml_load.safe_load_all(text) if d is not None]
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


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


def _changed_words(old: str, new: str) -> set[str]:
    """Names stated by the parts of a manifest that differ between two versions (old and new side).

    Both versions are parsed; every mapping (an object, a container, a port, an alert rule ...) that
    exists in only one of them contributes the names it states. A file that does not parse (a Helm
    template) contributes every word on its changed lines instead.
    """
    old_docs, new_docs = _load_docs(old), _load_docs(new)
    if old_docs is None or new_docs is None:
        words: set[str] = set()
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
            if line[:1] in "+-" and not line.startswith(("---", "+++")):
                words |= _words(line[1:], dotted_parts=False)
        return words
    (before, ns_before), (after, ns_after) = _name_nodes(old_docs), _name_nodes(new_docs)
    words = set()
    for digest in before.keys() ^ after.keys():
        names, namespaces = before.get(digest) or after[digest]
        words |= names
        # An object's namespace counts only when objects moved in or out of it: every object states
        # one, and "-n shop" in most runbooks must not pull them all in for any change in shop.
        words |= {ns for ns in namespaces if ns_before[ns] != ns_after[ns]}
    return words


def _decode(data: bytes | None) -> str:
    return data.decode("utf-8", errors="replace") if data else ""


def compute(project, rev: str) -> ChangeScope:
    """Which files ``--changed-since REV`` reports on (computed once per project object and REV:
    the command asks before the run, to check only those files, and after it, to filter)."""
    memo = project.__dict__.setdefault("_rbh_change_scopes", {})
    if rev not in memo:
        memo[rev] = _compute(project, rev)
    return memo[rev]


def runbooks_in_scope(project, rev: str) -> tuple[list[str] | None, set[str] | None]:
    """(runbooks to check, files to report on) for ``--changed-since REV``; (None, None): everything.

    Only the runbooks in scope are parsed and checked, so the cost follows the change (the engine
    adds every runbook back when a manifest in scope holds findings that depend on all of them,
    see ``checks.engine.ALL_RUNBOOK_RULES``).
    """
    scope = compute(project, rev)
    if scope.everything:
        return None, None
    runbooks = set(project.runbook_paths())
    return sorted(p for p in scope.files if p in runbooks), set(scope.files)


def _compute(project, rev: str) -> ChangeScope:
    repo = project.repo
    if repo is None:
        raise GitError("--changed-since needs a git repository")
    if not rgit.has_commits(repo):  # the first commit (a pre-commit hook before it): all of it is new
        return ChangeScope(base="", everything=True, reason="the repository has no commits yet")
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
    # Any file that moved or disappeared (a script, a dashboard export ...) breaks the runbooks
    # that name it as a repository path.
    names |= {PurePosixPath(p).name.lower() for p in scope.gone}
    needles = words | names
    if needles:
        for p in [*runbook_paths, *manifest_paths]:
            if p in scope.files:
                continue
            try:
                data = (project.root / p).read_bytes()
            except OSError:
                continue
            if _mentions_any(data, needles):
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
    # a finding that stands for several files (RBH002's one per Helm chart) is on any of them
    kept = [f for f in result.findings if scope.includes(f.path) or any(map(scope.includes, f.extra.get("files", ())))]
    checked = sorted(p for p in scope.files)
    result.notices.append(
        f"--changed-since: {scope.reason}; reporting on {len(checked)} file(s) they could affect"
    )
    result.findings = kept
    if result.runbooks:
        result.runbooks = [rb for rb in result.runbooks if rb.path in scope.files]
        result.files_checked = len(result.runbooks)
    return result
