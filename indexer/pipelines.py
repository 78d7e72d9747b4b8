"""Haystack pipelines of the indexer, and the settings that decide whether an index is still valid.

Indexing pipeline::

    loader (GitRunbookLoader) -> chunker (HeadingChunker) -> reuse (VectorReuse) -> sparse (LexicalDocumentEncoder)
        -> dense (WordLlamaDocumentEmbedder) -> writer (QdrantChunkWriter into a store ``Target``)

``IndexSettings`` is everything that changes what a chunk looks like or how it is embedded. Its
fingerprint is recorded on the collection; a different fingerprint means the stored chunks are not
what this configuration would produce, so the next ``rbh index`` rebuilds instead of syncing.
``model_fingerprint`` covers only what makes query vectors comparable (dense model, dimension,
lexical encoder): a reader refuses an index whose model fingerprint differs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rbh.indexer.components.chunker import CHUNKER_VERSION, HeadingChunker
from rbh.indexer.components.dense import WordLlamaDocumentEmbedder
from rbh.indexer.components.lexical import LexicalDocumentEncoder
from rbh.indexer.components.source import GitRunbookLoader
from rbh.indexer.store import STORE_FORMAT, fingerprint, model_fingerprint, model_signature


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
    site: str = ""  # rbh.anchors.site_signature: the site's anchors and page titles, stored on every chunk

    @classmethod
    def from_project(cls, project, root=None) -> "IndexSettings":
        """The settings for *project*'s runbooks read from *root* (default: the project's own
        repository; ``rbh index --source`` reads another)."""
        from rbh.anchors import site_signature

        idx = project.config.index
        rb = project.config.runbooks
        sig = model_signature(project.config)
        return cls(
            model=sig["model"],
            dim=sig["dim"],
            lexical=sig["lexical"],
            chunker=CHUNKER_VERSION,
            heading_levels=idx.heading_levels,
            max_chars=idx.max_chunk_chars,
            overlap_chars=idx.chunk_overlap_chars,
            include=tuple(rb.include) if rb.include else None,
            exclude=tuple(rb.exclude),
            max_file_bytes=idx.max_file_bytes,
            site=site_signature(root if root is not None else project.root),
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
        return model_fingerprint(self.as_dict())  # what readers compare against


def build_indexing_pipeline(settings: IndexSettings, loader: GitRunbookLoader):
    """loader -> chunker -> reuse -> sparse -> dense -> writer.

    Run-time objects are ``run()`` inputs, not constructor arguments (``to_dict`` keeps settings
    only): ``{"writer": {"target": <indexer.store Target>}, "reuse": {"cache": <vector cache>}}``.
    The cache holds vectors of the previous index (see ``indexer.components.reuse``); chunks found
    there are not encoded again."""
    from haystack import Pipeline

    from rbh.indexer.components.reuse import VectorReuse
    from rbh.indexer.components.writer import QdrantChunkWriter

    p = Pipeline()
    p.add_component("loader", loader)
    p.add_component("chunker", HeadingChunker(settings.heading_levels, settings.max_chars, settings.overlap_chars))
    p.add_component("reuse", VectorReuse())
    p.add_component("sparse", LexicalDocumentEncoder())
    p.add_component("dense", WordLlamaDocumentEmbedder(model=settings.model, dim=settings.dim))
    p.add_component("writer", QdrantChunkWriter())
    p.connect("loader.runbooks", "chunker.runbooks")
    p.connect("loader.blobs", "chunker.blobs")
    p.connect("chunker.documents", "reuse.documents")
    p.connect("reuse.documents", "sparse.documents")
    p.connect("sparse.documents", "dense.documents")
    p.connect("dense.documents", "writer.documents")
    return p
