"""The example platform is clean; the drift scenario (scripts/drift.py) is caught with suggestions."""

from __future__ import annotations

import json
import re

import git

from rbh.checks.engine import run_checks
from rbh.project import load_project


def test_example_has_no_errors_or_warnings(example_repo, rbh):
    code, out, err = rbh(["check", "--repo", str(example_repo), "--format", "json"])
    data = json.loads(out)
    assert code == 0, out + err
    assert [f for f in data["findings"] if f["severity"] in ("error", "warning") and not f.get("suppressed")] == []
    assert data["summary"]["runbooks_checked"] >= 20


def test_drift_scenario_is_caught_with_rename_and_removal(drift_repo, rbh):
    sha = git.Repo(drift_repo).head.commit.hexsha[:8]
    code, out, _ = rbh(["check", "--repo", str(drift_repo), "--format", "json"])
    assert code == 1
    findings = [f for f in json.loads(out)["findings"] if f["severity"] == "error"]
    renamed = [f for f in findings if f["rule"] == "RBH101"]
    assert renamed, findings
    for f in renamed:
        assert f["path"] == "runbooks/services/checkout.md"
        assert f["message"] == "deployment `checkout` not found in namespace `checkout` or any other"
        assert f["suggestion"] == "checkout-api"
        assert f["suggestion_source"] == f"renamed in {sha}"
    removed = [f for f in findings if f["rule"] == "RBH201"]
    assert [(f["path"], f["suggestion"]) for f in removed] == [("runbooks/services/payments.md", None)]
    assert removed[0]["message"].endswith(f"is not defined in any alerting rule (removed in {sha})")
    assert {f["rule"] for f in findings} == {"RBH101", "RBH201"}


def test_drift_text_output_says_did_you_mean(drift_repo, rbh):
    sha = git.Repo(drift_repo).head.commit.hexsha[:8]
    code, out, _ = rbh(["check", "--repo", str(drift_repo), "--format", "text"])
    assert code == 1
    assert f"RBH101  deployment `checkout` not found in namespace `checkout` or any other  (did you mean `checkout-api` (renamed in {sha}))" in out
    assert re.match(r"\d+ errors, 0 warnings, \d+ info \(\d+ runbooks, \d+ manifest files checked\)$", out.rstrip().splitlines()[-1])


def test_one_runbook_only(drift_repo):
    result = run_checks(load_project(drift_repo), paths=["runbooks/services/payments.md"])
    assert {f.path for f in result.findings} == {"runbooks/services/payments.md"}
    assert [f.rule for f in result.active if f.severity.name == "error"] == ["RBH201"]


def test_shallow_clone_degrades_with_a_notice(drift_repo, tmp_path):
    shallow = tmp_path / "shallow"
    git.Repo.clone_from(f"file://{drift_repo}", str(shallow), depth=1)
    result = run_checks(load_project(shallow))
    renamed = [f for f in result.active if f.rule == "RBH101"]
    assert renamed and all(f.suggestion == "checkout-api" for f in renamed)
    assert any("shallow clone" in n for n in result.notices)
    # the commit that renamed it is the only one there, so the rename is still named
    assert {f.suggestion_source for f in renamed} <= {None, f"renamed in {git.Repo(shallow).head.commit.hexsha[:8]}"}


def test_detached_head_and_no_git(drift_repo, tmp_path):
    import shutil

    plain = tmp_path / "plain"
    shutil.copytree(drift_repo, plain, ignore=shutil.ignore_patterns(".git"))
    result = run_checks(load_project(plain, require_git=False))
    assert {f.rule for f in result.active if f.severity.name == "error"} == {"RBH101", "RBH201"}
    assert {f.suggestion_source for f in result.active if f.rule == "RBH101"} == {None}  # no history without git
    repo = git.Repo(drift_repo)
    repo.git.checkout("--detach", "HEAD~1")
    clean = run_checks(load_project(drift_repo))
    assert [f for f in clean.active if f.severity.name == "error"] == []
