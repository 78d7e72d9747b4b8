"""What both adapters share: the reader's and the writer target's common behaviour."""

from __future__ import annotations

from typing import Any

from rbh.indexer.store.model import (DENSE_VECTOR, RANK_PAYLOAD, SPARSE_VECTOR, IndexState, Prefetch, Record, StoreSettings,
                                    fuse_rrf, record_order, through_ties, tied)
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
    def nearest(self, queries: list[tuple[Prefetch, int]], filters: dict[str, Any] | None) -> list[list[Record]]:
        """For each (prefetch, n): the n chunks nearest to the prefetch's query on its vector, best
        first, in one request to the engine; ids and scores only (reading payloads is most of a
        query's time)."""
        raise NotImplementedError

    def retrieve(self, ids: list[str], *, payload: bool | list[str] = True, with_vectors: bool = False) -> dict[str, Record]:
        """The stored points *ids* by point id: their payload (or only the keys listed) and vectors."""
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
        fused = through_ties(fuse_rrf(self.rankings(prefetches, filters), [p.weight for p in prefetches], rrf_k), limit)
        stored = self.retrieve([r.id for r in fused], with_vectors=with_vectors) if fused else {}
        out = [Record(r.id, stored[r.id].payload, stored[r.id].vectors, r.score) for r in fused if r.id in stored]
        return sorted(out, key=record_order)[:limit]

    def rankings(self, prefetches: list[Prefetch], filters: dict[str, Any] | None = None) -> list[list[Record]]:
        """Each prefetch's ``limit`` best chunks in ``record_order``; the payload holds path and chunk
        index (``RANK_PAYLOAD``) of the chunks that tie, and is empty for the others.

        Chunks that tie at the cut-off are all fetched before the cut (Qdrant would keep whichever
        come first in its point order): one more than the limit is asked for, and while the last
        chunk fetched still scores as much as the one at the cut, twice as many."""
        out: list[list[Record]] = [[] for _ in prefetches]
        fetch = {i: p.limit + 1 for i, p in enumerate(prefetches) if p.limit > 0}
        while fetch:
            todo = list(fetch)
            got = self.nearest([(prefetches[i], fetch[i]) for i in todo], filters)
            for i, records in zip(todo, got):
                records = sorted(records, key=lambda r: -r.score)
                n = prefetches[i].limit
                if len(records) >= fetch[i] and records[-1].score >= records[n - 1].score:
                    fetch[i] *= 2  # the tie at the cut-off may go on past what was fetched
                    continue
                out[i] = through_ties(records, n)
                del fetch[i]
        ties = sorted({r.id for ranking in out for r in tied(ranking)})
        if ties:  # path and chunk index are read only where they decide the order
            keys = self.retrieve(ties, payload=RANK_PAYLOAD)
            for ranking in out:
                for r in ranking:
                    if r.id in keys:
                        r.payload = keys[r.id].payload
        return [sorted(ranking, key=record_order)[:p.limit] for ranking, p in zip(out, prefetches)]

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
