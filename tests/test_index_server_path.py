"""The server code path of the store (alias swap, in-place incremental sync, orphan clean-up).

No Qdrant server can run in these tests, so the client that ``indexer.store.server.connect`` would
build for ``store.url`` is replaced by one real Qdrant engine running in memory (qdrant-client's
in-process engine, which implements the same API). Everything else — settings from the URL, collection creation with
shards and replicas, the atomic alias switch, scrolls and deletes — runs exactly as against a server.
"""

from __future__ import annotations

import pytest

from rbh.indexer.store import open_store, resolve_alias
from rbh.indexer.sync import sync
from rbh.project import load_project
from rbh.indexer.store.document_store import RbhDocumentStore
from store_support import in_process_server
from test_index_sync import CHUNKS_PER_RUNBOOK, FILES


@pytest.fixture
def server(monkeypatch):
    return in_process_server(monkeypatch)


@pytest.fixture
def server_repo(make_repo, server):
    repo = make_repo({**FILES, "rbh.yaml": "store:\n  url: http://qdrant.test:6333\n  collection: oncall\n"})
    return repo, load_project(repo.root)


def test_full_then_incremental_then_rebuild_on_a_server(server_repo, server, rbh):
    repo, project = server_repo
    first = sync(project)
    assert (first.mode, first.chunks_total, first.location) == ("full", 12, "http://qdrant.test:6333")
    live = resolve_alias(server, "oncall")
    assert live.startswith("oncall-") and not (project.root / ".rbh" / "qdrant").exists()

    repo.write("runbooks/redis.md", FILES["runbooks/redis.md"] + "\nCheck eviction first.\n")
    repo.commit("redis")
    second = sync(project)
    assert (second.mode, second.chunks_embedded, second.chunks_total) == ("incremental", CHUNKS_PER_RUNBOOK, 12)
    assert resolve_alias(server, "oncall") == live  # written in place

    third = sync(project, full=True)
    new_live = resolve_alias(server, "oncall")
    assert third.mode == "full" and new_live != live and third.chunks_reused == 12
    assert [c.name for c in server.get_collections().collections] == [new_live]  # the old one is dropped
    with open_store(project) as store:
        assert (store.collection, store.state.chunks, store.location) == (new_live, 12, "http://qdrant.test:6333")
    code, out, _ = rbh(["index", "--repo", str(repo.root), "--status"])
    assert "chunks:      12" in out
    assert code == 0 and "store:       http://qdrant.test:6333 (server)" in out and f"oncall -> {new_live}" in out


def test_killed_rebuild_on_a_server_keeps_the_alias_and_drops_the_half_collection(server_repo, server, monkeypatch):
    import rbh.indexer.components.writer as writer_module

    repo, project = server_repo
    sync(project)
    live = resolve_alias(server, "oncall")

    def dying(doc):
        raise KeyboardInterrupt("killed")

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(writer_module, "to_record", dying)
        sync(project, full=True)
    assert resolve_alias(server, "oncall") == live
    assert [c.name for c in server.get_collections().collections] == [live]
    with open_store(project) as store:
        assert store.count() == 12


def test_orphan_of_a_killed_process_is_dropped_by_the_next_rebuild(server_repo, server):
    from qdrant_client import models

    repo, project = server_repo
    sync(project)
    server.create_collection("oncall-20260101000000-abcdef", vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE))
    sync(project, full=True)
    names = [c.name for c in server.get_collections().collections]
    assert names == [resolve_alias(server, "oncall")]


def test_deleted_runbook_is_gone_from_the_server_index(server_repo, server):
    repo, project = server_repo
    sync(project)
    repo.delete("runbooks/payments.md")
    repo.commit("retire payments runbook")
    report = sync(project)
    assert (report.deleted, report.chunks_deleted, report.chunks_total) == (1, 3, 9)
    with open_store(project) as store:
        paths = {d.meta["path"] for d in RbhDocumentStore.over_reader(store).filter_documents()}
    assert "runbooks/payments.md" not in paths and len(paths) == 3
