"""The same contract for both store adapters (issue 11).

``edge``: the embedded store, real Qdrant Edge on the repository's ``.rbh/qdrant``.
``server``: the qdrant-client adapter; no Qdrant server can run here, so ``indexer.store.server.connect``
returns one real in-process Qdrant engine (qdrant-client's ``QdrantClient(":memory:")``) shared by
every connection, as one server is by many processes. Everything else runs as against a server.
"""

from __future__ import annotations

import json

import pytest

from rbh.indexer.query import Filters, Retriever
from rbh.indexer.store import open_store
from rbh.indexer.sync import sync
from rbh.errors import StoreError
from rbh.project import load_project
from rbh.indexer.store.document_store import RbhDocumentStore
from store_support import in_process_server
from test_index_sync import CHUNKS_PER_RUNBOOK, FILES, runbook


@pytest.fixture(params=["edge", "server"])
def backend(request, monkeypatch):
    monkeypatch.delenv("RBH_QDRANT_URL", raising=False)
    if request.param == "server":
        shared = in_process_server(monkeypatch)
        return request.param, shared, "store:\n  url: http://qdrant.test:6333\n"
    return request.param, None, ""


@pytest.fixture
def indexed_repo(make_repo, backend):
    kind, server, config = backend
    repo = make_repo({**FILES, ".gitignore": ".rbh/\n", **({"rbh.yaml": config} if config else {})})
    project = load_project(repo.root)
    report = sync(project)
    assert (report.mode, report.chunks_total) == ("full", 12)
    return kind, server, repo, project


def paths(project) -> dict[str, int]:
    out: dict[str, int] = {}
    with open_store(project) as store:
        for r in store.scroll():
            out[r.payload["meta"]["path"]] = out.get(r.payload["meta"]["path"], 0) + 1
    return out


def top_path(project, question: str, filters: Filters | None = None) -> str:
    with Retriever(project) as r:
        return r.search(question, top_k=1, filters=filters)[0].path


def test_incremental_sync_re_embeds_only_the_changed_runbook(indexed_repo):
    _, _, repo, project = indexed_repo
    repo.write("runbooks/redis.md", FILES["runbooks/redis.md"].replace("Restart the redis", "Flush the redis cache of"))
    repo.commit("redis: flush")
    report = sync(project)
    assert (report.mode, report.changed, report.chunks_embedded, report.chunks_total) == ("incremental", 1, CHUNKS_PER_RUNBOOK, 12)
    assert top_path(project, "flush the redis cache") == "runbooks/redis.md"
    assert sync(project).mode == "unchanged"


def test_rename_moves_vectors_without_embedding(indexed_repo):
    _, _, repo, project = indexed_repo
    repo.repo.git.mv("runbooks/kafka.md", "runbooks/kafka-lag.md")
    repo.commit("move kafka")
    report = sync(project)
    assert (report.renamed, report.chunks_moved, report.chunks_embedded, report.chunks_total) == (1, 3, 0, 12)
    found = paths(project)
    assert "runbooks/kafka.md" not in found and found["runbooks/kafka-lag.md"] == 3
    assert top_path(project, "kafka consumer group lag") == "runbooks/kafka-lag.md"


def test_deleted_runbook_is_gone(indexed_repo):
    _, _, repo, project = indexed_repo
    repo.delete("runbooks/payments.md")
    repo.commit("retire payments")
    report = sync(project)
    assert (report.deleted, report.chunks_deleted, report.chunks_total) == (1, 3, 9)
    assert set(paths(project)) == {"runbooks/checkout.md", "runbooks/redis.md", "runbooks/kafka.md"}


def test_force_push_rebuilds(indexed_repo):
    _, _, repo, project = indexed_repo
    repo.write("runbooks/search.md", runbook("Search outage", "search", "SearchDown", "search returns empty results"))
    repo.commit("search")
    sync(project)
    repo.repo.git.reset("--hard", "HEAD~1")
    repo.write("runbooks/redis.md", FILES["runbooks/redis.md"] + "\nRewritten.\n")
    repo.commit("rewritten history")
    report = sync(project)
    assert report.mode == "full" and report.reason.startswith("history rewritten")
    assert "runbooks/search.md" not in paths(project) and report.chunks_total == 12


