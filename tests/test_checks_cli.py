"""``rbh check`` as a user runs it: exit codes, formats, --fail-on, config mistakes on one line."""

from __future__ import annotations

import json

import pytest

from checks_support import commit_history

RUNBOOK = """\
---
title: Checkout
last_reviewed: 2020-01-01
review_every: 30d
---
# Checkout

```bash
kubectl -n shop get deploy/chekout
```
"""
MANIFEST = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: checkout, namespace: shop}\n"


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    commit_history(root, [{"runbooks/checkout.md": RUNBOOK, "manifests/app.yaml": MANIFEST}])
    return root


def test_text_output_and_exit_code(repo, rbh):
    code, out, err = rbh(["check", "--repo", str(repo), "--today", "2026-01-01"])
    assert code == 1, err
    assert out.splitlines() == [
        "runbooks/checkout.md:3:1  warning  RBH401  review overdue since 2020-01-31 (last reviewed 2020-01-01, every 30 days)",
        "runbooks/checkout.md:9:28  error    RBH101  deployment `chekout` not found in namespace `shop` or any other  (did you mean `checkout`)",
        "",
        "1 error, 1 warning, 0 info (1 runbook, 1 manifest file checked)",
    ]


def test_json_output(repo, rbh):
    code, out, _ = rbh(["check", "--repo", str(repo), "--format", "json", "--today", "2026-01-01"])
    data = json.loads(out)
    assert code == 1
    assert data["version"] == 1
    assert data["summary"]["error"] == 1 and data["summary"]["warning"] == 1
    first = data["findings"][1]
    assert {k: first[k] for k in ("rule", "name", "severity", "path", "line", "column", "suggestion")} == {
        "rule": "RBH101", "name": "unknown-workload", "severity": "error", "path": "runbooks/checkout.md",
        "line": 9, "column": 28, "suggestion": "checkout"}
    assert len(first["fingerprint"]) == 32


@pytest.mark.parametrize("fail_on,expected", [("error", 1), ("warning", 1), ("never", 0)])
def test_fail_on(repo, rbh, fail_on, expected):
    code, _, _ = rbh(["check", "--repo", str(repo), "--fail-on", fail_on, "--today", "2026-01-01"])
    assert code == expected


def test_fail_on_warning_with_only_warnings(tmp_path, rbh):
    root = tmp_path / "r"
    commit_history(root, [{"runbooks/a.md": RUNBOOK.replace("chekout", "checkout"), "manifests/app.yaml": MANIFEST}])
    assert rbh(["check", "--repo", str(root), "--today", "2026-01-01"])[0] == 0
    assert rbh(["check", "--repo", str(root), "--today", "2026-01-01", "--fail-on", "warning"])[0] == 1


def test_rule_settings_from_config(repo, rbh):
    (repo / "rbh.yaml").write_text("check:\n  rules:\n    RBH101: {severity: warning}\n    review-overdue: {enabled: false}\n")
    code, out, _ = rbh(["check", "--repo", str(repo), "--today", "2026-01-01"])
    assert code == 0
    assert "RBH401" not in out and "9:28  warning  RBH101" in out


@pytest.mark.parametrize("config,message", [
    ("check:\n  rules:\n    RBH999: {enabled: false}\n", "rbh: error: rbh.yaml: check.rules.RBH999: unknown rule (see 'rbh rules')"),
    ("check:\n  rules:\n    RBH401: {options: {default_review_dayz: 3}}\n", "rbh: error: rbh.yaml: check.rules.RBH401.options: default_review_dayz: unknown key"),
    ("check:\n  fail_on: sometimes\n", "rbh: error: rbh.yaml: check.fail_on: Input should be 'error', 'warning' or 'info'"),
])
def test_config_mistakes_are_one_line_exit_2(repo, rbh, config, message):
    (repo / "rbh.yaml").write_text(config)
    code, out, err = rbh(["check", "--repo", str(repo)])
    assert code == 2
    assert err.strip().splitlines() == [message]


def test_not_a_repository(tmp_path, rbh):
    code, _, err = rbh(["check", "--repo", str(tmp_path)])
    assert code == 2 and "is not inside a git repository" in err


def test_help_has_an_example(rbh):
    code, out, _ = rbh(["check", "--help"])
    assert code == 0 and "rbh check --fail-on warning" in out and "Exit codes" in out


def test_paths_limit_the_check(repo, rbh):
    (repo / "runbooks" / "other.md").write_text("# Other\n\n```bash\nkubectl -n shop get deploy/nope\n```\n")
    code, out, _ = rbh(["check", "--repo", str(repo), "--format", "json", str("runbooks/other.md")])
    assert code == 1
    assert {f["path"] for f in json.loads(out)["findings"]} == {"runbooks/other.md"}


def test_paths_outside_or_symlinked_are_not_read(repo, rbh):
    import os

    os.symlink("/etc/passwd", repo / "runbooks" / "link.md")
    code, out, _ = rbh(["check", "--repo", str(repo), "--format", "json", "runbooks/link.md", "../outside.md"])
    data = json.loads(out)
    assert code == 0 and data["findings"] == [] and data["summary"]["runbooks_checked"] == 0
    assert data["notices"] == ["not a regular file of the repository, skipped: runbooks/link.md, ../outside.md"]


def test_paths_relative_to_the_current_directory(repo, rbh, monkeypatch):
    (repo / "runbooks" / "other.md").write_text("# Other\n\n```bash\nkubectl -n shop get deploy/nope\n```\n")
    monkeypatch.chdir(repo / "runbooks")
    code, out, _ = rbh(["check", "--repo", str(repo), "--format", "json", "other.md"])
    assert code == 1
    assert {f["path"] for f in json.loads(out)["findings"]} == {"runbooks/other.md"}


def test_empty_repository_without_commits(git_repo, rbh):
    git_repo.write("runbooks/x.md", "# X\n\n```bash\nkubectl -n a get deploy/x\n```\n")
    git_repo.write("manifests/a.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: y, namespace: a}\n")
    code, out, err = rbh(["check", "--repo", str(git_repo.root), "--format", "json"])
    assert code == 1, err
    assert [(f["rule"], f["line"]) for f in json.loads(out)["findings"] if f["severity"] == "error"] == [("RBH101", 4)]
