"""Loading the WordLlama model from the weights inside its wheel, free of Haystack (the query path uses it).

``indexer.components.dense`` wraps it in Haystack components.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
