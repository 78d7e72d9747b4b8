"""`rbh eval`: recall@k and MRR@10 at runbook level, per query_kind and overall, on a real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ask_support import cli, indexed_shop
from rbh.indexer.evaluate import EvalQuery, Scores, evaluate, load_queries
from rbh.errors import ConfigError


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    return indexed_shop(tmp_path_factory, "ask-eval")


def write_queries(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


QUERIES = [
    {"id": "q1", "query": "CheckoutHighLatency", "expected": ["checkout.md"], "query_kind": "alert_name"},
    {"id": "q2", "query": "PostgreSQL 10.0.3.7:5432 uses 95% of max_connections", "expected": ["postgres.md"], "query_kind": "summary"},
    {"id": "q3", "query": "carts disappear, redis maxmemory reached", "expected": ["redis.md"], "query_kind": "free"},
    {"id": "q4", "query": "search shows old prices", "expected": ["search.md", "checkout.md"], "query_kind": "free"},
    {"id": "q5", "query": "how do I bake sourdough bread", "expected": ["nothing-like-this.md"], "query_kind": "free"},
]


def test_eval_json(shop, tmp_path):
    qf = write_queries(tmp_path / "q.jsonl", QUERIES)
    code, out, err = cli(["eval", str(qf), "--repo", str(shop), "--runbooks-root", "runbooks", "--json"])
    assert code == 0, err
    report = json.loads(out)
    assert report["overall"] == {"n": 5, "recall@1": 0.8, "recall@3": 0.8, "recall@5": 0.8, "mrr@10": 0.8}
    assert report["by_kind"] == {
        "alert_name": {"n": 1, "recall@1": 1.0, "recall@3": 1.0, "recall@5": 1.0, "mrr@10": 1.0},
        "free": {"n": 3, "recall@1": 0.6667, "recall@3": 0.6667, "recall@5": 0.6667, "mrr@10": 0.6667},
        "summary": {"n": 1, "recall@1": 1.0, "recall@3": 1.0, "recall@5": 1.0, "mrr@10": 1.0},
    }
    assert [m["id"] for m in report["misses"]] == ["q5"]
    assert report["misses"][0]["rank"] is None and report["misses"][0]["expected"] == ["runbooks/nothing-like-this.md"]
    assert "1 expected path(s) are not indexed runbooks (e.g. runbooks/nothing-like-this.md)" in err


def test_eval_table_kinds_and_no_alert_lookup(shop, tmp_path):
    qf = write_queries(tmp_path / "q.jsonl", QUERIES)
    code, out, err = cli(["eval", str(qf), "--repo", str(shop), "--runbooks-root", "runbooks", "--kinds", "summary,free"])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["query_kind", "n", "recall@1", "recall@3", "recall@5", "mrr@10"]
    assert lines[1].split() == ["free", "3", "0.667", "0.667", "0.667", "0.667"]
    assert lines[2].split() == ["summary", "1", "1.000", "1.000", "1.000", "1.000"]
    assert lines[3].split() == ["overall", "4", "0.750", "0.750", "0.750", "0.750"]
    assert lines[-1] == "1 query not answered at rank 1 (--json lists them)"
    code, out, err = cli(["eval", str(qf), "--repo", str(shop), "--runbooks-root", "runbooks", "--json", "--no-alert-lookup", "--kinds", "alert_name"])
    report = json.loads(out)
    assert report["overall"]["n"] == 1 and report["overall"]["recall@1"] == 1.0  # the name is in the runbook text too


def test_eval_with_manifests_folder_outside_the_repository(shop, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "extra.yaml").write_text(
        "groups:\n  - name: x\n    rules:\n      - alert: CartsVanishing\n        expr: up == 0\n"
        "        annotations:\n          runbook_url: https://runbooks.example.test/redis/\n", encoding="utf-8")
    qf = write_queries(tmp_path / "q.jsonl", [{"query": "CartsVanishing", "expected": ["runbooks/redis.md"]}])
    code, out, err = cli(["eval", str(qf), "--repo", str(shop), "--manifests", str(rules), "--json"])
    assert json.loads(out)["overall"]["recall@1"] == 1.0
    code, out, err = cli(["eval", str(qf), "--repo", str(shop), "--json"])  # the repository's rules do not know it
    assert json.loads(out)["by_kind"]["query"]["n"] == 1


def test_bad_query_files(tmp_path):
    (tmp_path / "q.jsonl").write_text('{"query": "a", "expected": ["x"]}\n{oops\n')
    with pytest.raises(ConfigError, match=r"q.jsonl:2: not valid JSON"):
        load_queries(tmp_path / "q.jsonl")
    (tmp_path / "q2.jsonl").write_text('{"query": "a", "expected": []}\n')
    with pytest.raises(ConfigError, match=r"q2.jsonl:1: 'expected' must be a non-empty list"):
        load_queries(tmp_path / "q2.jsonl")
    (tmp_path / "q3.jsonl").write_text('{"query": "a", "expected": "x.md", "query_kind": "k"}\n')
    assert load_queries(tmp_path / "q3.jsonl") == [EvalQuery("line-1", "a", ("x.md",), "k")]
    with pytest.raises(ConfigError, match=r"no queries of kind other"):
        load_queries(tmp_path / "q3.jsonl", ["other"])


def test_metrics_arithmetic():
    queries = [EvalQuery(str(i), q, (exp,), "k") for i, (q, exp) in enumerate([("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")])]
    ranked = {"a": ["A", "X"], "b": ["X", "B"], "c": ["X", "Y", "Z", "W", "C"], "d": ["X"] * 3 + [f"P{i}" for i in range(20)]}
    report = evaluate(queries, lambda q: ranked[q])
    assert report.overall.as_dict() == {"n": 4, "recall@1": 0.25, "recall@3": 0.5, "recall@5": 0.75,
                                        "mrr@10": round((1 + 0.5 + 0.2) / 4, 4)}
    s = Scores()
    s.add(11)
    assert s.as_dict()["mrr@10"] == 0.0


def test_eval_reports_each_set(shop, tmp_path):
    """Several query files over one index: one table per set, named by the set's folder."""
    a = write_queries((tmp_path / "alerts").mkdir() or tmp_path / "alerts" / "queries.jsonl", QUERIES[:2])
    b = write_queries(tmp_path / "human.jsonl", QUERIES[2:4])
    code, out, err = cli(["eval", str(a), str(b), "--repo", str(shop), "--runbooks-root", "runbooks"])
    assert code == 0, err
    assert out.startswith("set alerts\n") and "\nset human\n" in out
    code, out, err = cli(["eval", str(a), str(b), "--repo", str(shop), "--runbooks-root", "runbooks", "--json"])
    sets = json.loads(out)["sets"]
    assert sets["alerts"]["overall"]["n"] == 2 and sets["human"]["overall"]["n"] == 2
