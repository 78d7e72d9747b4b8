"""The project's own CI runs ``rbh check`` on its example runbooks: they must stay clean."""

from __future__ import annotations

import json

import jsonschema

from conftest import PROJECT_ROOT, run_rbh_subprocess


def test_rbh_check_on_the_example_repository_exits_0():
    proc = run_rbh_subprocess(["check", "--repo", str(PROJECT_ROOT)], env={"GITHUB_ACTIONS": "false"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    assert "0 errors" in proc.stdout.splitlines()[-1]


def test_example_sarif_validates_against_the_sarif_schema():
    proc = run_rbh_subprocess(["check", "--repo", str(PROJECT_ROOT), "--format", "sarif"])
    assert proc.returncode == 0, proc.stderr
    schema = json.loads((PROJECT_ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    doc = json.loads(proc.stdout)
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(doc)
    assert not [r for r in doc["runs"][0]["results"] if r["level"] == "error"]


def test_drift_scenario_in_sarif_and_github_formats(drift_repo, tmp_path):
    """The drift scenario (a renamed deployment, a removed alert) as CI sees it: exit 1, valid SARIF
    whose results carry the rename suggestion, annotations on the stale lines."""
    proc = run_rbh_subprocess(["check", "--repo", str(drift_repo), "--format", "sarif"])
    assert proc.returncode == 1, proc.stderr
    schema = json.loads((PROJECT_ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    doc = json.loads(proc.stdout)
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(doc)
    errors = [r for r in doc["runs"][0]["results"] if r["level"] == "error"]
    assert {r["ruleId"] for r in errors} == {"RBH101", "RBH201"}
    assert all("renamed in" in r["message"]["text"] for r in errors if r["ruleId"] == "RBH101")

    summary = tmp_path / "summary.md"
    proc = run_rbh_subprocess(["check", "--repo", str(drift_repo)],
                              env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(ln.startswith("::error file=runbooks/") and "title=RBH201 alert-not-defined::" in ln for ln in lines)
    assert summary.read_text(encoding="utf-8").startswith("### rbh check: ")


def test_every_finding_has_a_normalized_reference_for_the_baseline(drift_repo):
    """The baseline keys findings by rule, file and normalized reference; a rule that left the
    reference out would be keyed by its message, which may change wording between releases."""
    from rbh.checks.engine import run_checks
    from rbh.project import load_project

    result = run_checks(load_project(drift_repo))
    assert result.findings
    assert [f for f in result.findings if not f.reference] == []
