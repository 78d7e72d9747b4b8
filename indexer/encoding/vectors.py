"""The key under which a chunk's vectors are reused, and the cache of a previous index's vectors
(filled by the store, read by ``indexer.components.reuse.VectorReuse``)."""

from __future__ import annotations

import hashlib
from typing import Any

from rbh.indexer.encoding.terms import chunk_text


def text_key(title: str | None, heading_path: list[str] | None, content: str | None) -> bytes:
    """Hash of a chunk's embedding text (16 bytes; collisions are not a practical concern)."""
    return hashlib.blake2b(chunk_text(title, heading_path, content).encode("utf-8"), digest_size=16).digest()


class VectorCache:
    """Vectors of the previous index by ``text_key`` (a run-time handle, passed as a ``run()`` input).

    Haystack deep-copies a pipeline's run inputs before each component runs; this read-only cache
    (about 20,000 vectors at 2,000 runbooks) is shared instead (``__deepcopy__`` returns itself):
    copying it for every batch cost minutes."""

    def __init__(self, data: dict[bytes, Any] | None = None) -> None:
        self._data = data or {}

    def get(self, key: bytes) -> Any:
        return self._data.get(key)

    def __setitem__(self, key: bytes, value: Any) -> None:
        self._data[key] = value

    def __len__(self) -> int:
        return len(self._data)

    def __bool__(self) -> bool:
        return bool(self._data)

    def __deepcopy__(self, memo: dict) -> "VectorCache":
        return self
