"""Alert-aware lookup: an alert name, the alert's rendered text and an Alertmanager payload each
resolve to the right runbook and section (rank 1), through the manifests' runbook_url or front matter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ask_support import ask_json, cli, indexed_shop, payload


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    return indexed_shop(tmp_path_factory, "ask-alerts")


def top(answer: dict) -> tuple[str, str, str]:
    r = answer["results"][0]
    return r["path"], r["anchor"], r["via"]


def test_alert_name_resolves_to_runbook_url_section(shop):
    answer = ask_json(shop, "CheckoutHighLatency")
    assert top(answer) == ("runbooks/checkout.md", "alert-checkouthighlatency", "alert")
    first = answer["results"][0]
    assert first["alert"] == {"alert": "CheckoutHighLatency", "path": "runbooks/checkout.md", "anchor": "alert-checkouthighlatency",
                              "via": "runbook_url", "matched_on": "name", "source": "manifests/prometheus/rules.yaml:10",
                              "url": "https://runbooks.example.test/checkout/#alert-checkouthighlatency"}
    assert first["line"] == 19
    assert first["text"].startswith("## Alert: CheckoutHighLatency\n")
    assert "kubectl -n shop top pod -l app=checkout --containers" in first["text"]


@pytest.mark.parametrize("query", [
    "checkouthighlatency",
    "[FIRING:2] CheckoutHighLatency (shop critical)",
    "alertname=CheckoutHighLatency",
    "what do I do about CheckoutHighLatency in prod?",
    "checkout high latency",
])
def test_alert_name_variants(shop, query):
    assert top(ask_json(shop, query)) == ("runbooks/checkout.md", "alert-checkouthighlatency", "alert")


def test_rendered_summary_and_description_resolve(shop):
    summary = ask_json(shop, "Checkout p99 latency is 2.31s")
    assert top(summary) == ("runbooks/checkout.md", "alert-checkouthighlatency", "alert")
    assert summary["results"][0]["alert"]["matched_on"] == "summary"
    desc = ask_json(shop, "p99 latency of checkout in namespace shop has been above 1.5s for 10 minutes.")
    assert top(desc) == ("runbooks/checkout.md", "alert-checkouthighlatency", "alert")
    assert desc["results"][0]["alert"]["matched_on"] == "description"
    pg = ask_json(shop, "PostgreSQL 10.0.3.7:5432 uses 93.1% of max_connections")
    assert top(pg) == ("runbooks/postgres.md", "too-many-connections", "alert")


def test_front_matter_alert_without_runbook_url(shop):
    answer = ask_json(shop, "RedisEvictions")
    r = answer["results"][0]
    assert (r["path"], r["via"], r["alert"]["via"]) == ("runbooks/redis.md", "alert", "front-matter")
    # the rule has no runbook_url: the page is the answer, cited from its top; none of its sections is
    # one to act on, so the one that matches the alert best is shown in full (not cut to 3 lines)
    assert (r["anchor"], r["line"]) == ("", 9)
    assert [(s["heading"], s["action"]) for s in r["procedure"]] == [("Redis", False), ("Evictions and memory pressure", True)]


def test_free_text_fills_after_alert_hit_without_repeating_the_runbook(shop):
    answer = ask_json(shop, "CheckoutHighLatency", "--top-k", "3")
    paths = [r["path"] for r in answer["results"]]
    assert paths[0] == "runbooks/checkout.md"
    assert len(paths) == 3 and len(set(paths)) == 3
    assert [r["via"] for r in answer["results"]] == ["alert", "retrieval", "retrieval"]


def test_alertmanager_payload_file(shop, tmp_path):
    f = tmp_path / "payload.json"
    f.write_text(payload(
        {"labels": {"alertname": "PostgresTooManyConnections", "instance": "10.0.3.7:5432", "severity": "warning"},
         "annotations": {"summary": "PostgreSQL 10.0.3.7:5432 uses 93% of max_connections"}},
    ))
    answer = ask_json(shop, "--alert-json", str(f))
    assert top(answer) == ("runbooks/postgres.md", "too-many-connections", "alert")
    assert answer["results"][0]["alert"]["matched_on"] == "payload"


def test_alertmanager_payload_runbook_url_and_stdin(shop):
    body = payload(
        {"labels": {"alertname": "SomethingRenamed"},
         "annotations": {"runbook_url": "https://runbooks.example.test/redis/#evictions-and-memory-pressure"}},
        {"labels": {"alertname": "CheckoutHighLatency"}, "annotations": {}},
    )
    answer = ask_json(shop, "--alert-json", "-", input=body)
    got = [(r["path"], r["anchor"], r["alert"]["via"]) for r in answer["results"][:2]]
    assert got == [("runbooks/redis.md", "evictions-and-memory-pressure", "payload-runbook_url"),
                   ("runbooks/checkout.md", "alert-checkouthighlatency", "runbook_url")]


def test_payload_of_unknown_alert_falls_back_to_its_text(shop):
    body = payload({"labels": {"alertname": "PgDiskAlmostFull"},
                    "annotations": {"description": "The data volume of the postgres primary is filling up with WAL files"}})
    answer = ask_json(shop, "--alert-json", "-", input=body)
    r = answer["results"][0]
    assert (r["path"], r["anchor"], r["via"]) == ("runbooks/postgres.md", "disk-almost-full", "retrieval")


def test_bad_payload_is_a_usage_error(shop):
    code, out, err = cli(["ask", "--repo", str(shop), "--alert-json", "-"], input="{not json")
    assert code == 2
    assert err.strip() == "rbh: error: --alert-json: not valid JSON (line 1: Expecting property name enclosed in double quotes)"
    code, out, err = cli(["ask", "--repo", str(shop), "--alert-json", "-"], input=json.dumps({"foo": 1}))
    assert code == 2 and "no alerts found" in err


def test_no_alert_lookup_uses_retrieval_only(shop):
    answer = ask_json(shop, "CheckoutHighLatency", "--no-alert-lookup")
    assert answer["alert_matches"] == []
    assert answer["results"][0]["via"] == "retrieval"
    assert answer["results"][0]["path"] == "runbooks/checkout.md"


def test_template_patterns():
    from rbh.indexer.alerts import normalize_text, template_pattern

    regex, literal, longest = template_pattern("Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has not matched the expected number of replicas.")
    assert regex.fullmatch(normalize_text("Deployment orders/orders-api has not matched the expected   number of replicas"))
    assert regex.fullmatch(normalize_text("Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has not matched the expected number of replicas."))
    assert not regex.fullmatch(normalize_text("Deployment orders/orders-api has matched the expected number of replicas"))
    assert longest == "has not matched the expected number of replicas"
    assert template_pattern("{{ $labels.message }}") is None  # matches everything: never used
    assert template_pattern("{{ $labels.job }} is down") is None  # too little literal text to be specific


def test_huge_pasted_text_is_answered_quickly(shop):
    import time

    log = ("2026-11-26T02:00:00Z checkout p99 latency of checkout in namespace shop has been above " * 2000)[:200_000]
    started = time.monotonic()
    answer = ask_json(shop, log, "--top-k", "1")
    assert time.monotonic() - started < 30
    assert answer["no_match"] or answer["results"][0]["path"] == "runbooks/checkout.md"
