"""Loading the WordLlama model from the weights inside its wheel, free of Haystack (the query path uses it).

``indexer.components.dense`` wraps it in Haystack components.
"""

from __future__ import annotations

import contextlib

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
            model = WordLlama.load(config=key[0], dim=base, trunc_dim=dim if dim < base else None, cache_dir=pkg, disable_download=True)
        except Exception as exc:  # noqa: BLE001 - any failure here means "this model is not installed"
            raise ConfigError(f"index.model: cannot load WordLlama '{key[0]}' with dim {dim} from the installed package: {exc}") from None
        _split_words_before_bpe(model)
        _MODELS[key] = model
    return _MODELS[key]


def _split_words_before_bpe(model) -> None:
    """Let the tokenizer run BPE word by word instead of over the whole text.

    WordLlama's Llama tokenizer has no pre-tokenizer: a 1,000-character chunk is one "word" for
    BPE, which is slow and cannot use the tokenizer's word cache. Splitting the normalized text
    before each ``▁`` (a space), keeping runs of spaces together, yields the same tokens (checked on
    the example runbooks and on 2,000 generated chunks: identical ids) for about a third less CPU.
    Index and query both load the model here, so they always tokenize alike.
    """
    with contextlib.suppress(Exception):  # an unexpected tokenizer: keep WordLlama's own behaviour
        from tokenizers import Regex, pre_tokenizers

        if model.tokenizer.pre_tokenizer is None:
            model.tokenizer.pre_tokenizer = pre_tokenizers.Split(pattern=Regex("\u2581+[^\u2581]*|[^\u2581]+"), behavior="isolated")
