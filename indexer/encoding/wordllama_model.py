"""The WordLlama embedding model, read straight from the files inside its wheel (nothing is downloaded).

Why not ``wordllama.WordLlama.load``: importing the ``wordllama`` package costs a cold ``rbh ask``
0.3-0.5 s (it imports ``requests``, its pydantic training configs and its clustering algorithms, and
calls ``logging.basicConfig`` on import), and it converts the whole 32,000-token matrix to float32
before the first query. What we use of it is small: its tokenizer file, its safetensors weights and
the arithmetic of ``WordLlamaInference.embed`` (token vectors averaged over the attention mask,
then L2-normalised), which ``WordLlamaModel.embed`` repeats step for step. The weights are mapped,
not read: a query touches a few dozen rows of the matrix. ``tests/test_index_components.py``
checks that the vectors equal ``WordLlama.load(...).embed(...)`` to 1e-6.

Free of Haystack (the query path uses it); ``indexer.components.dense`` wraps it in Haystack components.
"""

from __future__ import annotations

import contextlib
import json
import struct
from pathlib import Path
from typing import Any

from rbh.errors import ConfigError

DEFAULT_CONFIG = "l2_supercat"
# WordLlama's Matryoshka sizes (wordllama.config.models: available_dims); only some ship in the wheel,
# a smaller one is the first coordinates of a shipped bigger one (WordLlama's trunc_dim).
AVAILABLE_DIMS = (64, 128, 256, 512, 1024)
_TENSOR = "embedding.weight"
_DTYPES = {"F16": "<f2", "F32": "<f4"}


def parse_model(name: str) -> str:
    """``wordllama`` or ``wordllama:<config>`` -> the WordLlama config name."""
    if name == "wordllama":
        return DEFAULT_CONFIG
    if name.startswith("wordllama:") and name.split(":", 1)[1]:
        return name.split(":", 1)[1]
    raise ConfigError(f"index.model: unsupported embedding model '{name}' (expected 'wordllama' or 'wordllama:<config>')")


def package_dir() -> Path:
    """The installed ``wordllama`` folder, found without importing the package."""
    import importlib.util

    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("index.model: the 'wordllama' package is not installed (pip install wordllama)")
    return Path(list(spec.submodule_search_locations)[0])


class WordLlamaModel:
    """Token embedding matrix + tokenizer: the dense half of WordLlama's inference, nothing else."""

    def __init__(self, matrix: Any, tokenizer: Any, dim: int):
        self.matrix = matrix  # (vocab, shipped dim), float16 or float32, memory-mapped
        self.tokenizer = tokenizer
        self.dim = dim
        tokenizer.enable_padding()  # as WordLlamaInference: pad id 0, masked out below
        tokenizer.no_truncation()

    def embed(self, texts: list[str], norm: bool = True, batch_size: int = 64):
        """(len(texts), dim) float32 vectors, computed exactly as ``WordLlamaInference.embed``."""
        import numpy as np

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        vocab = self.matrix.shape[0]
        for batch in _batches(texts, batch_size):
            encoded = self.tokenizer.encode_batch([texts[k] for k in batch], is_pretokenized=False, add_special_tokens=False)
            ids = np.array([e.ids for e in encoded], dtype=np.int32)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
            np.clip(ids, 0, vocab - 1, out=ids)
            # float16 -> float32 is exact, so converting only the rows used equals converting the matrix first
            vectors = np.ascontiguousarray(self.matrix[ids][..., :self.dim], dtype=np.float32)
            count = np.maximum(mask.sum(axis=1, keepdims=True), 1.0).astype(np.float32)
            pooled = np.sum(vectors * mask[..., np.newaxis], axis=1, dtype=np.float32) / count
            if norm:
                pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
            out[batch] = pooled
        return out


BATCH_CHARS = 131_072  # a batch's padded size in characters (a proxy for tokens): 64 texts of 2,000


def _batches(texts: list[str], batch_size: int) -> list[list[int]]:
    """Indices of *texts* in batches of similar length: every text of a batch is padded to its
    longest, so one 15,000-character table among 63 short sections made a batch of 64 x 8,600
    tokens x 256 floats (563 MB, seconds of page faults). Sorted by length, with the padded size
    capped, the vectors are the same (each text is pooled over its own tokens)."""
    order = sorted(range(len(texts)), key=lambda k: len(texts[k]))
    out: list[list[int]] = []
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and end - start < batch_size and (end - start + 1) * len(texts[order[end]]) <= BATCH_CHARS:
            end += 1
        out.append(order[start:end])
        start = end
    return out


def _map_safetensors(path: Path):
    """The embedding matrix of a safetensors file as a read-only memory map (format: an 8-byte
    little-endian header length, a JSON header, then the raw tensors)."""
    import numpy as np

    with path.open("rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    info = header[_TENSOR]
    start, end = info["data_offsets"]
    dtype = np.dtype(_DTYPES[info["dtype"]])
    shape = tuple(info["shape"])
    if len(shape) != 2 or end - start != shape[0] * shape[1] * dtype.itemsize:
        raise ValueError(f"unexpected tensor layout {info}")
    return np.memmap(path, dtype=dtype, mode="r", offset=8 + size + start, shape=shape)


_MODELS: dict[tuple[str, int], WordLlamaModel] = {}


def load_wordllama(model: str, dim: int) -> WordLlamaModel:
    """The WordLlama model from the package's own files; cached per process."""
    key = (parse_model(model), dim)
    if key not in _MODELS:
        config, pkg = key[0], package_dir()
        shipped = sorted(int(f.stem.rsplit("_", 1)[1]) for f in (pkg / "weights").glob(f"{config}_*.safetensors")
                         if f.stem.rsplit("_", 1)[1].isdigit())
        base = next((d for d in shipped if d >= dim), None)
        if dim not in AVAILABLE_DIMS or base is None:
            raise ConfigError(f"index.model: cannot load WordLlama '{config}' with dim {dim} from the installed package: "
                              f"dim must be one of {list(AVAILABLE_DIMS)} and at most {max(shipped, default=0)} (shipped)")
        try:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(pkg / "tokenizers" / f"{config}_tokenizer_config.json"))
            matrix = _map_safetensors(pkg / "weights" / f"{config}_{base}.safetensors")
        except Exception as exc:  # noqa: BLE001 - any failure here means "this model is not installed"
            raise ConfigError(f"index.model: cannot load WordLlama '{config}' with dim {dim} from the installed package: {exc}") from None
        _split_words_before_bpe(tokenizer)
        _MODELS[key] = WordLlamaModel(matrix, tokenizer, dim)
    return _MODELS[key]


def _split_words_before_bpe(tokenizer) -> None:
    """Let the tokenizer run BPE word by word instead of over the whole text.

    WordLlama's Llama tokenizer has no pre-tokenizer: a 1,000-character chunk is one "word" for
    BPE, which is slow and cannot use the tokenizer's word cache. Splitting the normalized text
    before each ``▁`` (a space), keeping runs of spaces together, yields the same tokens (checked on
    the example runbooks and on 2,000 generated chunks: identical ids) for about a third less CPU.
    Index and query both load the model here, so they always tokenize alike.
    """
    with contextlib.suppress(Exception):  # an unexpected tokenizer: keep its own behaviour
        from tokenizers import Regex, pre_tokenizers

        if tokenizer.pre_tokenizer is None:
            tokenizer.pre_tokenizer = pre_tokenizers.Split(pattern=Regex("\u2581+[^\u2581]*|[^\u2581]+"), behavior="isolated")
