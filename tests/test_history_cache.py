"""The history cache (.rbh/history-cache.json) gives exactly the findings of a run without it: after
new commits, after a force-push, across a merged branch with older dates, in a shallow clone and
after deepening it; a tampered, symlinked or committed cache is ignored. Health for `rbh ask` is
stored once per repository state; the stale-index notice needs a runbook change."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest

from checks_support import commit_history, write_files

K8S = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
  labels:
    app: {name}
spec:
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: {name}
          image: shop/cart:1
"""

RULES = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: shop-rules
  namespace: shop
spec:
  groups:
    - name: shop
      rules:
{rules}
"""

ALERT = """\
        - alert: {name}
          expr: |
            sum(rate({metric}{{code=~"5.."}}[5m])) > 1
          annotations:
            summary: errors
"""

RUNBOOK = """\
---
title: Cart
service: cart
---
# Cart

Restart it:

```bash
kubectl rollout restart deployment/cart -n shop
```

```promql
sum(rate(cart_http_requests_total[5m]))
```
"""

ALERT_PAGE = "# {name}\n\nWhat to do when {name} fires.\n"


def rules(*alerts: tuple[str, str]) -> str:
    return RULES.format(rules="".join(ALERT.format(name=n, metric=m) for n, m in alerts))


BASE = {
    "manifests/k8s/cart.yaml": K8S.format(name="cart"),
    "manifests/prometheus/rules.yaml": rules(("CartDown", "cart_http_requests_total"), ("CartSlow", "cart_http_requests_total")),
    "runbooks/cart.md": RUNBOOK,
    "runbooks/alerts/CartDown.md": ALERT_PAGE.format(name="CartDown"),
    "runbooks/alerts/CartSlow.md": ALERT_PAGE.format(name="CartSlow"),
}
LATER = [
    {"manifests/k8s/cart.yaml": K8S.format(name="cart-api")},  # rename: RBH101 "renamed in"
    {"manifests/prometheus/rules.yaml": rules(("CartSlow", "http_server_requests_total"))},  # RBH204, RBH205
    {"runbooks/other.md": "# Other\n\nNothing here.\n"},
]


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


def commit(root: Path, files: dict, message: str, when: str) -> str:
    write_files(root, files)
    git(root, "add", "-A")
    env_date = ["-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "-C", str(root), *env_date, "commit", "-q", "-m", message], check=True,
                   env={**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when})
    return git(root, "rev-parse", "HEAD").strip()


def findings(root: Path, *, use_cache: bool) -> list[dict]:
    from rbh.checks.engine import run_checks
    from rbh.project import load_project

    result = run_checks(load_project(root), use_cache=use_cache, today=dt.date(2026, 6, 1))
    return [f.as_dict() | {"source": f.suggestion_source} for f in result.findings]


def same_as_cold(root: Path) -> list[dict]:
    """Findings through the cache equal those of a run without it; returns them."""
    warm = findings(root, use_cache=True)
    assert (root / ".rbh" / "history-cache.json").exists()
    cold = findings(root, use_cache=False)
    assert warm == cold
    again = findings(root, use_cache=True)  # the fold stored for HEAD read back
    assert again == cold
    (root / ".rbh" / "history-head.json").unlink()
    assert findings(root, use_cache=True) == cold  # the memo read back, HEAD unchanged
    return cold


def history_messages(found: list[dict]) -> set[tuple[str, str]]:
    return {(f["rule"], f["message"]) for f in found if f["rule"] in ("RBH101", "RBH204", "RBH205", "RBH404")}


@pytest.fixture()
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    commit_history(root, [BASE, *LATER])
    return root


def test_cache_matches_a_cold_run_after_new_commits(repo):
    from rbh.checks.history_cache import repo_history
    from rbh.project import load_project

    first = same_as_cold(repo)
    rename = git(repo, "log", "--format=%H", "-1", "--", "manifests/k8s/cart.yaml").strip()[:8]
    assert any(f["rule"] == "RBH101" and f["source"] == f"renamed in {rename}" for f in first)
    assert any(f["rule"] == "RBH204" and "CartDown" in f["message"] and "(removed in" in f["message"] for f in first)
    assert any(f["rule"] == "RBH205" and "dropped from the rules in" in f["message"] for f in first)
    # new commits: the alert comes back and is renamed again; the memo reads only those commits
    commit(repo, {"manifests/prometheus/rules.yaml": rules(("CartDown", "http_server_requests_total"))}, "back", "2026-02-01T00:00:00")
    commit(repo, {"manifests/prometheus/rules.yaml": rules(("CartUnavailable", "http_server_requests_total"))}, "rename", "2026-02-02T00:00:00")
    commit(repo, {"runbooks/cart.md": RUNBOOK + "\nMore.\n"}, "edit", "2026-02-03T00:00:00")
    from rbh.checks.history_cache import repo_history as load_facts
    from rbh.project import load_project as load

    assert load_facts(load(repo)).commits_read == 3  # only the new commits were read
    second = same_as_cold(repo)
    assert history_messages(second) != history_messages(first)
    renamed = [f for f in second if f["rule"] == "RBH204" and "CartDown" in f["message"]]
    assert renamed and renamed[0]["suggestion"] == "CartUnavailable"
    # the facts themselves, not only the findings
    project = load_project(repo)
    warm, cold = repo_history(project), repo_history(project, use_cache=False)
    assert (warm.manifests.renames, warm.manifests.removed, warm.manifests.removed_metrics, warm.last) == \
        (cold.manifests.renames, cold.manifests.removed, cold.manifests.removed_metrics, cold.last)
    assert warm.manifests.commits == cold.manifests.commits == 5


def test_cache_matches_after_a_force_push_and_a_merged_branch_with_older_dates(repo):
    same_as_cold(repo)
    base = git(repo, "rev-parse", "HEAD~2").strip()
    git(repo, "reset", "-q", "--hard", base)  # history rewritten: two commits gone, others instead
    commit(repo, {"manifests/k8s/cart.yaml": K8S.format(name="cart-svc")}, "other rename", "2026-03-01T00:00:00")
    rewritten = same_as_cold(repo)
    assert any(f["rule"] == "RBH101" and f["suggestion"] == "cart-svc" for f in rewritten)
    # a branch whose commits are older than main's newest, merged after the memo saw main
    git(repo, "checkout", "-q", "-b", "side", base)
    commit(repo, {"manifests/prometheus/rules.yaml": rules(("CartGone", "x_total"))}, "side", "2026-01-20T00:00:00")
    git(repo, "checkout", "-q", "main")
    same_as_cold(repo)
    commit(repo, {"manifests/prometheus/rules.yaml": rules(("CartLost", "y_total"))}, "main", "2026-03-05T00:00:00")
    same_as_cold(repo)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@example.com", "merge", "-q",
                    "-X", "theirs", "--no-edit", "side"], check=True,
                   env={**os.environ, "GIT_AUTHOR_DATE": "2026-03-06T00:00:00", "GIT_COMMITTER_DATE": "2026-03-06T00:00:00"})
    same_as_cold(repo)


def test_cache_matches_in_a_shallow_clone_and_after_deepening(repo, tmp_path):
    commit(repo, {"runbooks/alerts/CartSlow.md": ALERT_PAGE.format(name="CartSlow") + "\nx\n"}, "edit", "2026-02-01T00:00:00")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{repo}", str(clone)], check=True)
    shallow = same_as_cold(clone)
    assert not any("renamed in" in (f["source"] or "") for f in shallow)  # the rename is outside the clone
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "--unshallow"], check=True)
    from rbh.checks.history_cache import repo_history
    from rbh.project import load_project

    (clone / ".rbh" / "history-head.json").unlink()
    rebuilt = repo_history(load_project(clone))
    assert any("shallow boundary changed" in n for n in rebuilt.notices)
    full = same_as_cold(clone)
    assert full == same_as_cold(repo)


@pytest.mark.parametrize("garbage", [
    b"not json", b"[]", b'{"format": 1}',
    "tampered-sha", "tampered-name", "tampered-author", "head-file",
])
def test_a_tampered_cache_is_ignored(repo, garbage):
    cold = findings(repo, use_cache=False)
    findings(repo, use_cache=True)
    path = repo / ".rbh" / "history-cache.json"
    head_file = repo / ".rbh" / "history-head.json"
    if garbage == "head-file":  # the fold stored for HEAD: a lie in it is refused as a whole
        doc = json.loads(head_file.read_text())
        doc["renames"].append(["cart", "\x1b[31mevil", "0" * 40, "name", "x.yaml"])
        head_file.write_text(json.dumps(doc))
        assert findings(repo, use_cache=True) == cold
        return
    head_file.unlink()  # the memo itself is read
    if isinstance(garbage, bytes):
        path.write_bytes(garbage)
    else:
        doc = json.loads(path.read_text())
        row = next(r for r in doc["commits"] if r[5] is not None and r[5][0])
        if garbage == "tampered-sha":
            doc["commits"][0][0] = "../../etc/passwd"
        elif garbage == "tampered-name":
            row[5][0][0][3] = "\x1b]8;;http://evil\x07click"
        else:
            doc["commits"][0][2] = "evil\nauthor"
        path.write_text(json.dumps(doc))
    assert findings(repo, use_cache=True) == cold


def test_a_symlinked_or_committed_cache_is_ignored(repo, tmp_path):
    cold = findings(repo, use_cache=False)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("{}")
    (repo / ".rbh").mkdir(exist_ok=True)
    (repo / ".rbh" / "history-cache.json").symlink_to(elsewhere)
    assert findings(repo, use_cache=True) == cold
    assert elsewhere.read_text() == "{}"  # never written through the link
    (repo / ".rbh" / "history-cache.json").unlink()
    # a cache someone committed (with a lie in it) is not read
    findings(repo, use_cache=True)
    path = repo / ".rbh" / "history-cache.json"
    doc = json.loads(path.read_text())
    for row in doc["commits"]:
        if row[5] is not None:
            row[5] = [[], []]
    path.write_text(json.dumps(doc))
    (repo / ".rbh" / "history-head.json").write_text("{}")
    git(repo, "add", "-f", ".rbh/history-cache.json")
    assert findings(repo, use_cache=True) == cold


def test_no_cache_flag_writes_nothing(repo, rbh):
    code, out, err = rbh(["check", "--repo", str(repo), "--no-cache", "--format", "json", "--fail-on", "never"])
    assert code == 0, err
    for name in ("history-cache.json", "history-head.json", "health-cache.json"):
        assert not (repo / ".rbh" / name).exists()


# ------------------------------------------------------------------ rbh ask: stored health, stale notice
def test_ask_shows_new_health_after_a_manifest_commit_without_reindexing(tmp_path, monkeypatch):
    import rbh.checks.engine as checks_engine
    from ask_support import ask_json, index, make_shop

    root = make_shop(tmp_path / "shop")
    index(root)  # stores every runbook's findings for this commit
    assert (root / ".rbh" / "health-cache.json").exists()

    def no_inventory(project):
        raise AssertionError("rbh ask ran the checks although health was stored")

    with monkeypatch.context() as m:  # the stored findings answer: no manifest is read for health
        m.setattr(checks_engine, "load_inventory", no_inventory)
        first = ask_json(root, "search shows old prices", "--top-k", "1", "--no-alert-lookup")
    result = first["results"][0]
    assert result["path"] == "runbooks/search.md"
    assert [f["rule"] for f in result["findings"] if f["rule"] == "RBH101"] == ["RBH101"]
    assert not any("index is at commit" in n for n in first["notices"])
    # a commit that changes only a manifest: the deployment the runbook restarts now exists
    import git

    repo = git.Repo(root)
    k8s = root / "manifests" / "k8s" / "shop.yaml"
    k8s.write_text(k8s.read_text().replace("name: search\n", "name: search-indexer\n", 1))
    repo.index.add(["manifests/k8s/shop.yaml"])
    repo.index.commit("rename the search deployment")
    again = ask_json(root, "search shows old prices", "--top-k", "1", "--no-alert-lookup")
    assert again["results"][0]["path"] == "runbooks/search.md"
    assert [f for f in again["results"][0]["findings"] if f["rule"] == "RBH101"] == []
    assert not any("index is at commit" in n for n in again["notices"])  # no runbook changed
    stored = json.loads((root / ".rbh" / "health-cache.json").read_text())
    assert set(stored["findings"]) >= {"runbooks/search.md", "runbooks/redis.md"}  # all runbooks, one pass
    # a runbook commit does make the index stale
    rb = root / "runbooks" / "redis.md"
    rb.write_text(rb.read_text() + "\nMore.\n")
    repo.index.add(["runbooks/redis.md"])
    repo.index.commit("edit redis")
    third = ask_json(root, "search shows old prices", "--top-k", "1", "--no-alert-lookup")
    assert any("index is at commit" in n for n in third["notices"])


def test_review_overdue_is_evaluated_when_shown(tmp_path):
    """Stored health holds no date-dependent finding: the same store answers on another day."""
    from rbh.checks.health_cache import health
    from rbh.checks.engine import run_checks
    from rbh.project import load_project

    page = "---\ntitle: Old\nlast_reviewed: 2026-01-01\nreview_every: 30\n---\n# Old\n\nText.\n"
    commit_history(tmp_path / "r", [{"runbooks/old.md": page}])
    project = load_project(tmp_path / "r")
    run_checks(project, today=dt.date(2026, 1, 10))  # stores health; nothing overdue that day
    early = health(project, ["runbooks/old.md"], today=dt.date(2026, 1, 10))
    late = health(project, ["runbooks/old.md"], today=dt.date(2026, 3, 1))
    assert [f.rule for f in early.active] == []
    assert [f.rule for f in late.active] == ["RBH401"]
    assert [f.as_dict() for f in late.active] == [f.as_dict() for f in run_checks(
        project, paths=["runbooks/old.md"], today=dt.date(2026, 3, 1), use_cache=False).active]


# ------------------------------------------------------------------ checks that scale with the change
@pytest.mark.parametrize("edit, all_runbooks", [
    ({"runbooks/other.md": "# Other\n\nNothing here, still.\n"}, False),  # one runbook: only it is checked
    # the rule group's name is "shop", which the Kubernetes file names too: both in scope, so all
    ({"manifests/prometheus/rules.yaml": rules(("CartSlow", "http_server_requests_total"), ("CartLate", "x_total"))}, True),
    ({"manifests/k8s/cart.yaml": K8S.format(name="cart-web")}, True),  # RBH403 on it asks every runbook
])
def test_changed_since_checks_the_scope_and_reports_what_a_full_run_reports(repo, edit, all_runbooks):
    from rbh.checks import changed
    from rbh.checks.engine import run_checks
    from rbh.project import load_project

    write_files(repo, {f"runbooks/extra{i}.md": f"# Extra {i}\n\nUnrelated page {i}.\n" for i in range(5)})
    git(repo, "add", "-A")
    commit(repo, {}, "extra pages", "2026-02-01T00:00:00")
    commit(repo, edit, "the change", "2026-02-02T00:00:00")
    today = dt.date(2026, 6, 1)
    project = load_project(repo)
    full = changed.filter_result(run_checks(project, use_cache=False, today=today), changed.compute(project, "HEAD~1"))
    project = load_project(repo)
    paths, report = changed.runbooks_in_scope(project, "HEAD~1")
    result = run_checks(project, paths=paths, report=report, use_cache=False, today=today)
    checked = {rb.path for rb in result.runbooks}
    part = changed.filter_result(result, changed.compute(project, "HEAD~1"))
    assert [f.as_dict() for f in part.findings] == [f.as_dict() for f in full.findings]
    assert part.notices == full.notices
    every = set(project.runbook_paths())
    assert (checked == every) is all_runbooks
    assert checked <= every and ("runbooks/extra3.md" in checked) is all_runbooks


def test_a_users_git_config_does_not_change_the_history(repo):
    """diff.noprefix, log.showRoot, diff.orderFile ... in the user's config change what git log
    prints; the history reads pin them, so findings and the memo do not depend on them."""
    before = findings(repo, use_cache=False)
    (repo / "order.txt").write_text("runbooks/*\n")
    for key, value in (("diff.noprefix", "true"), ("log.showRoot", "false"), ("diff.orderFile", str(repo / "order.txt")),
                       ("diff.algorithm", "histogram"), ("diff.context", "0"), ("core.quotePath", "true")):
        git(repo, "config", key, value)
    assert findings(repo, use_cache=False) == before
    assert same_as_cold(repo) == before


def test_a_committed_or_tampered_health_cache_is_not_believed(tmp_path):
    from rbh.checks.engine import run_checks
    from rbh.checks.health_cache import health
    from rbh.project import load_project

    root = tmp_path / "r"
    commit_history(root, [BASE, *LATER])
    project = load_project(root)
    today = dt.date(2026, 6, 1)
    truth = [f.as_dict() for f in run_checks(project, paths=["runbooks/cart.md"], today=today, use_cache=False).active]
    assert truth
    run_checks(project, today=today)  # stores health
    path = root / ".rbh" / "health-cache.json"
    doc = json.loads(path.read_text())
    assert doc["findings"]["runbooks/cart.md"]
    doc["findings"]["runbooks/cart.md"] = []  # "no open findings"
    path.write_text(json.dumps(doc))
    git(root, "add", "-f", ".rbh/health-cache.json")
    assert [f.as_dict() for f in health(load_project(root), ["runbooks/cart.md"], today=today).active] == truth
    git(root, "rm", "-q", "--cached", ".rbh/health-cache.json")
    doc["findings"]["runbooks/cart.md"] = [{"rule": "RBH101", "name": "unknown-workload", "severity": "error",
                                            "path": "runbooks/cart.md", "line": "1", "column": 1, "message": "x",
                                            "strength": "command"}]
    path.write_text(json.dumps(doc))
    assert [f.as_dict() for f in health(load_project(root), ["runbooks/cart.md"], today=today).active] == truth


def _stored_doc(root):
    import json

    return json.loads((root / ".rbh" / "health-cache.json").read_text(encoding="utf-8"))


def _full_findings(root):
    """Every runbook's findings of a full, uncached run, as health-cache.json stores them."""
    from rbh.checks.engine import DATE_RULES, run_checks
    from rbh.checks.health_store import finding_to_json as _finding_to_json
    from rbh.project import load_project

    project = load_project(root)
    result = run_checks(project, use_cache=False)
    out = {p: [] for p in project.runbook_paths()}
    for f in result.findings:
        if f.path in out and f.rule not in DATE_RULES:
            out[f.path].append(_finding_to_json(f))
    return out