def test_killed_rebuild_keeps_the_old_index_serving(indexed_repo, monkeypatch):
    import rbh.indexer.components.writer as writer_module

    kind, server, repo, project = indexed_repo
    with open_store(project) as store:
        live = store.collection
    real, calls = writer_module.to_record, {"n": 0}

    def dying(doc):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt("killed")
        return real(doc)

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(writer_module, "to_record", dying)
        sync(project, full=True)
    with open_store(project) as store:
        assert (store.collection, store.count()) == (live, 12)
    if kind == "edge":
        assert [p.name for p in (project.root / ".rbh" / "qdrant").glob("edge-*")] == [live]
    else:
        assert [c.name for c in server.get_collections().collections] == [live]
    assert sync(project).mode == "unchanged"


def test_changed_model_rebuilds_and_readers_refuse_the_old_index(indexed_repo):
    kind, _, repo, project = indexed_repo
    config = (repo.root / "rbh.yaml").read_text() if (repo.root / "rbh.yaml").exists() else ""
    repo.write("rbh.yaml", config + "index:\n  dim: 128\n")
    repo.commit("smaller vectors")
    project = load_project(repo.root)
    with pytest.raises(StoreError, match=r"built with model .*\(dim 256.*run 'rbh index' to rebuild it"):
        open_store(project)
    report = sync(project)
    assert (report.mode, report.reason, report.chunks_reused) == ("full", "settings changed: dim", 0)
    with open_store(project) as store:
        assert len(store.scroll(with_vectors=True)[0].vectors["text-dense"]) == 128


def test_filters_in_haystack_syntax(indexed_repo):
    _, _, _, project = indexed_repo
    with open_store(project) as store:
        assert store.count({"field": "meta.service", "operator": "in", "value": ["redis", "kafka"]}) == 6
        assert store.count({"operator": "OR", "conditions": [
            {"field": "meta.team", "operator": "==", "value": "team-redis"},
            {"field": "meta.owner", "operator": "==", "value": "team-redis"}]}) == 3
        assert store.count({"field": "meta.path", "operator": "!=", "value": "runbooks/redis.md"}) == 9
        assert store.count({"field": "meta.line", "operator": ">=", "value": 16}) == 8
        assert store.count({"field": "meta.last_reviewed", "operator": "<", "value": "2026-02-01"}) == 12
        assert store.count({"field": "meta.team", "operator": "==", "value": None}) == 12
        docs = RbhDocumentStore.over_reader(store).filter_documents({"field": "meta.tags", "operator": "in", "value": ["kafka"]})
        assert {d.meta["path"] for d in docs} == {"runbooks/kafka.md"} and all(len(d.embedding) == 256 for d in docs)
    assert top_path(project, "restart the deployment", Filters(service=("payments",))) == "runbooks/payments.md"
    assert top_path(project, "restart the deployment", Filters(team=("team-kafka",))) == "runbooks/kafka.md"


def test_status_reports_what_the_index_holds(indexed_repo, rbh):
    kind, _, repo, project = indexed_repo
    code, out, _ = rbh(["index", "--repo", str(repo.root), "--status"])
    assert code == 0 and f"commit:      {repo.repo.head.commit.hexsha} (HEAD)" in out
    assert "chunks:      12\n" in out and "runbooks:    4" in out and "unusable" not in out
    assert ("(local, Qdrant Edge)" in out) == (kind == "edge") and ("(server)" in out) == (kind == "server")


