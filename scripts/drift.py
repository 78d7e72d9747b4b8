"""The drift scenario: a later commit on a copy of the example that makes runbooks stale.

It renames the Deployment ``checkout`` to ``checkout-api`` and deletes the alert
``PaymentsProviderErrors``, the two most common ways runbooks rot: the platform moves on and the
runbooks still say the old thing. Used by ``make demo`` and by the tests, always on a temporary
clone, never on the working copy.

    python scripts/drift.py PATH_TO_A_CLONE
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DEPLOYMENT_FILE = "manifests/k8s/checkout/deployment.yaml"
OLD_NAME, NEW_NAME = "checkout", "checkout-api"
REMOVED_ALERT = "PaymentsProviderErrors"


def _rename_deployment(text: str) -> str:
    """Rename the Deployment document named ``checkout`` (other kinds in the file keep their names)."""
    docs = re.split(r"(?m)^---\s*$", text)
    out = []
    for doc in docs:
        if re.search(r"(?m)^kind:\s*Deployment\s*$", doc):
            doc = re.sub(rf"(?m)^(  name:\s*){OLD_NAME}\s*$", rf"\g<1>{NEW_NAME}", doc, count=1)
        out.append(doc)
    return "---".join(out)


def _remove_alert(text: str, alert: str) -> str:
    """Delete one ``- alert: NAME`` item (and its indented body) from a rule file."""
    lines = text.split("\n")
    out: list[str] = []
    skipping, indent = False, 0
    for line in lines:
        m = re.match(r"^(\s*)- alert:\s*(\S+)\s*$", line)
        if m:
            skipping = m.group(2) == alert
            indent = len(m.group(1))
        elif skipping and line.strip() and (len(line) - len(line.lstrip())) <= indent:
            skipping = False
        if not skipping:
            out.append(line)
    return "\n".join(out)


def apply_drift(root: Path | str) -> str:
    """Commit the drift in the git repository at *root*; returns the new commit sha."""
    import git

    root = Path(root)
    repo = git.Repo(root)
    dep = root / DEPLOYMENT_FILE
    new = _rename_deployment(dep.read_text())
    if new == dep.read_text():
        raise SystemExit(f"drift: no Deployment named {OLD_NAME!r} in {DEPLOYMENT_FILE}")
    dep.write_text(new)
    touched = 0
    for rules in sorted((root / "manifests").rglob("*.y*ml")):
        text = rules.read_text()
        if f"alert: {REMOVED_ALERT}" in text:
            rules.write_text(_remove_alert(text, REMOVED_ALERT))
            touched += 1
    if not touched:
        raise SystemExit(f"drift: alert {REMOVED_ALERT} not found under manifests/")
    repo.git.add("-A", "manifests")
    repo.git.commit("-m", f"Rename deployment {OLD_NAME} to {NEW_NAME}; retire {REMOVED_ALERT}",
                    "--author=Platform Bot <platform@shop.example>")
    return repo.head.commit.hexsha


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(apply_drift(sys.argv[1]))
