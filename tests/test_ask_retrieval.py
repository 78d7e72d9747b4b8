"""Hybrid retrieval through `rbh ask`: ranks, grouping per runbook, filters, "no runbook matches",
the JSON contract, and the terminal rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from ask_support import ask_json, cli, indexed_shop, make_shop


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    return indexed_shop(tmp_path_factory, "ask-retrieval")


def paths(answer: dict) -> list[str]:
    return [r["path"] for r in answer["results"]]


@pytest.mark.parametrize("query, path, anchor", [
    ("new connections fail with too many clients", "runbooks/postgres.md", "too-many-connections"),
    ("WAL files fill the database volume", "runbooks/postgres.md", "disk-almost-full"),
    ("carts disappear, redis maxmemory reached", "runbooks/redis.md", "evictions-and-memory-pressure"),
    ("search shows old prices", "runbooks/search.md", "stale-search-results"),
    ("place order button spinning", "runbooks/checkout.md", "symptoms"),
])
def test_free_text_top_result(shop, query, path, anchor):
    answer = ask_json(shop, query, "--no-alert-lookup")
    first = answer["results"][0]
    assert (first["path"], first["anchor"], first["via"]) == (path, anchor, "retrieval")


def test_json_contract(shop):
    answer = ask_json(shop, "too many clients", "--top-k", "2")
    assert set(answer) == {"query", "no_match", "results", "alert_matches", "llm", "notices", "index"}
    r = answer["results"][0]
    for key in ("path", "heading", "anchor", "line", "score", "commit", "text"):
        assert key in r
    assert r["heading"] == "Too many connections"
    assert r["line"] == 14 and r["end_line"] == 20
    assert len(r["commit"]) == 40 and r["commit_short"] == r["commit"][:8]
    assert r["citation"] == f"runbooks/postgres.md:14#too-many-connections @ {r['commit'][:8]}"
    assert r["url"] == "https://runbooks.example.test/postgres/#too-many-connections"
    assert r["team"] == "data-team" and r["service"] == ["postgresql"] and r["tags"] == ["database"]
    assert '-c "select usename, count(*) from pg_stat_activity group by 1"' in r["text"]
    assert answer["index"]["commit"] == r["commit"]
    assert answer["no_match"] is False


def test_one_runbook_does_not_fill_every_slot(shop):
    one = ask_json(shop, "postgres database connections disk", "--top-k", "3", "--no-alert-lookup")
    assert len(paths(one)) == 3 and len(set(paths(one))) == 3
    two = ask_json(shop, "postgres database connections disk", "--top-k", "3", "--per-runbook", "2", "--no-alert-lookup")
    assert paths(two)[:2] == ["runbooks/postgres.md", "runbooks/postgres.md"]
    assert {r["anchor"] for r in two["results"][:2]} == {"too-many-connections", "disk-almost-full"}


def test_filters(shop):
    by_service = ask_json(shop, "restart the deployment", "--service", "search", "--top-k", "5")
    assert set(paths(by_service)) == {"runbooks/search.md"}  # its other sections fill the slots left
    by_team = ask_json(shop, "memory", "--team", "data-team", "--top-k", "5")
    assert set(paths(by_team)) == {"runbooks/redis.md", "runbooks/postgres.md"}
    by_owner = ask_json(shop, "latency", "--team", "group:checkout-team")
    assert set(paths(by_owner)) == {"runbooks/checkout.md"}
    by_tag = ask_json(shop, "restart", "--tag", "cache,search", "--top-k", "5")
    assert set(paths(by_tag)) == {"runbooks/redis.md", "runbooks/search.md"}
    both = ask_json(shop, "restart", "--service", "search", "--team", "data-team")
    assert both["results"] == [] and both["no_match"] is True
    assert both["notices"] == ["no indexed runbook has service 'search' and team or owner 'data-team': "
                               "the filter left nothing to search"]


def test_a_filter_that_matches_no_runbook_says_so(shop):
    """A typo in --tag must not read as "no runbook is about this"."""
    code, out, err = cli(["ask", "--repo", str(shop), "restart the cache", "--tag", "nope"])
    assert code == 0 and out.startswith("No runbook matches this question.")
    assert "no indexed runbook has tag 'nope': the filter left nothing to search" in err
    matching = ask_json(shop, "how do I bake sourdough bread", "--tag", "cache")
    assert matching["no_match"] is True and matching["notices"] == []  # the filter matched: no notice


def test_filters_apply_to_alert_hits(shop):
    answer = ask_json(shop, "CheckoutHighLatency", "--team", "data-team")
    assert "runbooks/checkout.md" not in paths(answer)


def test_no_runbook_matches(shop):
    code, out, err = cli(["ask", "--repo", str(shop), "how do I bake sourdough bread"])
    assert code == 0
    assert out.startswith("No runbook matches this question. (best section relevance ")
    answer = ask_json(shop, "how do I bake sourdough bread")
    assert answer["no_match"] is True and answer["results"] == []


def test_terminal_output_plain_when_not_a_tty(shop):
    code, out, err = cli(["ask", "--repo", str(shop), "too many clients", "--top-k", "1"])
    assert code == 0
    assert "\x1b[" not in out
    lines = out.splitlines()
    assert lines[0] == "[1] PostgreSQL > Too many connections"
    assert lines[1].startswith("    runbooks/postgres.md:14#too-many-connections @ ")
    assert lines[2] == "    https://runbooks.example.test/postgres/#too-many-connections"
    assert lines[3].startswith("    owner data-team | changed 2026-01-01 by Test Author | reviewed 2026-06-01")
    assert "    ```bash" in lines


def test_usage_errors(shop, tmp_path):
    code, out, err = cli(["ask", "--repo", str(shop)])
    assert code == 2 and "give a QUESTION or --alert-json FILE" in err
    empty = tmp_path / "empty"
    make_shop(empty)
    code, out, err = cli(["ask", "--repo", str(empty), "anything"])
    assert code == 2
    assert err.startswith("rbh: error: no index at ") and err.rstrip().endswith("yet: run 'rbh index' first")


def test_one_file_of_many_sections_fills_every_slot_with_its_sections(tmp_path):
    """A repository whose runbook is one page with a section per alert (Thanos', Cortex's playbooks)
    answered with one result: each runbook shows `per_runbook` sections, and there was one runbook.
    When the runbooks run out, the next best sections fill the slots."""
    from checks_support import commit_history
    from ask_support import index

    page = "# Playbooks\n\n" + "".join(
        f"## {name}\n\nHow to handle {what}: check the {what} dashboard, then the {what} logs.\n\n"
        for name, what in [("IngesterUnhealthy", "ingester ring"), ("QuerierSlow", "querier latency"),
                           ("CompactorFailing", "compactor runs"), ("StoreGatewayDown", "store gateway"),
                           ("RulerMissedEvaluations", "ruler evaluations"), ("DistributorErrors", "distributor errors")])
    slow = "How to handle querier latency: check the querier latency dashboard, then the querier latency logs.\n\n"
    page = page.replace(slow, slow + "### By route\n\nCompare the routes of the querier.\n\n", 1)
    root = tmp_path / "playbooks"
    commit_history(root, [{"docs/playbooks.md": page, "rbh.yaml": "runbooks: {include: ['docs/*.md']}\n"}])
    index(root)
    answer = ask_json(root, "querier latency is high", "--no-alert-lookup")
    got = [(r["path"], r["anchor"]) for r in answer["results"]]
    assert len(got) == 5 and len(set(got)) == 5 and {p for p, _ in got} == {"docs/playbooks.md"}
    assert got[0] == ("docs/playbooks.md", "querierslow")
    # the answer shows QuerierSlow with its subsection: other sections fill the slots, not that one
    assert ("docs/playbooks.md", "by-route") not in got
    two = ask_json(root, "querier latency is high", "--no-alert-lookup", "--top-k", "2")
    assert [r["anchor"] for r in two["results"]][0] == "querierslow" and len(two["results"]) == 2
