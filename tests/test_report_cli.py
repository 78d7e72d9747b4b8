"""``rbh rules``, ``rbh explain``, ``--format auto|sarif|github|junit``, the baseline workflow and
``--changed-since``, run through the real CLI on real git repositories."""

from __future__ import annotations

import json

import pytest

DEPLOYMENTS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart-api
  namespace: shop
spec:
  selector:
    matchLabels: {app: cart}
  template:
    metadata:
      labels: {app: cart}
    spec:
      containers:
        - name: cart
          image: shop/cart:1.2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments
  namespace: shop
spec:
  selector:
    matchLabels: {app: payments}
  template:
    metadata:
      labels: {app: payments}
    spec:
      containers:
        - name: payments
          image: shop/payments:1.0
"""

CART = """\
---
title: Cart
service: cart
---
# Cart

## Diagnosis

```bash
kubectl -n shop get deploy/cart
kubectl -n shop logs deploy/cart-api -c cart
```
"""

PAYMENTS = """\
# Payments

```bash
kubectl -n shop rollout restart deploy/payments
```
"""

SEARCH = """\
# Search

Search has no manifests here; nothing in this runbook is checked against payments.
"""


@pytest.fixture
def shop(make_repo):
    return make_repo({"manifests/app.yaml": DEPLOYMENTS, "runbooks/cart.md": CART, "runbooks/payments.md": PAYMENTS,
                      "runbooks/search.md": SEARCH})


def check(rbh, repo, *args, env=None):
    return rbh(["check", "--repo", str(repo.root), *args], env=env)


# ------------------------------------------------------------------ rules / explain


def test_rules_lists_every_registered_rule(rbh):
    from rbh.checks.rules import RULES

    code, out, _ = rbh(["rules"])
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "SEVERITY", "SUMMARY"]
    rows = [ln.split()[:3] for ln in lines[1 : 1 + len(RULES)]]
    assert rows == [[m.ID, m.NAME, str(m.SEVERITY)] for m in sorted(RULES.values(), key=lambda m: m.ID)]
    assert lines[-1] == f"{len(RULES)} rules. 'rbh explain ID' shows what a rule detects, why it matters and an example."


def test_rules_json_shows_configured_severity(rbh, make_repo):
    repo = make_repo({"rbh.yaml": "check:\n  rules:\n    RBH101: {severity: warning}\n    RBH205: {enabled: false}\n"})
    code, out, _ = rbh(["rules", "--format", "json", "--repo", str(repo.root)])
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["RBH101"]["severity"] == "error"
    assert rows["RBH101"]["configured"] == "warning"
    assert rows["RBH205"]["configured"] == "disabled"
    assert rows["RBH102"]["configured"] is None


def test_explain_prints_the_rule_documentation(rbh):
    from rbh.checks.rules import RULES

    code, out, _ = rbh(["explain", "rbh101"])
    assert code == 0
    module = RULES["RBH101"]
    assert out.startswith(f"RBH101 {module.NAME} (default severity: error)\n\n")
    for heading in ("What it does", "Why it matters", "Example"):
        assert f"## {heading}" in out
    code2, out2, _ = rbh(["explain", module.NAME.upper()])
    assert (code2, out2) == (0, out)


def test_explain_unknown_rule_is_a_one_line_usage_error_with_a_suggestion(rbh):
    code, out, err = rbh(["explain", "unknown-workloads"])
    assert code == 2
    assert out == ""
    assert err == "rbh: error: unknown rule 'unknown-workloads'; did you mean unknown-workload?\n"
    code, _, err = rbh(["explain", "zzz"])
    assert code == 2
    assert err == "rbh: error: unknown rule 'zzz'; 'rbh rules' lists them all\n"


def test_every_rule_docstring_renders_with_all_sections():
    from rbh.checks.ruledocs import all_docs

    for d in all_docs():
        assert d.summary, d.id
        assert d.what and d.why and d.example, f"{d.id} lacks a documentation section"


# ------------------------------------------------------------------ formats through the CLI


def test_format_auto_picks_github_under_github_actions(rbh, shop, tmp_path):
    summary = tmp_path / "summary.md"
    code, out, _ = check(rbh, shop, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert code == 1
    assert out.splitlines()[0].startswith("::error file=runbooks/cart.md,line=10,col=")
    assert "title=RBH101 unknown-workload::deployment `cart` not found" in out
    assert summary.read_text(encoding="utf-8").startswith("### rbh check: 1 error in 1 file\n")
    code, out, _ = check(rbh, shop, env={"GITHUB_ACTIONS": "false"})
    assert code == 1
    assert out.startswith("runbooks/cart.md:10:")


def test_sarif_and_junit_through_the_cli(rbh, shop):
    code, out, _ = check(rbh, shop, "--format", "sarif")
    assert code == 1
    doc = json.loads(out)
    results = doc["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results] == [
        ("RBH101", "runbooks/cart.md")
    ]
    code, out, _ = check(rbh, shop, "--format", "junit")
    assert code == 1
    assert '<testsuites name="rbh check" tests="3" failures="1" errors="0" skipped="0">' in out


# ------------------------------------------------------------------ baseline workflow


def test_write_baseline_then_check_is_clean_until_new_debt_appears(rbh, shop):
    code, out, err = check(rbh, shop, "--write-baseline")
    assert (code, out) == (0, "")
    assert err == f"rbh: wrote 1 known finding to {shop.root / '.rbh-baseline.json'}\n"
    doc = json.loads((shop.root / ".rbh-baseline.json").read_text(encoding="utf-8"))
    assert [(e["rule"], e["path"], e["count"]) for e in doc["findings"]] == [("RBH101", "runbooks/cart.md", 1)]

    # The default baseline file is picked up without configuration; the known finding is suppressed.
    code, out, _ = check(rbh, shop, "--format", "json")
    assert code == 0
    findings = json.loads(out)["findings"]
    assert [(f["rule"], f.get("suppressed")) for f in findings] == [("RBH101", "baseline")]
    code, out, _ = check(rbh, shop)
    assert code == 0 and out.splitlines()[-1].startswith("0 errors, 0 warnings, 0 info, 1 known from the baseline (")

    # Moving the known finding down does not bring it back; a new stale reference fails.
    shop.write("runbooks/cart.md", CART.replace("## Diagnosis\n", "## Diagnosis\n\nSome words.\n\n")
               + "\n```bash\nkubectl -n shop describe deploy/carts\n```\n")
    code, out, _ = check(rbh, shop, "--format", "json")
    assert code == 1
    moved = [(f["line"], f["message"].split(" not found")[0], f.get("suppressed")) for f in json.loads(out)["findings"]]
    assert moved == [(13, "deployment `cart`", "baseline"), (18, "deployment `carts`", None)]

    code, out, _ = check(rbh, shop, "--no-baseline", "--format", "json")
    assert code == 1
    assert [f.get("suppressed") for f in json.loads(out)["findings"]] == [None, None]


def test_write_baseline_to_a_named_file_and_use_it(rbh, shop, tmp_path):
    code, _, err = check(rbh, shop, f"--write-baseline={shop.root / 'ci' / 'known.json'}")
    assert code == 0
    assert "rbh: hint: set check.baseline in rbh.yaml" in err
    code, _, _ = check(rbh, shop)
    assert code == 1  # not configured: not used
    code, _, _ = check(rbh, shop, "--baseline", str(shop.root / "ci" / "known.json"))
    assert code == 0
    shop.write("rbh.yaml", "check:\n  baseline: ci/known.json\n")
    code, _, _ = check(rbh, shop)
    assert code == 0


def test_baseline_usage_errors(rbh, shop, tmp_path):
    code, _, err = check(rbh, shop, "--baseline", str(tmp_path / "outside.json"))
    assert code == 2
    assert err.startswith("rbh: error: --baseline ") and "must be inside the repository" in err
    shop.write("rbh.yaml", "check:\n  baseline: ci/missing.json\n")
    code, _, err = check(rbh, shop)
    assert code == 2
    assert err == ("rbh: error: baseline file " + str(shop.root / "ci" / "missing.json") + " not found\n"
                   "rbh: hint: create it with 'rbh check --write-baseline'\n")
    code, _, err = check(rbh, shop, "--write-baseline", "--changed-since", "HEAD")
    assert code == 2
    assert "cannot be combined with --changed-since" in err
    # An optional-value option takes the next word: it must never overwrite a runbook.
    before = (shop.root / "runbooks" / "cart.md").read_text(encoding="utf-8")
    code, _, err = check(rbh, shop, "--write-baseline", "runbooks/cart.md")
    assert code == 2
    assert "the baseline is a .json file" in err
    assert (shop.root / "runbooks" / "cart.md").read_text(encoding="utf-8") == before
    code, _, err = check(rbh, shop, "--write-baseline=b.json", "runbooks/cart.md")
    assert code == 2
    assert err == "rbh: error: --write-baseline records every finding; it cannot be combined with runbook PATHS\n"


def test_inline_directive_through_the_cli(rbh, shop):
    shop.write("runbooks/cart.md", CART.replace("```bash\n", '<!-- rbh: disable-next-line RBH101 reason="renamed next week" -->\n```bash\n'))
    code, out, _ = check(rbh, shop, "--format", "json")
    assert code == 0
    f = json.loads(out)["findings"][0]
    assert (f["rule"], f["suppressed"], f["suppression_reason"]) == ("RBH101", "inline", "renamed next week")


# ------------------------------------------------------------------ --changed-since


def test_changed_since_reports_only_changed_runbooks(rbh, shop):
    base = shop.repo.head.commit.hexsha
    shop.write("runbooks/payments.md", PAYMENTS + "\n```bash\nkubectl -n shop get deploy/ledger\n```\n")
    shop.commit("payments: ledger")
    code, out, _ = check(rbh, shop, "--changed-since", base)
    assert code == 1
    assert "deployment `ledger` not found" in out
    assert "runbooks/cart.md" not in out  # stale, but not touched by this change
    assert "--changed-since: 1 runbook(s) and 0 manifest(s) changed since" in out


def test_changed_since_follows_manifest_changes_to_the_runbooks_that_mention_them(rbh, shop):
    # Make the example clean first, then rename a deployment in the manifests only.
    shop.write("runbooks/cart.md", CART.replace("deploy/cart\n", "deploy/cart-api\n"))
    shop.commit("cart: fixed")
    base = shop.repo.head.commit.hexsha
    shop.write("manifests/app.yaml", DEPLOYMENTS.replace("name: payments", "name: payments-api"))
    shop.commit("rename payments")
    code, out, _ = check(rbh, shop, "--changed-since", base, "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert {(f["rule"], f["path"]) for f in doc["findings"]} >= {("RBH101", "runbooks/payments.md")}
    assert not [f for f in doc["findings"] if f["path"] == "runbooks/cart.md"]
    # search.md says "payments" too: it is in scope (errs on checking more), but has no finding.
    from rbh.checks.changed import compute
    from rbh.project import load_project

    scope = compute(load_project(shop.root), base)
    assert scope.files == {"manifests/app.yaml", "runbooks/payments.md", "runbooks/search.md"}


def test_changed_since_sees_uncommitted_and_untracked_files(rbh, shop):
    base = shop.repo.head.commit.hexsha
    shop.write("runbooks/new.md", "# New\n\n```bash\nkubectl -n shop get deploy/nothing\n```\n")
    code, out, _ = check(rbh, shop, "--changed-since", base)
    assert code == 1
    assert "runbooks/new.md" in out and "runbooks/cart.md" not in out


def test_changed_since_a_config_change_checks_everything(rbh, shop):
    base = shop.repo.head.commit.hexsha
    shop.write("rbh.yaml", "check:\n  fail_on: error\n")
    code, out, _ = check(rbh, shop, "--changed-since", base)
    assert code == 1
    assert "runbooks/cart.md" in out
    assert "checking everything (the config file changed)" in out


def test_changed_since_unknown_ref_is_a_usage_error(rbh, shop):
    code, _, err = check(rbh, shop, "--changed-since", "no-such-branch")
    assert code == 2
    assert err == "rbh: error: --changed-since: unknown git ref 'no-such-branch'\n"


def test_inline_directive_in_a_manifest_through_the_cli(rbh, shop):
    shop.write("manifests/exporter.yaml", """\