def test_stored_health_is_refreshed_incrementally_and_equals_a_full_run(tmp_path):
    """After a commit, only the runbooks the change can affect are checked again, and the stored
    findings equal a full run's, for a runbook edit and for the drift scenario's manifest renames."""
    import subprocess

    from conftest import copy_example
    from rbh.checks.health_cache import refresh
    from rbh.project import load_project

    root = copy_example(tmp_path / "example")
    assert refresh(load_project(root)) == "full"  # nothing stored yet
    assert refresh(load_project(root)) == "current"
    runbook = root / "runbooks" / "services" / "cart.md"
    runbook.write_text(runbook.read_text(encoding="utf-8") + "\nRestart with `kubectl -n storefront rollout restart deploy/cart-gone`.\n",
                       encoding="utf-8")
    subprocess.run(["git", "commit", "-qam", "edit cart"], cwd=root, check=True)
    assert refresh(load_project(root)) == "incremental"
    stored = {p: v for p, v in _stored_doc(root)["findings"].items()}
    full = _full_findings(root)
    assert stored == full
    assert [f["rule"] for f in stored["runbooks/services/cart.md"]] == ["RBH101"]

    import drift

    drift.apply_drift(root)  # commits: deployment checkout renamed, an alert retired
    assert refresh(load_project(root)) == "incremental"
    assert _stored_doc(root)["findings"] == _full_findings(root)
    assert any(f["rule"] == "RBH101" for f in _stored_doc(root)["findings"]["runbooks/services/checkout.md"])
