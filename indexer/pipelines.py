"""Haystack pipelines of the indexer, and the settings that decide whether an index is still valid.

Indexing pipeline::

    loader (GitRunbookLoader) -> chunker (HeadingChunker) -> sparse (LexicalDocumentEncoder)
        -> dense (WordLlamaDocumentEmbedder) -> writer (DocumentWriter, OVERWRITE, QdrantDocumentStore)

``IndexSettings`` is everything that changes what a chunk looks like or how it is embedded. Its
fingerprint is recorded on the collection; a different fingerprint means the stored chunks are not
what this configuration would produce, so the next ``rbh index`` rebuilds instead of syncing.
``model_fingerprint`` covers only what makes query vectors comparable (dense model, dimension,
lexical encoder): a reader refuses an index whose model fingerprint differs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from indexer.components.chunker import CHUNKER_VERSION, HeadingChunker
from indexer.components.dense import WordLlamaDocumentEmbedder, parse_model
from indexer.components.lexical import AVG_LEN, B, K1, LEXICAL_VERSION, LexicalDocumentEncoder
from indexer.components.source import GitRunbookLoader
from indexer.store import STORE_FORMAT, fingerprint


@dataclass(frozen=True)
class IndexSettings:
    model: str
    dim: int
    lexical: str
    chunker: str
    heading_levels: int
    max_chars: int
    overlap_chars: int
    include: tuple[str, ...] | None
    exclude: tuple[str, ...]
    max_file_bytes: int
    store_format: int = STORE_FORMAT

    @classmethod
    def from_project(cls, project) -> "IndexSettings":
        idx = project.config.index
        rb = project.config.runbooks
        return cls(
            model=f"wordllama:{parse_model(idx.model)}",
            dim=idx.dim,
            lexical=f"{LEXICAL_VERSION}(k1={K1},b={B},avg={AVG_LEN:g})",
            chunker=CHUNKER_VERSION,
            heading_levels=idx.heading_levels,
            max_chars=idx.max_chunk_chars,
            overlap_chars=idx.chunk_overlap_chars,
            include=tuple(rb.include) if rb.include else None,
            exclude=tuple(rb.exclude),
            max_file_bytes=idx.max_file_bytes,
        )

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["include"] = list(self.include) if self.include is not None else None
        d["exclude"] = list(self.exclude)
        return d

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.as_dict())

    @property
    def model_fingerprint(self) -> str:
        return fingerprint({"model": self.model, "dim": self.dim, "lexical": self.lexical})


def build_indexing_pipeline(settings: IndexSettings, loader: GitRunbookLoader, document_store):
    """loader -> chunker -> sparse -> dense -> writer, writing into *document_store* (OVERWRITE)."""
    from haystack import Pipeline
    from haystack.components.writers import DocumentWriter
    from haystack.document_stores.types import DuplicatePolicy

    p = Pipeline()
    p.add_component("loader", loader)
    p.add_component("chunker", HeadingChunker(settings.heading_levels, settings.max_chars, settings.overlap_chars))
    p.add_component("sparse", LexicalDocumentEncoder())
    p.add_component("dense", WordLlamaDocumentEmbedder(model=settings.model, dim=settings.dim))
    p.add_component("writer", DocumentWriter(document_store=document_store, policy=DuplicatePolicy.OVERWRITE))
    p.connect("loader.runbooks", "chunker.runbooks")
    p.connect("loader.blobs", "chunker.blobs")
    p.connect("chunker.documents", "sparse.documents")
    p.connect("sparse.documents", "dense.documents")
    p.connect("dense.documents", "writer.documents")
    return p
