"""Staleness detection on real data: openshift/runbooks against the operators' alert rules.

Reads ``/work/shared/bench-data/openshift`` (or the folder given as the first argument) in place,
runs ``rbh check``'s engine with the config below, and scores two rule outputs against the data
set's ground truth (``staleness.json``):

- RBH203 (runbook_url does not resolve) vs ``i_alert_runbook_missing``, with
  ``ok_alerts_with_resolving_runbook`` as negatives;
- RBH204 (runbook named after an absent alert) vs ``ii_runbook_alert_absent`` entries with
  ``stale: true``, with ``ok_runbooks_linked_or_alert_present`` as negatives.

Nothing in the rules is tuned to this data; the config is the only data-specific input.

    .venv/bin/python bench/staleness_openshift.py [DATA_DIR]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from rbh.checks.engine import run_checks
from rbh.config import Config
from rbh.project import Project

DATA = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/bench-data/openshift")

CONFIG = {
    "runbooks": {"include": ["runbooks/**/*.md"], "exclude": ["**/README.md"]},
    "manifests": {"include": ["rules/**/*.yaml", "rules/**/*.yml"]},
    "check": {"runbook_urls": {"prefixes": {"https://github.com/openshift/runbooks/blob/*/": "runbooks/"}}},
}


def score(flagged: set[str], positives: set[str], negatives: set[str]) -> dict[str, float | int]:
    scored = flagged & (positives | negatives)
    tp = len(scored & positives)
    return {
        "positives": len(positives), "negatives": len(negatives), "flagged": len(flagged),
        "tp": tp, "fp": len(scored & negatives), "fn": len(positives - flagged),
        "precision": tp / len(scored) if scored else 1.0, "recall": tp / len(positives) if positives else 1.0,
    }


def evaluate(data: Path = DATA) -> dict:
    """Run the checks on the data set and score them against its ground truth."""
    truth = json.loads((data / "staleness.json").read_text())
    project = Project(root=data, config=Config.model_validate(CONFIG), repo=None)
    start = time.perf_counter()
    result = run_checks(project)
    elapsed = time.perf_counter() - start
    missing = {f.reference.split("/", 1)[1] for f in result.findings
               if f.rule == "RBH203" and f.reference and not f.reference.endswith("#")}
    absent = {f.path.removeprefix("runbooks/") for f in result.findings if f.rule == "RBH204"}
    unknown = {x["runbook"] for x in truth["ii_runbook_alert_absent"] if x.get("stale") is None}
    by_rule: dict[str, int] = {}
    for f in result.findings:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    return {
        "result": result, "elapsed": elapsed, "by_rule": by_rule, "also_flagged_unknown": (len(absent & unknown), len(unknown)),
        "i": score(missing, {x["alert"] for x in truth["i_alert_runbook_missing"]}, set(truth["ok_alerts_with_resolving_runbook"])),
        "ii": score(absent, {x["runbook"] for x in truth["ii_runbook_alert_absent"] if x.get("stale") is True},
                    set(truth["ok_runbooks_linked_or_alert_present"])),
    }


def main() -> int:
    if not (DATA / "staleness.json").is_file():
        print(f"no bench data at {DATA}; skipped")
        return 0
    got = evaluate(DATA)
    result, inv = got["result"], got["result"].inventory
    print(f"data: {DATA}")
    print(f"runbooks {result.files_checked}, rule files {len(inv.files)}, alerts {len(inv.alerts)}, "
          f"inventory problems {len(inv.problems)}, check wall time {got['elapsed']:.2f}s")
    print()
    print(f"{'class':<34} {'pos':>4} {'neg':>4} {'flag':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}")
    for name, s in (("i   alert runbook_url -> missing", got["i"]), ("ii  runbook for absent alert", got["ii"])):
        print(f"{name:<34} {s['positives']:>4} {s['negatives']:>4} {s['flagged']:>5} {s['tp']:>4} {s['fp']:>4} {s['fn']:>4} "
              f"{s['precision']:>9.3f} {s['recall']:>7.3f}")
    print()
    flagged, unknown = got["also_flagged_unknown"]
    print(f"ii: also flagged {flagged} of {unknown} runbooks whose staleness the ground truth leaves open (stale: null)")
    print("all findings by rule: " + ", ".join(f"{k} {v}" for k, v in sorted(got["by_rule"].items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
