"""What both adapters share: the reader's and the writer target's common behaviour."""

from __future__ import annotations

from typing import Any

from rbh.indexer.store.model import DENSE_VECTOR, SPARSE_VECTOR, IndexState, Prefetch, Record, StoreSettings, fuse_rrf, record_order
from rbh.indexer.store.filters import path_filter


class StoreReader:
    """An open, checked, live index. Subclasses implement ``nearest``, ``scroll``, ``count``, ``close``."""

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
    def nearest(self, queries: list[tuple[Prefetch, int]], filters: dict[str, Any] | None,
                with_vectors: bool) -> list[list[Record]]:
        """For each (prefetch, n): the n chunks nearest to the prefetch's query on its vector, best
        first, in one request to the engine."""
        raise NotImplementedError

    def scroll(self, filters: dict[str, Any] | None = None, *, with_vectors: bool = False) -> list[Record]:
        raise NotImplementedError

    def count(self, filters: dict[str, Any] | None = None) -> int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- shared
    def search(self, prefetches: list[Prefetch], *, limit: int, rrf_k: int = 60,
               filters: dict[str, Any] | None = None, with_vectors: bool = True) -> list[Record]:
        """The *limit* best chunks by weighted RRF of the prefetches' rankings, best first.

        Fused here, not by Qdrant's RRF query: Qdrant breaks equal scores by its internal point
        order, which differs from one build of the same commit to the next (``record_order``), and
        both the rankings and the fusion must break them by a key of ours to give the same answer."""
        return fuse_rrf(self.rankings(prefetches, filters, with_vectors), [p.weight for p in prefetches], rrf_k, limit)

    def rankings(self, prefetches: list[Prefetch], filters: dict[str, Any] | None = None,
                 with_vectors: bool = True) -> list[list[Record]]:
        """Each prefetch's ``limit`` best chunks in ``record_order``.

        Chunks that tie at the cut-off are all fetched before the cut (Qdrant would keep whichever
        come first in its point order): one more than the limit is asked for, and while the last
        chunk fetched still scores as much as the one at the cut, twice as many."""
        out: list[list[Record]] = [[] for _ in prefetches]
        fetch = {i: p.limit + 1 for i, p in enumerate(prefetches) if p.limit > 0}
        while fetch:
            todo = list(fetch)
            got = self.nearest([(prefetches[i], fetch[i]) for i in todo], filters, with_vectors)
            for i, records in zip(todo, got):
                ranked = sorted(records, key=record_order)
                n = prefetches[i].limit
                if len(records) >= fetch[i] and ranked[-1].score >= ranked[n - 1].score:
                    fetch[i] *= 2  # the tie at the cut-off may go on past what was fetched
                    continue
                out[i] = ranked[:n]
                del fetch[i]
        return out

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
