"""Dense vectors from WordLlama, whose weights ship inside its wheel (nothing is downloaded, ever).

The model loads in ``warm_up()`` (Haystack's convention), from the package folder with downloads
disabled, so a machine without network indexes and answers exactly like one with it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from indexer.components.lexical import embedding_text
from rbh.errors import ConfigError

DEFAULT_CONFIG = "l2_supercat"


def parse_model(name: str) -> str:
    """``wordllama`` or ``wordllama:<config>`` -> the WordLlama config name."""
    if name == "wordllama":
        return DEFAULT_CONFIG
    if name.startswith("wordllama:") and name.split(":", 1)[1]:
        return name.split(":", 1)[1]
    raise ConfigError(f"index.model: unsupported embedding model '{name}' (expected 'wordllama' or 'wordllama:<config>')")


_MODELS: dict[tuple[str, int], Any] = {}


def load_wordllama(model: str, dim: int):
    """The WordLlama model from the package's own weights; cached per process (loading takes ~0.5 s)."""
    key = (parse_model(model), dim)
    if key not in _MODELS:
        import wordllama
        from wordllama import WordLlama

        pkg = Path(wordllama.__file__).parent
        # Only some sizes ship in the wheel; the model is Matryoshka-trained, so a smaller dim is the
        # first coordinates of a shipped bigger one (WordLlama's trunc_dim).
        shipped = sorted(int(f.stem.rsplit("_", 1)[1]) for f in (pkg / "weights").glob(f"{key[0]}_*.safetensors") if f.stem.rsplit("_", 1)[1].isdigit())
        base = next((d for d in shipped if d >= dim), dim)
        try:
            _MODELS[key] = WordLlama.load(config=key[0], dim=base, trunc_dim=dim if dim < base else None, cache_dir=pkg, disable_download=True)
        except Exception as exc:  # noqa: BLE001 - any failure here means "this model is not installed"
            raise ConfigError(f"index.model: cannot load WordLlama '{key[0]}' with dim {dim} from the installed package: {exc}") from None
    return _MODELS[key]


class _WordLlamaBase:
    def __init__(self, model: str = "wordllama", dim: int = 256, batch_size: int = 256) -> None:
        parse_model(model)
        self.model = model
        self.dim = dim
        self.batch_size = batch_size
        self._wl = None

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
    """Sets ``Document.embedding`` from the chunk's embedding text (title, breadcrumb, section)."""

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        if not documents:
            return {"documents": []}
        vectors = self._embed([embedding_text(d) for d in documents])
        return {"documents": [replace(doc, embedding=vec.tolist()) for doc, vec in zip(documents, vectors)]}


@component
class WordLlamaTextEmbedder(_WordLlamaBase):
    """Embeds a query text into the same space as the chunks."""

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, list[float]]:
        return {"embedding": self._embed([text])[0].tolist()}
