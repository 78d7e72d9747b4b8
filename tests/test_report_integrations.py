"""The ready-to-use CI integrations: the GitHub Action's scripts run for real against a repository,
the pre-commit hooks' entries are valid rbh commands, the GitLab job writes the reports it declares."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT_ROOT

ACTION = yaml.safe_load((PROJECT_ROOT / "action.yml").read_text(encoding="utf-8"))
WORKFLOW = yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "example-runbook-health.yml").read_text(encoding="utf-8"))
HOOKS = yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
GITLAB = yaml.safe_load((PROJECT_ROOT / "ci" / "gitlab-ci-snippet.yml").read_text(encoding="utf-8"))

STALE = {
    "manifests/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cart-api, namespace: shop}\n"
                          "spec:\n  selector: {matchLabels: {app: cart}}\n  template:\n    metadata: {labels: {app: cart}}\n"
                          "    spec: {containers: [{name: cart, image: cart:1}]}\n",
    "runbooks/cart.md": "# Cart\n\n```bash\nkubectl -n shop get deploy/cart\n```\n",
}


def step(step_id: str) -> dict:
    return next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id or s.get("name") == step_id)


def run_step(s: dict, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a composite step's bash script the way the runner does (bash -e, inputs in the environment)."""
    full = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **env}
    return subprocess.run(["bash", "-e", "-c", s["run"]], env=full, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_action_inputs_are_declared_and_never_pasted_into_scripts():
    declared = set(ACTION["inputs"])
    text = (PROJECT_ROOT / "action.yml").read_text(encoding="utf-8")
    assert set(re.findall(r"inputs\.([\w-]+)", text)) <= declared
    for s in ACTION["runs"]["steps"]:
        assert "${{" not in s.get("run", ""), f"step {s.get('name')} pastes an expression into its script"
    upload = next(s for s in ACTION["runs"]["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == "${{ steps.check.outputs.sarif-file }}"
    assert upload["if"].startswith("always()")


def test_action_check_step_annotates_writes_sarif_and_reports_the_exit_code(make_repo, tmp_path):
    repo = make_repo(STALE)
    out, sarif, summary = tmp_path / "github_output", tmp_path / "rbh.sarif", tmp_path / "summary.md"
    env = {"RBH_REPO": str(repo.root), "FAIL_ON": "error", "CHANGED_SINCE": "", "SARIF_FILE": str(sarif),
           "ANNOTATIONS": "true", "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)}
    proc = run_step(step("check"), env, tmp_path)
    assert proc.returncode == 0, proc.stderr  # findings fail the job in the last step, after the upload
    assert out.read_text(encoding="utf-8").splitlines() == [f"sarif-file={sarif}", "exit-code=1"]
    doc = json.loads(sarif.read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == ["RBH101"]
    assert proc.stdout.startswith("::error file=runbooks/cart.md,line=4,")
    assert summary.read_text(encoding="utf-8").startswith("### rbh check: 1 error in 1 file")

    proc = run_step(step("check"), {**env, "ANNOTATIONS": "false"}, tmp_path)
    assert proc.stdout.startswith("runbooks/cart.md:4:")

    proc = run_step(step("Fail on findings"), {"CODE": "1"}, tmp_path)
    assert proc.returncode == 1


def test_action_check_step_fails_at_once_on_a_usage_error(make_repo, tmp_path):
    repo = make_repo(STALE)
    out = tmp_path / "github_output"
    env = {"RBH_REPO": str(repo.root), "FAIL_ON": "error", "CHANGED_SINCE": "no-such-ref",
           "SARIF_FILE": str(tmp_path / "x.sarif"), "ANNOTATIONS": "true", "GITHUB_OUTPUT": str(out)}
    proc = run_step(step("check"), env, tmp_path)
    assert proc.returncode == 2
    assert out.read_text(encoding="utf-8").splitlines() == ["exit-code=2"]  # no SARIF to upload
    assert "unknown git ref 'no-such-ref'" in proc.stderr


def test_example_workflow_uses_the_action_with_full_history_and_sarif_permissions():
    job = WORKFLOW["jobs"]["rbh-check"]
    assert WORKFLOW["permissions"]["security-events"] == "write"
    checkout, action = job["steps"]
    assert checkout["with"]["fetch-depth"] == 0
    assert action["uses"] == "./"
    assert set(action["with"]) <= set(ACTION["inputs"])


@pytest.mark.parametrize("hook", HOOKS, ids=lambda h: h["id"])
def test_pre_commit_hooks_run(hook, make_repo, rbh, monkeypatch):
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    argv = shlex.split(hook["entry"])
    assert argv[0] == "rbh"
    repo = make_repo(STALE)
    repo.write("runbooks/new.md", "# New\n\n```bash\nkubectl -n shop get deploy/ghost\n```\n")  # uncommitted
    monkeypatch.chdir(repo.root)  # pre-commit runs hooks at the repository root
    code, out, err = rbh(argv[1:])
    assert code == 1, err
    assert "deployment `ghost` not found" in out
    if "--changed-since" in argv:
        assert "runbooks/cart.md" not in out  # committed before: not this change's business
    else:
        assert "runbooks/cart.md" in out


def test_gitlab_job_declares_the_reports_its_script_writes():
    from rbh.checks.formats import FORMATS

    job = GITLAB["rbh-check"]
    script = "\n".join(job["script"])
    reports = job["artifacts"]["reports"]
    assert f"--output gitlab={reports['codequality']}" in script
    assert f"--output junit={reports['junit']}" in script
    assert {"gitlab", "junit"} <= set(FORMATS)
    assert job["artifacts"]["when"] == "always"


def test_gitlab_job_script_runs(make_repo, tmp_path):
    """The job's script on a stale repository outside a merge request: reports written, job fails."""
    repo = make_repo(STALE)
    script = "\n".join(GITLAB["rbh-check"]["script"])
    full = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": ""}
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=repo.root, env=full,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    issues = json.loads((repo.root / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert [i["check_name"] for i in issues] == ["RBH101 unknown-workload"]
    assert "<failure" in (repo.root / "rbh-junit.xml").read_text(encoding="utf-8")
