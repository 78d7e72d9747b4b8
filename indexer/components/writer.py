"""Writes embedded chunks into the index being built (a store ``Target``).

The target is run-time state (an open, unpublished generation or collection), so it is a ``run()``
input, not a constructor argument: ``to_dict`` of this component is its settings only, and a
pipeline loaded from YAML gets its target when it runs.
"""

from __future__ import annotations

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from rbh.indexer.store import point_id  # noqa: F401 - re-exported: the id of a chunk's Document
from rbh.indexer.store.base import Target  # at run time: Haystack resolves run()'s annotations
from rbh.indexer.store.document_store import to_record


@component
class QdrantChunkWriter:
    """Upserts chunks (dense + sparse vectors) into *target* (``indexer.store`` ``Target``).

    Upsert by stable id: a chunk written again replaces itself, so a repeated or resumed run is
    idempotent.
    """

    def __init__(self, batch_size: int = 256) -> None:
        self.batch_size = batch_size

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, batch_size=self.batch_size)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "QdrantChunkWriter":
        return default_from_dict(cls, data)

    @component.output_types(documents_written=int)
    def run(self, documents: list[Document], target: Target) -> dict[str, int]:
        for i in range(0, len(documents), self.batch_size):
            target.upsert([to_record(d) for d in documents[i : i + self.batch_size]])
        return {"documents_written": len(documents)}