# rbh: disable RBH403 reason="exporters need no runbook"
apiVersion: apps/v1
kind: Deployment
metadata: {name: metrics-exporter, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: exporter, image: "exporter:1"}]
""")
    code, out, _ = check(rbh, shop, "--format", "json", "--fail-on", "info")
    found = [(f["rule"], f["path"], f.get("suppressed"), f.get("suppression_reason")) for f in json.loads(out)["findings"]]
    assert ("RBH403", "manifests/exporter.yaml", "inline", "exporters need no runbook") in found
    assert not [f for f in found if f[1] == "manifests/exporter.yaml" and f[2] is None]


def test_today_decides_which_snoozes_expired(rbh, shop):
    shop.write("runbooks/cart.md", CART.replace("```bash\n", "<!-- rbh: snooze RBH101 until=2026-06-30 -->\n```bash\n", 1))
    code, _, _ = check(rbh, shop, "--today", "2026-06-30")
    assert code == 0
    code, out, _ = check(rbh, shop, "--today", "2026-07-01")
    assert code == 1
    assert "snooze of RBH101 expired on 2026-06-30" in out


def test_changed_since_follows_a_moved_runbook_to_the_runbooks_that_link_it(rbh, shop):
    shop.write("runbooks/overview.md", "# Overview\n\nSee [payments](payments.md#payments) and [cart](cart.md).\n")
    shop.commit("overview")
    base = shop.repo.head.commit.hexsha
    shop.repo.git.mv("runbooks/payments.md", "runbooks/payments-service.md")
    shop.commit("rename payments runbook")
    code, out, _ = check(rbh, shop, "--changed-since", base, "--format", "json")
    paths = {f["path"] for f in json.loads(out)["findings"] if not f.get("suppressed")}
    assert "runbooks/overview.md" in paths  # its link to payments.md is broken now
    assert "runbooks/cart.md" not in paths  # stale, but nothing in this change touches it


def test_changed_since_follows_a_deleted_script_to_the_runbook_that_names_it(rbh, shop):
    shop.write("scripts/failover.sh", "#!/bin/sh\n")
    shop.write("runbooks/db.md", "# DB\n\nRun `scripts/failover.sh` to fail over.\n")
    shop.commit("failover script")
    base = shop.repo.head.commit.hexsha
    shop.delete("scripts/failover.sh")
    shop.commit("drop the script")
    from rbh.checks.changed import compute
    from rbh.project import load_project

    assert "runbooks/db.md" in compute(load_project(shop.root), base).files


def test_changed_since_before_the_first_commit_checks_everything(rbh, git_repo):
    git_repo.write("runbooks/a.md", "# A\n\n```bash\nkubectl get deploy/ghost\n```\n")
    git_repo.write("manifests/app.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: real}\n")
    code, out, err = rbh(["check", "--repo", str(git_repo.root), "--changed-since", "HEAD"])
    assert code == 1, err
    assert "deployment `ghost` not found" in out
    assert "checking everything (the repository has no commits yet)" in out


def test_output_writes_more_formats_from_the_same_run(rbh, shop, tmp_path):
    sarif_file, junit_file = tmp_path / "out" / "rbh.sarif", tmp_path / "rbh.xml"
    code, out, _ = check(rbh, shop, "--format", "text", "--output", f"sarif={sarif_file}", "--output", f"junit={junit_file}")
    assert code == 1
    assert out.startswith("runbooks/cart.md:10:")
    _, alone, _ = check(rbh, shop, "--format", "sarif")
    assert sarif_file.read_text(encoding="utf-8") == alone
    assert junit_file.read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    code, _, err = check(rbh, shop, "--output", "sarif")
    assert code == 2
    assert err.startswith("rbh: error: --output sarif: expected FORMAT=FILE")


def test_unwritable_output_files_are_one_line_usage_errors(rbh, shop, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code, _, err = check(rbh, shop, "--output", f"sarif={blocker / 'rbh.sarif'}")
    assert code == 2
    assert err.startswith(f"rbh: error: --output sarif={blocker / 'rbh.sarif'}: cannot write: ")
    assert err.count("\n") == 1
    code, _, err = check(rbh, shop, f"--write-baseline={blocker / 'b.json'}")
    assert code == 2
    assert err.startswith(f"rbh: error: --write-baseline {blocker / 'b.json'}: cannot write: ")
