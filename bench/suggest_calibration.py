"""Calibrate the "did you mean" threshold for missing runbooks and alert names on real data (issue 12).

Positives: real renames of runbook files, from git history (kubevirt/monitoring ``git log -M
--diff-filter=R``, openshift/runbooks' ``runbook-rename-history.json``): when the old name is
missing, the right suggestion is the new one. Negatives: leave-one-out over every runbook of each
corpus (openshift, kubevirt, cnpg): with the page gone, whatever is suggested is wrong. For each
similarity threshold it prints how many renames would get the right suggestion, how many would get
a wrong one, and the share of leave-one-out misses that would get a (wrong) suggestion.

    .venv/bin/python bench/suggest_calibration.py
"""

from __future__ import annotations

import glob
import json
import subprocess
from pathlib import Path

from rbh.checks.suggest import name_similarity, siblings

OPENSHIFT = Path("/work/shared/bench-data/openshift")
MIRROR = Path("/work/.mirror")


def stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def corpora() -> dict[str, list[str]]:
    found = {
        "openshift": [stem(p) for p in glob.glob(str(OPENSHIFT / "runbooks/alerts/**/*.md"), recursive=True)],
        "kubevirt": [stem(p) for p in glob.glob("/work/data/checks/kubevirt/docs/runbooks/*.md")],
        "cnpg": [stem(p) for p in glob.glob("/work/data/checks/cnpg/charts/cluster/docs/runbooks/*.md")],
    }
    return {k: [s for s in v if s.lower() not in ("readme", "index", "_index")] for k, v in found.items() if v}


def renames() -> list[tuple[str, str, str]]:
    """(corpus, old stem, new stem)"""
    out = []
    data = OPENSHIFT / "runbook-rename-history.json"
    if data.is_file():
        for e in json.loads(data.read_text())["events"]:
            if e["change"] == "renamed" and e["new_runbook"]:
                out.append(("openshift", stem(e["old_runbook"]), stem(e["new_runbook"])))
    git_dir = MIRROR / "kubevirt+monitoring" / "repo"
    if git_dir.is_dir():
        log = subprocess.run(["git", "--git-dir", str(git_dir), "log", "-M", "--diff-filter=R", "--name-status", "--format=",
                              "--", "docs/runbooks"], capture_output=True, text=True).stdout
        for line in log.splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[0].startswith("R") and stem(parts[1]) != stem(parts[2]):
                out.append(("kubevirt", stem(parts[1]), stem(parts[2])))
    return out


SIBLINGS = True


def best(name: str, pool: list[str]) -> tuple[float, str | None]:
    scored = [(name_similarity(name, c), c) for c in pool if c != name and not (SIBLINGS and siblings(name, c))]
    return max(scored) if scored else (0.0, None)


def main() -> None:
    global SIBLINGS
    for SIBLINGS in (False, True):
        print(f"\n== siblings (one whole CamelCase word swapped) {'excluded' if SIBLINGS else 'allowed'}")
        table()


def table() -> None:
    pools = corpora()
    pos = renames()
    thresholds = [0.6, 0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.95]
    loo = {name: [best(s, [c for c in pool if c != s]) for s in pool] for name, pool in pools.items()}
    pos_scored = []
    for corpus, old, new in pos:
        pool = sorted(set(pools.get(corpus, [])) | {new})
        pool = [c for c in pool if c != old]
        pos_scored.append((best(old, pool), new))
    print(f"renames: {len(pos)}; leave-one-out misses: " + ", ".join(f"{k} {len(v)}" for k, v in loo.items()))
    print(f"{'threshold':>9} {'rename right':>12} {'rename wrong':>12} {'rename none':>11} " + " ".join(f"{'LOO wrong ' + k:>18}" for k in loo))
    for t in thresholds:
        right = sum(1 for (score, cand), new in pos_scored if score >= t and cand == new)
        wrong = sum(1 for (score, cand), new in pos_scored if score >= t and cand != new)
        none = len(pos_scored) - right - wrong
        cells = " ".join(f"{sum(1 for s, _ in v if s >= t) / len(v):>18.1%}" for v in loo.values())
        print(f"{t:>9.2f} {right:>12} {wrong:>12} {none:>11} {cells}")


if __name__ == "__main__":
    main()
