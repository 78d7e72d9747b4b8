"""``RbhDocumentStore`` (a Haystack DocumentStore over rbh's store interface) through Haystack's own
document-store test suites, on both adapters: a real Qdrant Edge shard on a temp path, and
qdrant-client's in-process engine standing in for a server."""

from __future__ import annotations

import pytest
from haystack import Document
from haystack.document_stores.errors import DocumentStoreError
from haystack.testing.document_store import (
    CountDocumentsTest,
    DeleteDocumentsTest,
    FilterDocumentsTest,
    WriteDocumentsTest,
)

from rbh.indexer.store import IndexState
from rbh.indexer.store.document_store import RbhDocumentStore

DIM = 768  # the suites' embeddings


def _edge_target(tmp_path):
    import qdrant_edge as qe

    from rbh.indexer.store.edge import EdgeTarget, EdgeWriter, _edge_config

    gen = tmp_path / "edge-1-000000"
    gen.mkdir()
    shard = qe.EdgeShard.create(str(gen / "shard"), _edge_config(DIM))
    EdgeWriter._ensure_payload_indexes(shard)
    return EdgeTarget(gen, shard, full=True)


def _server_target():
    from qdrant_client import QdrantClient

    from rbh.indexer.store import StoreSettings
    from rbh.indexer.store.server import ServerTarget, create_collection

    client = QdrantClient(":memory:")
    settings = StoreSettings(path=None, url="http://qdrant.test:6333", api_key_env="X", alias="runbooks")
    create_collection(client, settings, "runbooks-1", DIM, IndexState(collection=""))
    return ServerTarget(client, "runbooks-1", full=True)


class _Suites(CountDocumentsTest, WriteDocumentsTest, DeleteDocumentsTest, FilterDocumentsTest):
    @pytest.fixture(params=["edge", "server"])
    def document_store(self, request, tmp_path):
        target = _edge_target(tmp_path) if request.param == "edge" else _server_target()
        yield RbhDocumentStore.over_target(target)
        target.close()

    @staticmethod
    def assert_documents_are_equal(received: list[Document], expected: list[Document]):
        """Order-free, and without the dense embedding: Qdrant normalises it for cosine similarity."""
        def key(d: Document):
            return (d.id, d.content, repr(sorted(d.meta.items())))

        assert sorted(map(key, received)) == sorted(map(key, expected))

    def test_write_documents(self, document_store):
        docs = [Document(id="1", content="a runbook section", meta={"path": "runbooks/a.md"})]
        assert document_store.write_documents(docs) == 1
        self.assert_documents_are_equal(document_store.filter_documents(), docs)


class TestRbhDocumentStore(_Suites):
    pass


def test_the_live_index_is_read_only_and_serializes_as_settings(tmp_path):
    store = RbhDocumentStore(repo=str(tmp_path), qdrant_url=None)
    data = store.to_dict()
    assert data["init_parameters"] == {"repo": str(tmp_path), "qdrant_url": None}
    assert RbhDocumentStore.from_dict(data).to_dict() == data
    with pytest.raises(DocumentStoreError, match="read-only"):
        store.write_documents([Document(content="x")])
