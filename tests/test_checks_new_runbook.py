"""``rbh new ALERTNAME`` (issue 12): a runbook skeleton from the alert rule, at the path the alert's
runbook_url expects, never outside the repository, never over an existing file. Real git repos."""

from __future__ import annotations

import os

from rbh.checks.engine import run_checks
from checks_support import commit_history
from rbh.project import load_project

RULES = """\
groups:
  - name: kube
    rules:
      - alert: KubeJobFailed
        expr: kube_job_failed{job="kube-state-metrics"} > 0
        for: 15m
        labels:
          severity: warning
        annotations:
          summary: Job failed to complete.
          description: Job {{ $labels.namespace }}/{{ $labels.job_name }} failed to complete.
          runbook_url: https://runbooks.example.com/kubernetes/kube-job-failed/
      - alert: Escape
        expr: up == 0
        annotations:
          runbook_url: https://runbooks.example.com/../../outside/
      - alert: LinkedOut
        expr: up == 0
        annotations:
          runbook_url: https://runbooks.example.com/linked/LinkedOut/
"""
CONFIG = """\
runbooks:
  include: ["runbooks/**/*.md"]
manifests:
  include: ["rules/*.yaml"]
check:
  runbook_urls:
    prefixes:
      "https://runbooks.example.com/": runbooks
"""


def _repo(tmp_path):
    root = tmp_path / "repo"
    commit_history(root, [{"rbh.yaml": CONFIG, "rules/kube.yaml": RULES, "runbooks/index.md": "# Runbooks\n"}])
    return root


def test_rbh_new_writes_the_skeleton_where_the_runbook_url_expects_it(tmp_path, rbh):
    root = _repo(tmp_path)
    before = [f for f in run_checks(load_project(root)).findings if f.rule == "RBH203" and "KubeJobFailed" in f.message]
    assert before and "create it with `rbh new KubeJobFailed`" in before[0].message
    code, out, err = rbh(["new", "KubeJobFailed", "--repo", str(root)])
    assert code == 0, err
    assert "wrote runbooks/kubernetes/kube-job-failed.md for alert KubeJobFailed (rules/kube.yaml:4)" in out
    text = (root / "runbooks/kubernetes/kube-job-failed.md").read_text()
    for part in ('title: "KubeJobFailed"', 'alerts: ["KubeJobFailed"]', 'severity: "warning"', "# KubeJobFailed",
                 "> Job failed to complete.", "Job {{ $labels.namespace }}/{{ $labels.job_name }} failed to complete.",
                 '```promql\nkube_job_failed{job="kube-state-metrics"} > 0\n```', "- `severity`: `warning`",
                 "## Meaning", "## Impact", "## Diagnosis", "## Mitigation"):
        assert part in text, part
    after = [f for f in run_checks(load_project(root)).findings if "KubeJobFailed" in f.message]
    assert after == []  # the link resolves now, and the page names a defined alert


def test_rbh_new_refuses_to_overwrite(tmp_path, rbh):
    root = _repo(tmp_path)
    assert rbh(["new", "KubeJobFailed", "--repo", str(root)])[0] == 0
    page = root / "runbooks/kubernetes/kube-job-failed.md"
    page.write_text("# Mine\n")
    code, out, err = rbh(["new", "KubeJobFailed", "--repo", str(root)])
    assert code == 2 and "already exists; rbh new never overwrites a file" in err and "Traceback" not in err
    assert page.read_text() == "# Mine\n"


def test_rbh_new_never_writes_outside_the_repository(tmp_path, rbh):
    root = _repo(tmp_path)
    code, out, err = rbh(["new", "Escape", "--repo", str(root)])
    assert code == 2 and "refusing to write" in err
    assert not (tmp_path / "outside.md").exists() and not (tmp_path / "outside").exists()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, root / "runbooks" / "linked")  # a folder inside that leads out
    code, out, err = rbh(["new", "LinkedOut", "--repo", str(root)])
    assert code == 2 and "leaves the repository" in err
    assert list(outside.iterdir()) == []


def test_rbh_new_unknown_alert_is_a_usage_error_with_a_probable_suggestion(tmp_path, rbh):
    root = _repo(tmp_path)
    code, out, err = rbh(["new", "KubeJobsFailed", "--repo", str(root)])
    assert code == 2 and "no alerting rule in the configured manifests defines `KubeJobsFailed`" in err
    assert "did you mean `KubeJobFailed`?" in err


def test_lower_cased_urls_get_one_notice_naming_the_option(tmp_path):
    rules = "groups:\n  - name: k\n    rules:\n" + "".join(
        f"      - alert: {n}\n        expr: up == 0\n        annotations:\n          runbook_url: https://runbooks.example.com/{n.lower()}/\n"
        for n in ("KubeJobFailed", "KubeProxyDown", "KubeletDown"))
    root = tmp_path / "repo"
    commit_history(root, [{"rbh.yaml": CONFIG, "rules/kube.yaml": rules,
                           **{f"runbooks/{n}.md": f"# {n}\n" for n in ("KubeJobFailed", "KubeProxyDown", "KubeletDown")}}])
    result = run_checks(load_project(root))
    found = [f for f in result.findings if f.rule == "RBH203"]
    assert len(found) == 3 and all("exists in another letter case" in f.message for f in found)
    hints = [n for n in result.notices if "case_insensitive" in n]
    assert len(hints) == 1 and "check.runbook_urls.case_insensitive: true" in hints[0]
