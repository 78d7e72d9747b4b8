"""Staleness ground truth from real git history, and RBH204 scored against it (issue 12).

For each scenario of ``bench/build_checks_repos.sh`` whose rules live in the same repository (their
history is there), every runbook page is classed by the page's file name N, independently of rbh's
own history reader: git's pickaxe (``git log -S N -- <rule paths>``) tells whether N ever appeared in
the rule files, and the rule files at HEAD whether it is there now.

- stale: N appeared in the rules' history and is not in them at HEAD (and no runbook_url links the
  page) -- the page outlived its alert;
- ok: N is in the rules at HEAD;
- open: N never appeared in the rules (an SNMP trap page, a helper page, rules kept elsewhere).

RBH204 findings are scored against stale (positives) and ok (negatives); "removed" counts the
findings that carry "removed in <sha>" (warning level).

    .venv/bin/python bench/staleness_real_repos.py [DATA_DIR]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rbh.checks.engine import run_checks
from rbh.project import load_project

SCENARIOS = {"srerun": ["rules"], "cnpg": ["charts/cluster/prometheus_rules"]}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False).stdout


def truth(root: Path, rule_paths: list[str], pages: list[str]) -> dict[str, str]:
    head_text = git(root, "grep", "-h", "-I", "-e", "", "HEAD", "--", *rule_paths)
    out = {}
    for page in pages:
        name = page.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if name.lower() in ("_index", "index", "readme"):
            continue
        if f"alert: {name}" in head_text or f'"{name}"' in head_text:
            out[page] = "ok"
        elif git(root, "log", "--format=%h", "-S", name, "HEAD", "--", *rule_paths).strip():
            out[page] = "stale"
        else:
            out[page] = "open"
    return out


def main(argv: list[str]) -> int:
    data = Path(argv[0]) if argv else Path("/work/data/checks")
    print(f"{'repository':<10} {'pages':>5} {'stale':>5} {'ok':>5} {'open':>5} {'flagged':>7} {'tp':>4} {'fp':>4} {'fn':>4} "
          f"{'precision':>9} {'recall':>6} {'removed-in tp/fp':>16} {'open flagged':>12}")
    for name, rule_paths in SCENARIOS.items():
        root = data / name
        if not (root / "rbh.yaml").is_file():
            continue
        project = load_project(root)
        result = run_checks(project)
        from rbh.runbook_urls import resolver_for

        resolver, _ = resolver_for(project.config, project.runbook_paths(), default_folder=project.runbook_folder,
                                   root=project.root, files=set(project.worktree_files))
        linked = {res.found for a in result.inventory.alerts if a.runbook_url
                  for res in resolver.resolve_all(a.runbook_url) if res.found}
        t = truth(root, rule_paths, project.runbook_paths())
        flagged = {f.path for f in result.findings if f.rule == "RBH204"}
        removed = {f.path for f in result.findings if f.rule == "RBH204" and "removed in" in f.message}
        stale = {p for p, c in t.items() if c == "stale"} - linked
        ok = {p for p, c in t.items() if c == "ok"}
        scored = flagged & (stale | ok)
        tp, fp, fn = len(scored & stale), len(scored & ok), len(stale - flagged)
        precision = tp / len(scored) if scored else 1.0
        recall = tp / len(stale) if stale else 1.0
        print(f"{name:<10} {len(t):>5} {len(stale):>5} {len(ok):>5} {len(t) - len(stale) - len(ok):>5} {len(flagged):>7} {tp:>4} {fp:>4} "
              f"{fn:>4} {precision:>9.3f} {recall:>6.3f} {len(removed & stale):>8}/{len(removed & ok):<7} {len(flagged - stale - ok):>12}")
        for p in sorted(stale - flagged):
            print(f"    missed: {p}")
        for p in sorted(scored & ok):
            print(f"    false: {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
