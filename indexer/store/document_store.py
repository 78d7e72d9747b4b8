"""A Haystack ``DocumentStore`` over rbh's store interface.

So a team can use rbh's index in its own Haystack pipelines::

    from rbh.indexer.store.document_store import RbhDocumentStore
    store = RbhDocumentStore(repo="path/to/runbooks-repo")     # the live index, read-only
    store.filter_documents({"field": "meta.service", "operator": "in", "value": ["checkout"]})

It answers ``count_documents``, ``filter_documents`` (Haystack's filter syntax), and, over a
writable target, ``write_documents`` and ``delete_documents``. The live index is written only by
``rbh index`` (atomically, generation by generation), so over the live index the store is
read-only and writing raises ``DocumentStoreError``. ``to_dict`` keeps only settings (the
repository and an optional server URL); the open index is run-time state, opened on first use.

Documents map onto the chunk payload documented in ``indexer.store``: ``id``, ``content`` and
``meta``; ``embedding`` and ``sparse_embedding`` are the ``text-dense`` and ``text-sparse`` vectors.
Qdrant normalises dense vectors for cosine similarity, so an embedding comes back normalised.
"""

from __future__ import annotations

from typing import Any

from haystack import Document, default_from_dict, default_to_dict
from haystack.dataclasses import SparseEmbedding
from haystack.document_stores.errors import DocumentStoreError, DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy

from rbh.indexer.store.model import DENSE_VECTOR, SPARSE_VECTOR, Record, SparseValues, point_id


def to_record(doc: Document) -> Record:
    """The stored record of a Haystack Document (payload ``id``, ``content``, ``meta``; named vectors)."""
    vectors: dict[str, Any] = {}
    if doc.embedding is not None:
        vectors[DENSE_VECTOR] = [float(x) for x in doc.embedding]
    if doc.sparse_embedding is not None:
        sv = doc.sparse_embedding
        vectors[SPARSE_VECTOR] = SparseValues([int(i) for i in sv.indices], [float(x) for x in sv.values])
    return Record(id=point_id(doc.id), payload={"id": doc.id, "content": doc.content, "meta": doc.meta}, vectors=vectors)


def to_document(r: Record) -> Document:
    dense = r.vectors.get(DENSE_VECTOR)
    sparse = r.vectors.get(SPARSE_VECTOR)
    return Document(id=r.payload.get("id") or r.id, content=r.payload.get("content"), meta=dict(r.payload.get("meta") or {}),
                    embedding=list(dense) if dense is not None else None,
                    sparse_embedding=SparseEmbedding(indices=list(sparse.indices), values=list(sparse.values)) if sparse is not None else None)


class RbhDocumentStore:
    """Haystack ``DocumentStore`` protocol over an rbh reader (read-only) or a writable target."""

    def __init__(self, repo: str = ".", qdrant_url: str | None = None):
        self.repo = repo
        self.qdrant_url = qdrant_url
        self._reader = None
        self._target = None

    @classmethod
    def over_reader(cls, reader) -> "RbhDocumentStore":
        ds = cls()
        ds._reader = reader
        return ds

    @classmethod
    def over_target(cls, target) -> "RbhDocumentStore":
        ds = cls()
        ds._target = target
        return ds

    # -- serialization: settings only
    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, repo=self.repo, qdrant_url=self.qdrant_url)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RbhDocumentStore":
        return default_from_dict(cls, data)

    # -- the backend
    def _backend(self):
        if self._target is not None:
            return self._target
        if self._reader is None:
            from rbh.indexer.store import open_store
            from rbh.project import load_project

            self._reader = open_store(load_project(self.repo), qdrant_url=self.qdrant_url)
        return self._reader

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()

    # -- DocumentStore protocol
    def count_documents(self) -> int:
        return self._backend().count()

    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]:
        records = self._backend().scroll(filters or None, with_vectors=True)
        return [to_document(r) for r in records]

    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        target = self._writable()
        for d in documents:
            if not isinstance(d, Document):
                raise ValueError("write_documents takes a list of Documents")
        ids = [d.id for d in documents]
        existing = {r.payload.get("id") for r in target.scroll({"field": "id", "operator": "in", "value": ids})} if ids else set()
        if policy in (DuplicatePolicy.NONE, DuplicatePolicy.FAIL) and existing:
            raise DuplicateDocumentError(f"documents with ids {sorted(existing)[:5]} already exist")
        if policy == DuplicatePolicy.SKIP:
            documents = [d for d in documents if d.id not in existing]
        unique: dict[str, Document] = {}
        for d in documents:
            unique[d.id] = d
        target.upsert([to_record(d) for d in unique.values()])
        return len(unique)

    def delete_documents(self, document_ids: list[str]) -> None:
        if document_ids:
            self._writable().delete_ids([point_id(i) for i in document_ids])

    def _writable(self):
        if self._target is None:
            raise DocumentStoreError("the live rbh index is written only by 'rbh index'; this document store is read-only")
        return self._target
