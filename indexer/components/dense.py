"""Dense vectors from WordLlama, whose weights ship inside its wheel (nothing is downloaded, ever).

The model loads in ``warm_up()`` (Haystack's convention), from the package folder with downloads
disabled, so a machine without network indexes and answers exactly like one with it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from rbh.indexer.components.lexical import embedding_text
# Model loading lives in ``wordllama_model`` (no Haystack import: the query path uses it).
from rbh.indexer.encoding.wordllama_model import DEFAULT_CONFIG, WordLlamaModel, load_wordllama, parse_model  # noqa: F401 - re-exported


class _WordLlamaBase:
    def __init__(self, model: str = "wordllama", dim: int = 256, batch_size: int = 256) -> None:
        parse_model(model)
        self.model = model
        self.dim = dim
        self.batch_size = batch_size
        self._wl: WordLlamaModel | None = None

    def warm_up(self) -> None:
        if self._wl is None:
            self._wl = load_wordllama(self.model, self.dim)

    def _embed(self, texts: list[str]):
        if self._wl is None:
            raise RuntimeError(f"{type(self).__name__}: call warm_up() before run()")
        return self._wl.embed(texts, norm=True, batch_size=self.batch_size)

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, model=self.model, dim=self.dim, batch_size=self.batch_size)

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        return default_from_dict(cls, data)


@component
class WordLlamaDocumentEmbedder(_WordLlamaBase):
    """Sets ``Document.embedding`` from the chunk's embedding text (title, breadcrumb, section).

    Chunks that already carry an embedding (reused from the previous index by ``VectorReuse``) are
    passed through unchanged."""

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        todo = [i for i, d in enumerate(documents) if d.embedding is None]
        if not todo:
            return {"documents": list(documents)}
        vectors = self._embed([embedding_text(documents[i]) for i in todo])
        out = list(documents)
        for i, vec in zip(todo, vectors):
            out[i] = replace(documents[i], embedding=vec.tolist())
        return {"documents": out}


@component
class WordLlamaTextEmbedder(_WordLlamaBase):
    """Embeds a query text into the same space as the chunks."""

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, list[float]]:
        return {"embedding": self._embed([text])[0].tolist()}
