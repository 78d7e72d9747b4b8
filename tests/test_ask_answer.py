"""The answer around each section: health (open findings), freshness, citations and site URLs, and
graceful degradation when the checks or the index are out of step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ask_support import ask_json, cli, index, indexed_shop, make_shop
from rbh.indexer.answer import freshness_of, site_url_for


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    return indexed_shop(tmp_path_factory, "ask-answer")


def test_open_findings_are_shown_with_the_section(shop):
    answer = ask_json(shop, "search shows old prices", "--top-k", "1")
    r = answer["results"][0]
    assert r["path"] == "runbooks/search.md"
    rbh101 = [f for f in r["findings"] if f["rule"] == "RBH101"]
    assert rbh101 == [{"rule": "RBH101", "name": "unknown-workload", "severity": "error", "line": 17,
                       "message": "deployment `search-indexer` not found in namespace `shop` or any other",
                       "suggestion": "search", "suggestion_source": None}]
    code, out, err = cli(["ask", "--repo", str(shop), "search shows old prices", "--top-k", "1"])
    assert code == 0
    assert "open finding(s): this runbook may be out of date" in out
    assert ("      error   RBH101 line 17 (in this section): deployment `search-indexer` not found in namespace `shop`"
            " or any other  (did you mean `search`)") in out


def test_healthy_runbook_has_no_workload_findings(shop):
    r = ask_json(shop, "too many clients", "--top-k", "1")["results"][0]
    assert r["path"] == "runbooks/postgres.md"
    assert not [f for f in r["findings"] if f["rule"].startswith("RBH1")]


def test_freshness_and_owner(shop):
    r = ask_json(shop, "CheckoutHighLatency", "--top-k", "1")["results"][0]
    f = r["freshness"]
    assert f["last_reviewed"] == "2026-01-10" and f["review_every_days"] == 90 and f["review_due"] == "2026-04-10"
    assert f["overdue"] is True and f["overdue_days"] == (dt.date.today() - dt.date(2026, 4, 10)).days
    assert f["last_change"].startswith("2026-01-01T12:00:00") and f["author"] == "Test Author"
    assert r["owner"] == "group:checkout-team"
    code, out, err = cli(["ask", "--repo", str(shop), "CheckoutHighLatency", "--top-k", "1"])
    assert "reviewed 2026-01-10 REVIEW OVERDUE by " in out and "(due 2026-04-10)" in out


def test_no_health_flag(shop):
    r = ask_json(shop, "search shows old prices", "--no-health", "--top-k", "1")["results"][0]
    assert r["findings"] == []


def test_health_degrades_when_checks_fail(shop, monkeypatch):
    import rbh.checks.engine as checks_engine

    def boom(*a, **k):
        raise RuntimeError("rule engine exploded")

    monkeypatch.setattr(checks_engine, "run_checks", boom)
    answer = ask_json(shop, "search shows old prices", "--top-k", "1", "--no-cache")
    assert answer["results"][0]["path"] == "runbooks/search.md"
    assert answer["results"][0]["findings"] is None
    assert answer["notices"] == ["health unavailable: RuntimeError: rule engine exploded"]
    code, out, err = cli(["ask", "--repo", str(shop), "search shows old prices", "--top-k", "1", "--no-cache"])
    assert code == 0 and "    health: unknown" in out
    assert "rbh: notice: health unavailable: RuntimeError: rule engine exploded" in err


def test_stale_index_notice(tmp_path):
    root = make_shop(tmp_path / "shop")
    index(root)
    import git

    repo = git.Repo(root)
    (root / "runbooks" / "redis.md").write_text((root / "runbooks" / "redis.md").read_text() + "\nMore.\n")
    repo.index.add(["runbooks/redis.md"])
    repo.index.commit("edit redis")
    answer = ask_json(root, "redis evictions")
    old = answer["index"]["commit"][:8]
    assert f"the index is at commit {old}, the repository at {repo.head.commit.hexsha[:8]}: run 'rbh index' for the latest runbooks" in answer["notices"]


def test_freshness_of_dates():
    meta = {"last_reviewed": "2026-03-01", "review_every": 30, "commit_date": "2026-02-01T00:00:00+00:00", "author": "A"}
    assert freshness_of(meta, dt.date(2026, 3, 20)).overdue is False
    late = freshness_of(meta, dt.date(2026, 4, 5))
    assert (late.overdue, late.overdue_days, late.review_due) == (True, 5, "2026-03-31")
    assert freshness_of({"review_every": 30}, dt.date(2026, 4, 5)).overdue is False


def test_site_urls(tmp_path):
    (tmp_path / "mkdocs.yml").write_text("site_name: x\ndocs_dir: runbooks\n")
    (tmp_path / "runbooks").mkdir()
    site = "https://runbooks.example.test/"
    assert site_url_for("runbooks/data/redis.md", "evictions", site, tmp_path) == "https://runbooks.example.test/data/redis/#evictions"
    assert site_url_for("runbooks/index.md", None, site, tmp_path) == "https://runbooks.example.test/"
    assert site_url_for("runbooks/data/index.md", "x", site, tmp_path) == "https://runbooks.example.test/data/#x"
    assert site_url_for("docs/other.md", None, site, tmp_path) is None
    assert site_url_for("runbooks/data/redis.md", None, None, tmp_path) is None
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "mkdocs.yml").write_text("site_name: x\nuse_directory_urls: false\n")
    (flat / "docs").mkdir()
    assert site_url_for("docs/a/b.md", "h", "https://s.test", flat) == "https://s.test/a/b.html#h"


def test_cache_follows_the_repository_state(tmp_path):
    """Findings come from .rbh/health-cache.json while nothing changed, and are recomputed after an edit."""
    import json

    root = make_shop(tmp_path / "shop")
    index(root)
    first = ask_json(root, "search shows old prices", "--top-k", "1")["results"][0]
    assert [f["rule"] for f in first["findings"] if f["rule"] == "RBH101"] == ["RBH101"]
    cache = json.loads((root / ".rbh" / "ask-cache.json").read_text())
    health = json.loads((root / ".rbh" / "health-cache.json").read_text())
    assert "runbooks/search.md" in health["findings"] and cache["catalog"]["alerts"]
    # the manifests now define the deployment the runbook restarts: the next answer must not say it is missing
    k8s = root / "manifests" / "k8s" / "shop.yaml"
    k8s.write_text(k8s.read_text().replace("name: search\n", "name: search-indexer\n", 1))
    again = ask_json(root, "search shows old prices", "--top-k", "1")["results"][0]
    assert [f for f in again["findings"] if f["rule"] == "RBH101"] == []


def test_the_same_stale_name_on_many_lines_is_one_line_with_the_section_first():
    from rbh.indexer.render import _grouped_findings

    f = lambda line, msg="deployment `checkout` not found", sev="error", rule="RBH101", sugg="checkout-api": {  # noqa: E731
        "severity": sev, "rule": rule, "message": msg, "suggestion": sugg, "line": line}
    rows = _grouped_findings([f(90), f(62), f(86), f(5, "owner unknown", "warning", "RBH402", None)], 80, 95)
    assert rows == [
        ("error", "RBH101", "deployment `checkout` not found", "checkout-api", "lines 62, 86, 90 (in this section)"),
        ("warning", "RBH402", "owner unknown", None, "line 5"),
    ]


def test_action_and_context_headings_match_words_not_substrings():
    """Vocabulary is matched per word with its inflections: "check" is not "Checkout", "action" is
    not "Transaction", "respond" is not inside an alert name; "Verification" and "Checking the
    logs" are still sections to act on."""
    from rbh.indexer.answer import is_action_heading, is_context_heading

    for heading in ("Diagnosis", "Diagnostics", "Mitigation", "Mitigating the outage", "Troubleshooting steps",
                    "Checks", "Checking the logs", "Check for long-running queries", "Verification", "Debugging",
                    "Resolve", "Recovery", "Remediation", "What to do", "How to fix", "Instructions", "Step 1"):
        assert is_action_heading(heading), heading
    for heading in ("Checkout", "Alert: CheckoutHighErrorRate", "For High Transaction Volume", "CephOSDDiskNotResponding",
                    "Meaning", "Impact", "Prefix lists", "Stepwise regression"):
        assert not is_action_heading(heading), heading
    assert is_context_heading("Related alerts") and is_context_heading("PromQL queries") and is_context_heading("Notes")
    assert not is_context_heading("Linkerd proxy") and not is_context_heading("Notebook server")
    assert not is_context_heading("Correlated alerts")

