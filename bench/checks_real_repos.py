"""rbh check on the real runbook repositories (issue 12): findings by rule and severity, per repository.

Runs the check engine in place on each scenario built by ``bench/build_checks_repos.sh`` (default
``/work/data/checks``) and on the OpenShift set (``bench/staleness_openshift.py``'s config), and
prints a table of findings by rule and severity; ``-v`` lists every finding. The hand classification
of these findings (true / false / unclear, with the reason) is in bench/README.md.

    .venv/bin/python bench/checks_real_repos.py [-v] [DATA_DIR]
"""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path

from rbh.checks.engine import run_checks
from rbh.config import Config
from rbh.project import Project, load_project

OPENSHIFT = Path("/work/shared/bench-data/openshift")
OPENSHIFT_CONFIG = {
    "runbooks": {"include": ["runbooks/**/*.md"], "exclude": ["**/README.md"]},
    "manifests": {"include": ["rules/**/*.yaml", "rules/**/*.yml"]},
    "check": {"runbook_urls": {"prefixes": {"https://github.com/openshift/runbooks/blob/*/": "runbooks/"}}},
}


def projects(data: Path):
    if (OPENSHIFT / "staleness.json").is_file():
        yield "openshift", Project(root=OPENSHIFT, config=Config.model_validate(OPENSHIFT_CONFIG), repo=None)
    for name in ("kubevirt", "cnpg", "thanos", "tempo", "rhobs", "srerun"):
        if (data / name / "rbh.yaml").is_file():
            yield name, load_project(data / name)


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    data = Path(args[0]) if args else Path("/work/data/checks")
    print(f"{'repository':<10} {'runbooks':>8} {'alerts':>6} {'time':>6}  findings by rule (severity)")
    for name, project in projects(data):
        start = time.perf_counter()
        result = run_checks(project)
        took = time.perf_counter() - start
        counts = collections.Counter((f.rule, f.severity.name) for f in result.findings)
        cells = ", ".join(f"{rule} {sev} {n}" for (rule, sev), n in sorted(counts.items()))
        suggested = sum(1 for f in result.findings if f.suggestion)
        cells += f"; with a suggestion: {suggested}" if result.findings else ""
        print(f"{name:<10} {result.files_checked:>8} {len(result.inventory.alerts):>6} {took:>5.1f}s  {cells or 'none'}")
        for notice in result.notices:
            print(f"{'':<10} notice: {notice}")
        if verbose:
            for f in result.findings:
                sugg = f"  (did you mean {f.suggestion}{', ' + f.suggestion_source if f.suggestion_source else ''})" if f.suggestion else ""
                print(f"    {f.severity.name:<7} {f.rule} {f.path}:{f.line}  {f.message}{sugg}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