def _damage(kind, server, project) -> None:
    """Lose points behind the index's back: the recorded count no longer matches what is stored."""
    if kind == "server":
        from qdrant_client import models

        with open_store(project) as store:
            live = store.collection
        server.delete(live, points_selector=models.FilterSelector(filter=models.Filter(must=[
            models.FieldCondition(key="meta.path", match=models.MatchValue(value="runbooks/redis.md"))])))
    else:
        root = project.root / ".rbh" / "qdrant"
        gen = root / json.loads((root / "PUBLISHED").read_text())["generation"]
        state = json.loads((gen / "state.json").read_text())
        state["rbh"]["chunks"] = 15
        (gen / "state.json").write_text(json.dumps(state))


def test_damaged_index_is_refused_then_repaired_by_rbh_index(indexed_repo, rbh):
    kind, server, repo, project = indexed_repo
    _damage(kind, server, project)
    code, out, err = rbh(["ask", "--repo", str(repo.root), "--no-cache", "redis memory usage"])
    assert (code, out) == (2, "") and "is damaged (it holds " in err and "run 'rbh index --full'" in err
    code, out, _ = rbh(["index", "--repo", str(repo.root), "--status"])
    assert code == 0 and "unusable: " in out or "recorded" in out
    code, out, err = rbh(["index", "--repo", str(repo.root)])
    assert code == 0 and "full rebuild" in out and "is damaged" in err and "rebuilding it" in err
    assert sum(paths(project).values()) == 12


def test_edge_generation_of_an_earlier_rbh_takes_todays_layout(make_repo, monkeypatch):
    """A store written before the load-time layout (keyword indexes in RAM, Qdrant's default HNSW
    config) is carried over by the next incremental run, not rebuilt: the new generation has every
    keyword index memory-mapped and the shard config rbh writes today, and answers as before."""
    import qdrant_edge as qe

    from rbh.indexer.store.edge import SHARD, _index_memory, _published
    from rbh.indexer.store.model import PAYLOAD_INDEXES

    monkeypatch.delenv("RBH_QDRANT_URL", raising=False)
    repo = make_repo({**FILES, ".gitignore": ".rbh/\n"})
    project = load_project(repo.root)
    sync(project)
    root = repo.root / ".rbh" / "qdrant"
    old = root / _published(root) / SHARD
    earlier = qe.EdgeConfig(vectors={"text-dense": qe.EdgeVectorParams(size=256, distance=qe.Distance.Cosine)},
                            sparse_vectors={"text-sparse": qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf, memory=qe.Memory.Pinned)},
                            hnsw_config=qe.HnswIndexConfig(m=16, ef_construct=100, full_scan_threshold=10_000),
                            id_tracker_memory=qe.Memory.Pinned, wal_enabled=False)
    shard = qe.EdgeShard.load(str(old), earlier)
    for key in PAYLOAD_INDEXES:  # as rbh 0.1 made them
        shard.update(qe.UpdateOperation.delete_field_index(key))
        shard.update(qe.UpdateOperation.create_field_index(key, qe.PayloadSchemaType.Keyword))
    shard.close()
    qe.EdgeShard.load(str(old)).close()
    assert top_path(project, "restart the deployment", Filters(service=("payments",))) == "runbooks/payments.md"

    repo.write("runbooks/redis.md", FILES["runbooks/redis.md"].replace("Restart the redis", "Flush the redis cache of"))
    repo.commit("redis: flush")
    report = sync(project)
    assert (report.mode, report.chunks_embedded, report.chunks_total) == ("incremental", 3, 12)
    new = root / _published(root) / SHARD
    assert new != old
    shard = qe.EdgeShard.load(str(new))
    try:
        schema = shard.info().payload_schema
        assert {k: _index_memory(schema[k]) for k in PAYLOAD_INDEXES} == {k: qe.Memory.Cold for k in PAYLOAD_INDEXES}
    finally:
        shard.close()
    config = json.loads((new / "edge_config.json").read_text())
    assert (config["hnsw_config"]["m"], config["sparse_vectors"]["text-sparse"]["memory"], config["id_tracker_memory"]) == (0, "cold", "cold")
    assert top_path(project, "restart the deployment", Filters(service=("payments",))) == "runbooks/payments.md"
    assert top_path(project, "flush the redis cache") == "runbooks/redis.md"
