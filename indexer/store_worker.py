"""The store side of a query: Qdrant calls behind a small request/response interface that runs either
in this process or in a forked child.

Why a child: importing qdrant-client is the largest single cost of a cold `rbh ask` (most of a
second), and nothing else the command does before its first query needs Qdrant. `rbh ask` forks at
its very start; the child imports qdrant-client, opens the store and waits for requests while the
parent reads the config, the alert catalog and loads the embedding model. The two cores do the two
halves at the same time. Requests and answers are plain data (dicts, lists, floats) sent over a
``multiprocessing`` pipe, so the parent never imports qdrant-client.

Without ``os.fork``, with ``RBH_NO_FORK=1``, when the process already runs threads, or when the
cores are busy (1-minute load average at or above the number of CPUs: the child would only compete
with the parent), the same ``StoreBackend`` runs in-process; ``rbh eval`` always uses it in-process.

Requests: ``state``, ``search`` (the fused dense + sparse ``query_points``), ``scroll`` (every chunk
of one runbook), ``close``. An error in the child comes back as (class name, message) and is raised
in the parent as the same ``rbh.errors`` class, so messages and exit codes do not depend on where
the store was opened.
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)


def _point(p: Any, with_vectors: bool, dense_name: str, sparse_name: str) -> dict[str, Any]:
    payload = p.payload or {}
    out: dict[str, Any] = {"id": str(payload.get("id") or p.id), "content": payload.get("content") or "",
                           "meta": payload.get("meta") or {}, "score": float(getattr(p, "score", 0.0) or 0.0)}
    if with_vectors and isinstance(p.vector, dict):
        dense = p.vector.get(dense_name)
        sparse = p.vector.get(sparse_name)
        out["dense"] = list(dense) if dense is not None else None
        out["sparse_indices"] = list(getattr(sparse, "indices", None) or [])
    return out


class StoreBackend:
    """Qdrant on this process's side: opens the project's live index and answers requests."""

    def __init__(self, project: Any, qdrant_url: str | None = None):
        from indexer.fast_import import import_qdrant_client
        from indexer.store import open_store

        import_qdrant_client()
        self.store = open_store(project, read_only=True, qdrant_url=qdrant_url)

    def close(self) -> None:
        self.store.close()

    def call(self, op: str, **args: Any) -> Any:
        return getattr(self, f"op_{op}")(**args)

    def op_state(self) -> dict[str, Any]:
        s = self.store.state
        return {"commit": s.commit, "ref": s.ref, "indexed_at": s.indexed_at, "worktree": s.worktree,
                "location": self.store.location}

    def op_search(self, *, dense: list[float], terms: list[int], limit: int, prefetch: int, dense_weight: float,
                  sparse_weight: float, rrf_k: int, filters: dict[str, list[str]] | None = None,
                  paths: list[str] | None = None) -> list[dict[str, Any]]:
        from qdrant_client import models

        from indexer.query import Filters

        store = self.store
        flt = Filters(**{k: tuple(v) for k, v in (filters or {}).items()}).to_qdrant()
        if paths:
            by_path = models.FieldCondition(key="meta.path", match=models.MatchAny(any=list(paths)))
            flt = models.Filter(must=[by_path, *([flt] if flt else [])])
        n = max(limit, prefetch)
        pre = [models.Prefetch(query=dense, using=store.dense_vector, limit=n, filter=flt)]
        weights = [dense_weight]
        if terms:
            sparse = models.SparseVector(indices=list(terms), values=[1.0] * len(terms))
            pre.append(models.Prefetch(query=sparse, using=store.sparse_vector, limit=n, filter=flt))
            weights.append(sparse_weight)
        if len(set(weights)) == 1:
            fusion: Any = models.FusionQuery(fusion=models.Fusion.RRF)
        else:
            fusion = models.RrfQuery(rrf=models.Rrf(k=rrf_k, weights=weights))
        try:
            res = store.client.query_points(store.alias, prefetch=pre, query=fusion, limit=limit,
                                            with_payload=True, with_vectors=True)
        except Exception as exc:  # noqa: BLE001 - one line for the user, details in --verbose
            from indexer.sync import ensure_store_error

            log.debug("query failed", exc_info=True)
            raise ensure_store_error(exc, store.location) from None
        return [_point(p, True, store.dense_vector, store.sparse_vector) for p in res.points]

    def op_scroll(self, *, path: str) -> list[dict[str, Any]]:
        from qdrant_client import models

        store = self.store
        flt = models.Filter(must=[models.FieldCondition(key="meta.path", match=models.MatchValue(value=path))])
        points, offset = [], None
        while True:
            batch, offset = store.client.scroll(store.alias, scroll_filter=flt, limit=256, offset=offset,
                                                with_payload=True, with_vectors=False)
            points.extend(batch)
            if offset is None:
                break
        return [_point(p, False, store.dense_vector, store.sparse_vector) for p in points]


def _raise_remote(kind: str, message: str) -> None:
    from rbh import errors

    cls = getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, errors.RbhError):
        raise cls(message)
    raise errors.StoreError(f"{kind}: {message}")


class ForkedStore:
    """A ``StoreBackend`` in a forked child, driven over a pipe. Started before the parent needs it."""

    def __init__(self, qdrant_url: str | None = None):
        from multiprocessing import Pipe

        self._conn, child_conn = Pipe()
        self._pid = os.fork()
        if self._pid == 0:  # the child: never returns, never writes to stdout, never runs atexit hooks
            status = 0
            try:
                self._conn.close()
                _serve(child_conn, qdrant_url)
            except BaseException:  # noqa: BLE001 - the parent sees EOF and reports it
                status = 1
            finally:
                os._exit(status)
        child_conn.close()
        self._closed = False

    def open(self, project: Any) -> None:
        """Tell the reader which index to open (no reply: an error comes back with the first request).

        Sends the root and the validated config rather than letting the child load the project:
        the child spends that time importing qdrant-client instead."""
        try:
            self._conn.send(("open", {"root": str(project.root), "config": project.config.model_dump(mode="json")}))
        except (OSError, ValueError):
            pass  # the next call reports the dead reader

    def call(self, op: str, **args: Any) -> Any:
        import time

        started = time.perf_counter()
        try:
            self._conn.send((op, args))
            ok, value = self._conn.recv()
            log.debug("index reader: %s answered in %.3fs (parent %.3fs CPU since start)", op,
                      time.perf_counter() - started, time.process_time())
        except (EOFError, OSError):
            from rbh.errors import StoreError

            raise StoreError("the index reader process ended unexpectedly; run again with RBH_NO_FORK=1 -v for details") from None
        if not ok:
            _raise_remote(*value)
        return value

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._conn.send(("close", {}))
        except (OSError, ValueError):
            pass
        self._conn.close()
        import time

        started = time.perf_counter()
        try:
            os.waitpid(self._pid, 0)
        except ChildProcessError:
            pass
        log.debug("index reader: closed in %.3fs", time.perf_counter() - started)


def _serve(conn: Any, qdrant_url: str | None) -> None:
    from indexer.fast_import import import_qdrant_client

    import_qdrant_client()  # the reason this process exists: do it while the parent does the rest
    import time

    log.debug("index reader: qdrant-client imported (%.3fs CPU since start)", time.process_time())
    backend: StoreBackend | None = None
    error: tuple[str, str] | None = None
    try:
        while True:
            try:
                op, args = conn.recv()
            except EOFError:
                return
            if op == "close":
                return
            if op == "open":
                try:
                    from pathlib import Path

                    from rbh.config import Config
                    from rbh.project import Project

                    project = Project(root=Path(args["root"]), config=Config.model_validate(args["config"]))
                    backend = StoreBackend(project, qdrant_url)
                except Exception as exc:  # noqa: BLE001 - reported with the first request
                    log.debug("index reader failed to open the store", exc_info=True)
                    error = (type(exc).__name__, str(exc))
                continue
            if error is not None or backend is None:
                conn.send((False, error or ("StoreError", "the index reader was not told which index to open")))
                continue
            try:
                conn.send((True, backend.call(op, **args)))
            except Exception as exc:  # noqa: BLE001 - sent to the parent as its own error class
                log.debug("index reader request %s failed", op, exc_info=True)
                conn.send((False, (type(exc).__name__, str(exc))))
    finally:
        if backend is not None:
            backend.close()


def can_fork() -> bool:
    """Fork only when it is safe (one thread, no lock held by another) and pays: a second process
    costs ~0.5 s more CPU in all, which only comes back as wall time when a core is free
    (``RBH_FORK=1`` forces it, ``RBH_NO_FORK=1`` forbids it)."""
    import threading

    if not hasattr(os, "fork") or os.environ.get("RBH_NO_FORK") or threading.active_count() != 1:
        return False
    if os.environ.get("RBH_FORK"):
        return True
    cpus = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    # The 1-minute load average counts the caller too (a script asking in a loop adds ~1): below one
    # runnable task per core the child measured 1.0 s against 1.5 s in one process; at 3 on 2 cores,
    # 3.3 s against 2.4 s (bench/README.md).
    return cpus >= 2 and load < cpus


def start_reader(qdrant_url: str | None = None) -> ForkedStore | None:
    """Fork the index reader now (the start of `rbh ask`; ``open(project)`` it once the project is
    loaded), or None when forking is not possible."""
    if not can_fork():
        return None
    try:
        return ForkedStore(qdrant_url)
    except OSError as exc:
        log.debug("cannot fork the index reader: %s", exc)
        return None
