"""What both adapters share: the reader's and the writer target's common behaviour."""

from __future__ import annotations

from typing import Any

from rbh.indexer.store.model import DENSE_VECTOR, SPARSE_VECTOR, IndexState, Prefetch, Record, StoreSettings
from rbh.indexer.store.filters import path_filter


class StoreReader:
    """An open, checked, live index. Subclasses implement ``search``, ``scroll``, ``count``, ``close``."""

    dense_vector = DENSE_VECTOR
    sparse_vector = SPARSE_VECTOR

    def __init__(self, settings: StoreSettings, state: IndexState, dim: int):
        self.settings = settings
        self.state = state
        self.alias = settings.alias
        self.collection = state.collection
        self.location = settings.location
        self.dim = dim

    # -- implemented by the adapters
    def search(self, prefetches: list[Prefetch], *, limit: int, rrf_k: int = 60,
               filters: dict[str, Any] | None = None, with_vectors: bool = True) -> list[Record]:
        raise NotImplementedError

    def scroll(self, filters: dict[str, Any] | None = None, *, with_vectors: bool = False) -> list[Record]:
        raise NotImplementedError

    def count(self, filters: dict[str, Any] | None = None) -> int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- shared
    def records_of(self, path: str) -> list[Record]:
        return self.scroll(path_filter([path]))

    def __enter__(self) -> "StoreReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Target:
    """Where one indexing run writes. Subclasses implement ``upsert``, ``scroll``, ``delete_ids``,
    ``delete_filter``, ``count`` and ``close``."""

    def __init__(self, collection: str, full: bool):
        self.collection = collection
        self.full = full

    def __deepcopy__(self, memo: dict) -> "Target":
        """A handle on an open generation or collection: shared, never copied (Haystack deep-copies
        a pipeline's run inputs)."""
        return self

    def upsert(self, records: list[Record]) -> None:
        raise NotImplementedError

    def scroll(self, filters: dict[str, Any] | None, *, with_vectors: bool = False) -> list[Record]:
        raise NotImplementedError

    def delete_ids(self, ids: list[str]) -> None:
        raise NotImplementedError

    def delete_filter(self, filters: dict[str, Any]) -> int:
        raise NotImplementedError

    def count(self, filters: dict[str, Any] | None = None) -> int:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def points_of(self, path: str, with_vectors: bool = False) -> list[Record]:
        """Records of runbook *path* as they are in the target now."""
        return self.scroll(path_filter([path]), with_vectors=with_vectors)

    def delete_paths(self, paths: list[str]) -> int:
        removed = 0
        for i in range(0, len(paths), 64):
            removed += self.delete_filter(path_filter(paths[i : i + 64]))
        return removed
