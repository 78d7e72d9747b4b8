"""Vectors of unchanged chunks, carried over from the previous index into a rebuild.

A rebuild that is not caused by the model (``--full``, a force-push, a work-tree run, changed
chunking or globs) would otherwise embed every chunk again although most embedding texts did not
change. The vectors are a function of the embedding text (title, breadcrumb, section) and of the
model fingerprint only, so a chunk whose text hashes the same as a stored one gets that chunk's
dense and sparse vectors; the encoders skip chunks that already have them. The indexer offers a
cache only when the previous index has the same model fingerprint.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.dataclasses import SparseEmbedding

from rbh.indexer.encoding.vectors import VectorCache, text_key  # noqa: F401 - VectorCache re-exported


@component
class VectorReuse:
    """Fills ``embedding`` and ``sparse_embedding`` of chunks whose embedding text is in *cache*.

    *cache* (a ``run()`` input: run-time data from the store, not a setting):
    ``text_key`` -> (dense vector, (sparse indices, sparse values)).
    """

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "VectorReuse":
        return default_from_dict(cls, data)

    @component.output_types(documents=list[Document], reused=int)
    def run(self, documents: list[Document], cache: Any = None) -> dict[str, Any]:
        out, reused = [], 0
        for doc in documents:
            hit = cache.get(text_key(doc.meta.get("title"), doc.meta.get("heading_path"), doc.content)) if cache else None
            if hit is None:
                out.append(doc)
                continue
            dense, (indices, values) = hit
            out.append(replace(doc, embedding=[float(x) for x in dense],
                               sparse_embedding=SparseEmbedding(indices=list(indices), values=list(values))))
            reused += 1
        return {"documents": out, "reused": reused}
