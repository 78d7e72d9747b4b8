"""The same question gives the same answer from the same commit, however often the index is rebuilt.

Near-duplicate alerts (a Warning and a Critical runbook with the same sections) and one-alert-per-file
runbooks whose sections are equally long tie exactly in the lexical ranking. Qdrant breaks such
ties by its internal point order, and Qdrant Edge numbers the points of a multi-point upsert in a
per-process random order: before, ``rbh index --full`` of the same commit changed which runbook or
section an answer cited (on cnpg's runbooks about one build in three, on this repository almost
every build). Ties are now broken by path and chunk position (``indexer.store.model.record_order``,
``fuse_rrf``, ``indexer.query.hit_order``), whatever order the points are in.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks_support import commit_history
from conftest import run_rbh_subprocess

RBH_YAML = """\
check:
  runbook_urls:
    prefixes:
      "https://runbooks.example.test/": "runbooks/"
"""

# Every section body has the same number of index terms and none of the alert names' words, so for
# an alert-name question every section of a runbook has the same lexical score (its title terms).
SECTIONS = {
    "Meaning": "Consumers stopped draining messages from the broker partition shard owned by this service.",
    "Impact": "Customers wait longer for receipts because downstream billing jobs start late.",
    "Diagnosis": "Inspect consumer group offsets with the broker console and compare partition leaders.",
    "Mitigation": "Scale the consumer deployment up and restart stuck pods after checking their container logs.",
}


def runbook(alert: str) -> str:
    body = "\n\n".join(f"## {heading}\n\n{text}" for heading, text in SECTIONS.items())
    return f"# {alert}\n\n{body}\n"


ALERTS = ["OrdersQueueBacklogWarning", "OrdersQueueBacklogCritical", "PaymentsQueueBacklogWarning",
          "PaymentsQueueBacklogCritical", "LedgerQueueBacklogWarning", "LedgerQueueBacklogCritical"]


def rules() -> str:
    lines = ["groups:", "  - name: queues", "    rules:"]
    for alert in ALERTS:
        lines += [f"      - alert: {alert}", "        expr: vector(1)", "        annotations:",
                  f"          summary: {alert} fired",
                  f"          runbook_url: https://runbooks.example.test/alerts/{alert}/"]
    return "\n".join(lines) + "\n"


QUESTIONS = [*ALERTS[:4],
             "consumers stopped draining messages from the broker partition",
             "customers wait longer for receipts",
             "how do I compare partition leaders in the broker console",
             "scale the consumer deployment and restart stuck pods"]
# asked after each rebuild (one process per question): on main each of these had a different ranked
# answer in 5 or 6 of 6 rebuilds, the alert lookups citing Meaning, Impact or Mitigation by turns
REBUILD_QUESTIONS = [ALERTS[0], ALERTS[3], QUESTIONS[4], QUESTIONS[5]]


def make_queues(root: Path) -> Path:
    files = {"rbh.yaml": RBH_YAML, "manifests/prometheus/queues.yaml": rules(),
             **{f"runbooks/alerts/{a}.md": runbook(a) for a in ALERTS}}
    commit_history(root, [files])
    return root


def ranked(root: Path, question: str, seed: str) -> list[tuple[str, str]]:
    proc = run_rbh_subprocess(["ask", "--repo", str(root), "--json", question], env={"PYTHONHASHSEED": seed})
    assert proc.returncode == 0, proc.stderr
    return [(r["path"], r["anchor"]) for r in json.loads(proc.stdout)["results"]]


def test_rebuilds_under_different_hash_seeds_give_the_same_ranked_answers(tmp_path):
    root = make_queues(tmp_path / "queues")
    answers = {}
    for seed in ("1", "2", "3"):
        proc = run_rbh_subprocess(["index", "--repo", str(root), "--full", "-q"], env={"PYTHONHASHSEED": seed})
        assert proc.returncode == 0, proc.stderr
        answers[seed] = {q: ranked(root, q, seed) for q in REBUILD_QUESTIONS}
    first = answers["1"]
    assert all(len(first[q]) == 5 for q in REBUILD_QUESTIONS)
    # an alert without an anchor in its runbook_url points at its page: a section of that page comes first
    assert [first[a][0][0] for a in REBUILD_QUESTIONS[:2]] == [f"runbooks/alerts/{a}.md" for a in REBUILD_QUESTIONS[:2]]
    for seed, got in answers.items():
        changed = {q: (first[q], got[q]) for q in REBUILD_QUESTIONS if got[q] != first[q]}
        assert not changed, f"the build with PYTHONHASHSEED={seed} answered differently from the first: {changed}"


# ---------------------------------------------------------------------------------------------------
# The tie-break order, unit by unit, and both store adapters


def _record(path: str, chunk: int, score: float):
    from rbh.indexer.store.model import Record

    return Record(id=f"{path}#{chunk}", payload={"meta": {"path": path, "chunk_index": chunk}}, score=score)


def test_fused_ties_go_by_path_then_chunk_whatever_order_they_came_in():
    from rbh.indexer.store.model import fuse_rrf, record_order, rrf_score

    tie = rrf_score(0, 1.0, 20) + rrf_score(1, 1.0, 20)
    for dense, sparse in (([("c.md", 1), ("c.md", 0), ("b.md", 4)], [("c.md", 0), ("c.md", 1)]),
                          ([("c.md", 0), ("c.md", 1), ("b.md", 4)], [("c.md", 1), ("c.md", 0)])):
        fused = fuse_rrf([[_record(p, c, 1.0) for p, c in dense], [_record(p, c, 1.0) for p, c in sparse]], [1.0, 1.0], 20, 10)
        assert [(r.id, r.score) for r in fused] == [("c.md#0", tie), ("c.md#1", tie), ("b.md#4", rrf_score(2, 1.0, 20))]
    # a ranking's own ties (equal engine scores) go by path, then chunk
    tied = [_record("c.md", 2, 1.0), _record("c.md", 1, 1.0), _record("b.md", 5, 1.0), _record("d.md", 0, 2.0)]
    assert [r.id for r in sorted(tied, key=record_order)] == ["d.md#0", "b.md#5", "c.md#1", "c.md#2"]


def test_weighted_fusion_is_qdrants_formula():
    from rbh.indexer.store.model import fuse_rrf

    # Qdrant Edge's own answer for rankings [4, 3, 2, 1, 0] and [0, 1, 2, 3, 4], weights 1.5 and 1, k 20
    first = [_record("p.md", n, 5.0 - n) for n in (4, 3, 2, 1, 0)]
    second = [_record("p.md", n, 5.0 - n) for n in (0, 1, 2, 3, 4)]
    fused = fuse_rrf([first, second], [1.5, 1.0], 20, 5)
    assert [(r.payload["meta"]["chunk_index"], round(r.score, 6)) for r in fused] == [
        (0, 0.094776), (1, 0.093773), (2, 0.093074), (3, 0.092659), (4, 0.092514)]


def test_every_ranking_of_hits_breaks_ties_by_path_then_chunk():
    from rbh.indexer.query import Hit, group_by_runbook, hit_order, merge_scores

    def hit(path: str, chunk: int, score: float) -> Hit:
        return Hit(f"{path}#{chunk}", "", {"path": path, "chunk_index": chunk, "line": 1 + 10 * chunk}, score)

    shuffled = [hit("runbooks/z.md", 1, 0.5), hit("runbooks/a.md", 3, 0.5), hit("runbooks/a.md", 2, 0.5), hit("runbooks/m.md", 0, 0.9)]
    assert [h.id for h in sorted(shuffled, key=hit_order)] == [
        "runbooks/m.md#0", "runbooks/a.md#2", "runbooks/a.md#3", "runbooks/z.md#1"]
    for order in (shuffled, shuffled[::-1]):
        assert [h.id for h in group_by_runbook(list(order), 3, 1)] == ["runbooks/m.md#0", "runbooks/a.md#2", "runbooks/z.md#1"]
        # more slots than runbooks: the next best section fills one
        assert [h.id for h in group_by_runbook(list(order), 5, 1)] == [
            "runbooks/m.md#0", "runbooks/a.md#2", "runbooks/z.md#1", "runbooks/a.md#3"]
        assert [h.id for h in group_by_runbook(list(order), 3, 1, "sum")] == ["runbooks/a.md#2", "runbooks/m.md#0", "runbooks/z.md#1"]
        merged = merge_scores([hit(h.path, h.meta["chunk_index"], h.score) for h in order], [], 1.0)
        assert [h.id for h in merged] == ["runbooks/m.md#0", "runbooks/a.md#2", "runbooks/a.md#3", "runbooks/z.md#1"]


def _index_queues(root: Path, kind: str, monkeypatch):
    from rbh.indexer.sync import sync
    from rbh.project import load_project
    from store_support import in_process_server

    monkeypatch.delenv("RBH_QDRANT_URL", raising=False)
    make_queues(root)
    if kind == "server":
        in_process_server(monkeypatch)
        rbh_yaml = root / "rbh.yaml"
        rbh_yaml.write_text(rbh_yaml.read_text(encoding="utf-8") + "store:\n  url: http://qdrant.test:6333\n", encoding="utf-8")
    project = load_project(root)
    sync(project)
    return project


LEXICAL_QUESTIONS = ["consumer", "broker partition", "OrdersQueueBacklogWarning"]


def _lexical_prefetch(text: str, limit: int):
    from rbh.indexer.encoding.terms import query_terms
    from rbh.indexer.store import SPARSE_VECTOR, Prefetch, SparseValues

    terms = query_terms(text)
    return Prefetch(SPARSE_VECTOR, SparseValues(terms, [1.0] * len(terms)), limit)


def _ids(records) -> list[str]:
    return [r.id for r in records]


@pytest.mark.parametrize("kind", ["edge", "server"])
def test_a_prefetch_cut_inside_a_tie_keeps_the_first_chunks_by_path(kind, tmp_path, monkeypatch):
    from rbh.indexer.query import Retriever

    project = _index_queues(tmp_path / "queues", kind, monkeypatch)
    with Retriever(project) as r:
        for question in LEXICAL_QUESTIONS:
            whole = r.store.rankings([_lexical_prefetch(question, 100)])[0]
            scores = [x.score for x in whole]
            assert len(set(scores)) < len(scores), f"{question!r} should tie"
            for n in range(1, len(whole) + 1):
                assert _ids(r.store.rankings([_lexical_prefetch(question, n)])[0]) == _ids(whole[:n])


def test_both_store_adapters_rank_the_same_sections(tmp_path, monkeypatch):
    from rbh.indexer.query import Retriever, rank_sections

    got = {}
    for kind in ("edge", "server"):
        project = _index_queues(tmp_path / kind, kind, monkeypatch)
        with Retriever(project) as r:
            got[kind] = {q: [(h.path, h.anchor) for h in rank_sections(r, q)] for q in QUESTIONS}
    assert all(got["edge"][q] for q in QUESTIONS)
    assert got["server"] == got["edge"]


def test_an_incremental_sync_answers_as_a_full_rebuild_of_the_same_commit(tmp_path, monkeypatch):
    import git

    from rbh.indexer.query import Retriever, rank_sections
    from rbh.indexer.sync import sync
    from rbh.project import load_project

    monkeypatch.delenv("RBH_QDRANT_URL", raising=False)
    root = tmp_path / "queues"
    files = {"rbh.yaml": RBH_YAML, "manifests/prometheus/queues.yaml": rules(),
             **{f"runbooks/alerts/{a}.md": runbook(a) for a in ALERTS}}
    later = [f"runbooks/alerts/{a}.md" for a in ALERTS[::2]]  # the Warning runbooks come in a second commit
    commit_history(root, [{k: v for k, v in files.items() if k not in later}, {k: files[k] for k in later}])
    project = load_project(root)
    repo = git.Repo(root)
    sync(project, ref="HEAD~1")
    assert sync(project, ref=repo.head.commit.hexsha).mode == "incremental"

    def answers() -> dict[str, list[tuple[str, str]]]:
        with Retriever(project) as r:
            return {q: [(h.path, h.anchor) for h in rank_sections(r, q)] for q in QUESTIONS}

    incremental = answers()
    assert sync(project, ref=repo.head.commit.hexsha, full=True).mode == "full"
    assert answers() == incremental
