"""The embedded store: Qdrant Edge shards in immutable, published generations.

Layout of the store root (``store.path``, default ``.rbh/qdrant``)::

    rbh-store.json          marker: {"format": 2, "engine": "qdrant-edge", "store_id": ..., "uid": ...}
    PUBLISHED               pointer: {"generation": "edge-...", ...}, switched by an atomic rename
    writer.lock             one indexer at a time (flock; a second one gets "in use ... (pid N)")
    leases/                 one file per open reader, flock-held while it reads a generation
    edge-<ns>-<hex>/        a generation: rbh-generation.json (its store_id), state.json
                            (``IndexState``), shard/ (an ``EdgeShard`` created with wal_enabled=False)

**Immutable generations.** A published generation's content never changes. ``rbh index`` copies
the serving generation into another folder (incremental) or creates an empty one (rebuild), writes
there, flushes, loads it once more (Edge settles its id tracker and journals on the first load
after writes), fsyncs it and switches ``PUBLISHED``.

**The spare.** The generation that publishing replaces is kept (when no reader holds it) as the
spare: the next incremental run renames it and makes it a copy of the serving one by rewriting
only the files that differ (size or modification time; ``shardfiles.mirror_shard``), instead of copying
the whole shard and deleting the replaced one. A one-file change then writes about a megabyte
instead of the whole index (64 MB at 2,000 runbooks, 655 MB at 20,000: bench/README.md), at the
price of a second copy of the index on disk. Any other unpublished generation is removed. Qdrant Edge 0.9 still rewrites a few metadata
files on every load and close (config and segment JSON by atomic rename, mmapped flags), with the
same bytes; the tests check that asking leaves every file of a generation byte-identical. A shard without a
WAL takes no lock, so any number of ``rbh ask`` processes load the same generation at once, while
the indexer writes another. A killed indexer leaves an unpublished folder that the next run removes.

**Reader leases.** A reader takes a lease (a file in ``leases/`` it holds an exclusive ``flock`` on,
created under a temporary name and renamed, so it is never seen unlocked), then re-reads
``PUBLISHED``: if it still names the same generation, that generation cannot be removed while the
lease lives (the indexer removes a generation only after switching away from it and finding no
live lease on it); otherwise it retries with the new one. A lease whose process died is unlocked
and is removed by the next indexer.

**No store from git, and only our own generations.** rbh never opens a store root that git tracks
files under, nor one whose marker was not written by rbh for this user: the marker's ``store_id``
must be registered for this folder in the user's cache folder (``user_cache_dir()/stores/<id>``
names the store root) and the marker owned by this uid. Only generations that carry this store's id are ever removed; anything else in the
folder is left alone.

**Damage.** On open the recorded point count is compared with the shard's; an unreadable pointer,
state or shard is an error telling the user to run ``rbh index --full``, which rebuilds whatever
state the folder is in. ``rbh index`` rebuilds a damaged index by itself, with a notice.

An index built by earlier rbh versions (Qdrant local mode: ``CURRENT`` and ``gen-*/meta.json``)
is detected: readers say to run ``rbh index``, which builds an Edge generation beside it with a
one-line notice (the old files are left for the user to delete: rbh did not mark them).

POSIX only (``fcntl``), like the rest of the local store's locking.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import subprocess
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

from rbh.indexer.store.model import (
    DENSE_VECTOR,
    PAYLOAD_INDEXES,
    SPARSE_VECTOR,
    IndexState,
    Prefetch,
    Record,
    SparseValues,
    VECTORS,
    StoreSettings,
    check_readable,
    damaged,
    norm_id,
    record_position,
    user_cache_dir,
    utc_now,
)
from rbh.indexer.store.base import StoreReader, Target
from rbh.indexer.store import shardfiles
from rbh.indexer.store.filters import to_edge
from rbh.errors import StoreError

log = logging.getLogger(__name__)

MARKER = "rbh-store.json"
GEN_MARKER = "rbh-generation.json"
STATE_FILE = "state.json"
POINTER = "PUBLISHED"
WRITER_LOCK = "writer.lock"
LEASES = "leases"
GEN_PREFIX = "edge-"
SHARD = "shard"
ENGINE = "qdrant-edge"


# ------------------------------------------------------------------------------------------------
# Trust: not from git, created by rbh for this user


def _tracked_by_git(settings: StoreSettings) -> str | None:
    """The store root relative to the repository when git tracks a file under it, else None."""
    root, repo = settings.path, settings.repo_root
    if repo is None or root is None:
        return None
    try:
        rel = root.relative_to(repo)
    except ValueError:
        return None
    try:
        out = subprocess.run(["git", "-c", "core.fsmonitor=false", "-C", str(repo), "ls-files", "-z", "--cached", "--", str(rel)],
                             capture_output=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return rel.as_posix() if out.strip(b"\x00") else None


def _refuse_tracked(settings: StoreSettings) -> None:
    rel = _tracked_by_git(settings)
    if rel is not None:
        raise StoreError(f"index folder {settings.path} holds files tracked by git: rbh never opens an index from git "
                         f"(it could be anyone's); remove them from git (git rm -r --cached {rel}) and run 'rbh index'")


def _registry() -> Path:
    return user_cache_dir() / "stores"


def _read_marker(root: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((root / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _own_store_id(root: Path) -> str | None:
    """This store's id when rbh created the folder for this user (registered marker, our uid)."""
    data = _read_marker(root)
    if not data or data.get("engine") != ENGINE:
        return None
    store_id = str(data.get("store_id") or "")
    if not store_id.isalnum() or len(store_id) != 32:
        return None
    if hasattr(os, "getuid"):
        with suppress(OSError):
            if (root / MARKER).stat().st_uid != os.getuid():
                return None
    try:  # registered by this user for this very folder (a copied or moved store is not trusted)
        entry = json.loads((_registry() / store_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return store_id if isinstance(entry, dict) and entry.get("path") == str(root) else None


def _adopt(root: Path) -> str:
    """Write a new marker for *root* and register its id for this user; returns the id."""
    store_id = os.urandom(16).hex()
    reg = _registry()
    reg.mkdir(parents=True, exist_ok=True)
    (reg / store_id).write_text(json.dumps({"path": str(root), "created_at": utc_now()}), encoding="utf-8")
    _write_json(root / MARKER, {"format": 2, "engine": ENGINE, "store_id": store_id,
                                "uid": os.getuid() if hasattr(os, "getuid") else None, "created_at": utc_now()})
    return store_id


def _old_layout(root: Path) -> bool:
    """An index of rbh before Qdrant Edge (Qdrant local mode)."""
    return (root / "CURRENT").is_file() or any(root.glob("gen-*/meta.json"))


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(3).hex()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------------------
# Generations


def _published(root: Path) -> str | None:
    """The published generation's name; raises ``StoreError`` (damaged) for an unreadable pointer."""
    try:
        data = json.loads((root / POINTER).read_text(encoding="utf-8"))
        name = str(data["generation"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise damaged(str(root), f"unreadable {POINTER} file: {type(exc).__name__}") from None
    if not name.startswith(GEN_PREFIX) or "/" in name or name in (".", ".."):
        raise damaged(str(root), f"{POINTER} names '{name[:60]}'")
    return name


def _gen_store_id(gen: Path) -> str | None:
    with suppress(OSError, ValueError, AttributeError):
        return str(json.loads((gen / GEN_MARKER).read_text(encoding="utf-8")).get("store_id"))
    return None


def _read_state(gen: Path) -> IndexState | None:
    try:
        meta = json.loads((gen / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return IndexState.from_metadata(gen.name, meta)


def _edge_config(dim: int):
    import qdrant_edge as qe

    dense = {n: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine) for n, kind in VECTORS.items() if kind == "dense"}
    # Every generation is loaded by every `rbh ask` and twice by every `rbh index`, so the layout is
    # chosen for load time (bench/README.md, "The store on Qdrant Edge"): segments that Qdrant's
    # optimizer has made immutable keep their sparse index, id tracker and
    # keyword indexes on disk, memory-mapped, instead of rebuilding them in RAM on each load; no
    # HNSW graph (m=0), because an exact scan of 20,000 dense vectors takes milliseconds and a graph
    # would only add build and load time (and approximate, build-dependent ties).
    sparse = {n: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf if kind == "sparse-idf" else None, memory=qe.Memory.Cold)
              for n, kind in VECTORS.items() if kind.startswith("sparse")}
    # published shards are read by many processes at once; a WAL would lock them
    return qe.EdgeConfig(vectors=dense, sparse_vectors=sparse, wal_enabled=False, id_tracker_memory=qe.Memory.Cold,
                         hnsw_config=qe.HnswIndexConfig(m=0, ef_construct=100, full_scan_threshold=10_000))


def _payload_index():
    import qdrant_edge as qe

    return qe.KeywordIndexParams(memory=qe.Memory.Cold)


def _index_memory(info):
    """Memory placement of a payload index (``None``: Qdrant's default, in RAM)."""
    params = info.params
    return getattr(params, "memory", None) if params is not None else None


def _load(gen: Path):
    import qdrant_edge as qe

    return qe.EdgeShard.load(str(gen / SHARD))


def _count(shard, flt=None) -> int:
    import qdrant_edge as qe

    return int(shard.count(qe.CountRequest(exact=True, filter=flt)))


def _verified(gen: Path, location: str) -> tuple[Any, IndexState]:
    """(loaded shard, state) of a generation whose stored count matches its recorded one."""
    state = _read_state(gen)
    if state is None or not state.complete:
        raise damaged(location, "its state file is missing or unreadable")
    try:
        shard = _load(gen)
    except Exception as exc:  # noqa: BLE001 - Edge raises plain exceptions for unreadable segments
        raise damaged(location, f"the shard cannot be loaded: {str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__}") from None
    try:
        stored = _count(shard)
    except Exception as exc:  # noqa: BLE001
        shard.close()
        raise damaged(location, f"the shard cannot be read: {type(exc).__name__}") from None
    if stored != state.chunks:
        shard.close()
        raise damaged(location, f"it holds {stored} chunks, its state records {state.chunks}")
    return shard, state


def _to_record(p, with_vectors: bool) -> Record:
    vectors: dict[str, Any] = {}
    if with_vectors and isinstance(p.vector, dict):
        for name, v in p.vector.items():
            if hasattr(v, "indices"):
                vectors[name] = SparseValues(list(v.indices), list(v.values))
            else:
                vectors[name] = list(v)
    return Record(id=norm_id(p.id), payload=dict(p.payload or {}), vectors=vectors, score=float(getattr(p, "score", 0.0) or 0.0))


def _to_point(r: Record):
    import qdrant_edge as qe

    vec: dict[str, Any] = {}
    for name, v in r.vectors.items():
        vec[name] = qe.SparseVector(list(v.indices), list(v.values)) if isinstance(v, SparseValues) else list(v)
    return qe.Point(r.id, vec, r.payload)


def _scroll(shard, flt, with_vectors: bool) -> list[Record]:
    import qdrant_edge as qe

    out: list[Record] = []
    offset = None
    while True:
        recs, offset = shard.scroll(qe.ScrollRequest(offset=offset, limit=1024, filter=flt, with_payload=True, with_vector=with_vectors))
        out.extend(_to_record(r, with_vectors) for r in recs)
        if offset is None:
            return out


def _query(q, qe):
    if isinstance(q, SparseValues):
        return qe.SparseVector(list(q.indices), list(q.values))
    return list(q)


# ------------------------------------------------------------------------------------------------
# Reading


class EdgeReader(StoreReader):
    """A published generation, loaded, with a lease that keeps it from being removed."""

    def __init__(self, settings: StoreSettings, state: IndexState, dim: int, shard, lease: "_Lease"):
        super().__init__(settings, state, dim)
        self._shard = shard
        self._lease = lease

    @classmethod
    def open(cls, settings: StoreSettings, wanted: dict[str, Any]) -> "EdgeReader":
        root = settings.path
        assert root is not None
        location = str(root)
        if not root.is_dir():
            raise StoreError(f"no index at {location} yet: run 'rbh index' first")
        _refuse_tracked(settings)
        if not (root / MARKER).exists():
            if _old_layout(root):
                raise StoreError(f"index at {location} was built by an earlier rbh (Qdrant local mode), which this version "
                                 "does not read: run 'rbh index' to rebuild it")
            raise StoreError(f"no index at {location} yet: run 'rbh index' first")
        store_id = _own_store_id(root)
        if store_id is None:
            raise StoreError(f"index at {location} was not created by rbh for this user, so rbh does not open it: "
                             "run 'rbh index --full' to build your own")
        for attempt in range(20):
            name = _published(root)
            if name is None:
                raise StoreError(f"no index at {location} yet: run 'rbh index' first")
            lease = _Lease.take(root, name)
            try:
                if _published(root) != name:  # switched meanwhile: its old generation may be going away
                    lease.release()
                    time.sleep(0.01 * (attempt + 1))
                    continue
                gen = root / name
                if _gen_store_id(gen) != store_id:
                    raise damaged(location, f"{POINTER} names a generation this store did not create")
                shard, state = _verified(gen, location)
            except BaseException:
                lease.release()
                raise
            try:
                check_readable(location, state, state.chunks, wanted)
            except BaseException:
                shard.close()
                lease.release()
                raise
            log.debug("index reader: generation %s (%d chunks)", name, state.chunks)
            return cls(settings, state, wanted["dim"], shard, lease)
        raise StoreError(f"index at {location} keeps changing while being opened; try again")

    def nearest(self, queries: list[tuple[Prefetch, int]], filters: dict[str, Any] | None) -> list[list[Record]]:
        import qdrant_edge as qe

        flt = to_edge(filters)
        batch = qe.QueryBatchRequest([qe.QueryRequest(limit=n, query=qe.Query.Nearest(_query(p.query, qe), using=p.using), filter=flt,
                                                      with_payload=False, with_vector=False) for p, n in queries])
        try:
            results = self._shard.query_batch(batch)
        except Exception as exc:  # noqa: BLE001 - one line for the user
            raise self._failed(exc) from None
        return [[Record(id=norm_id(p.id), payload={}, score=p.score) for p in points] for points in results]

    def retrieve(self, ids: list[str], *, payload: bool | list[str] = True, with_vectors: bool = False) -> dict[str, Record]:
        try:
            points = self._shard.retrieve(list(ids), with_payload=payload, with_vector=with_vectors)
        except Exception as exc:  # noqa: BLE001 - one line for the user
            raise self._failed(exc) from None
        return {r.id: r for r in (_to_record(p, with_vectors) for p in points)}

    def _failed(self, exc: Exception) -> StoreError:
        return StoreError(f"index at {self.location}: query failed: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}")

    def scroll(self, filters: dict[str, Any] | None = None, *, with_vectors: bool = False) -> list[Record]:
        return _scroll(self._shard, to_edge(filters), with_vectors)

    def count(self, filters: dict[str, Any] | None = None) -> int:
        return _count(self._shard, to_edge(filters))

    def close(self) -> None:
        if self._shard is not None:
            with suppress(Exception):
                self._shard.close()
            self._shard = None
        if self._lease is not None:
            self._lease.release()
            self._lease = None


class _Lease:
    """A reader's claim on one generation: a flock-held file in ``leases/``."""

    def __init__(self, fd: int, path: Path):
        self.fd, self.path = fd, path

    @classmethod
    def take(cls, root: Path, gen_name: str) -> "_Lease":
        folder = root / LEASES
        folder.mkdir(exist_ok=True)
        tag = f"{os.getpid()}.{os.urandom(4).hex()}"
        tmp = folder / f".tmp.{tag}"
        fd = os.open(tmp, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            final = folder / f"{gen_name}.{tag}"
            os.rename(tmp, final)  # seen only once locked
        except BaseException:
            os.close(fd)
            with suppress(OSError):
                tmp.unlink()
            raise
        return cls(fd, final)

    def release(self) -> None:
        with suppress(OSError):
            self.path.unlink()
        with suppress(OSError):
            os.close(self.fd)


def _live_leases(root: Path, gen_name: str) -> int:
    """Leases held on *gen_name* by running readers; stale ones (their process died) are removed."""
    live = 0
    folder = root / LEASES
    if not folder.is_dir():
        return 0
    for lease in folder.iterdir():
        if lease.name.startswith(".tmp."):
            # a reader between creating and renaming its lease; only a leftover of a killed one goes
            with suppress(OSError):
                if time.time() - lease.stat().st_mtime > 60:
                    lease.unlink()
            continue
        if not lease.name.startswith(gen_name + "."):
            continue
        try:
            fd = os.open(lease, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            live += 1
            continue
        finally:
            os.close(fd)
        with suppress(OSError):
            lease.unlink()  # nobody holds it: its reader is gone
    return live


# ------------------------------------------------------------------------------------------------
# Writing


class EdgeTarget(Target):
    """An unpublished generation, loaded for writing."""

    def __init__(self, generation: Path, shard, full: bool):
        super().__init__(generation.name, full)
        self.generation = generation
        self.shard = shard

    def upsert(self, records: list[Record]) -> None:
        import qdrant_edge as qe

        # One point per operation, in path and chunk order: Qdrant Edge 0.9 numbers the points of a
        # multi-point upsert in a per-process random order (the same batch gave three orders in three
        # processes), and that order breaks Qdrant's score ties. Readers no longer depend on it
        # (``record_order``), but two builds of one commit now hold their points alike. Measured:
        # 5,000 points cost the same one by one as in batches of 256.
        for r in sorted(records, key=record_position):
            self.shard.update(qe.UpdateOperation.upsert_points([_to_point(r)]))

    def scroll(self, filters, *, with_vectors: bool = False) -> list[Record]:
        return _scroll(self.shard, to_edge(filters), with_vectors)

    def delete_ids(self, ids: list[str]) -> None:
        import qdrant_edge as qe

        if ids:
            self.shard.update(qe.UpdateOperation.delete_points(list(ids)))

    def delete_filter(self, filters: dict[str, Any]) -> int:
        import qdrant_edge as qe

        flt = to_edge(filters)
        n = _count(self.shard, flt)
        if n:
            self.shard.update(qe.UpdateOperation.delete_points_by_filter(flt))
        return n

    def count(self, filters: dict[str, Any] | None = None) -> int:
        return _count(self.shard, to_edge(filters))

    def close(self) -> None:
        if self.shard is not None:
            with suppress(Exception):
                self.shard.close()
            self.shard = None


class EdgeWriter:
    """The indexer's side of the embedded store: one writer at a time, atomic publication."""

    def __init__(self, settings: StoreSettings, dim: int):
        self.settings = settings
        self.dim = dim
        self.root: Path = settings.path  # type: ignore[assignment]
        self.state: IndexState | None = None
        self.notices: list[str] = []
        self._lock_fd: int | None = None
        self._store_id: str | None = None
        self._sweeper: threading.Thread | None = None
        self._flusher: threading.Thread | None = None

    # -------------------------------------------------------------------------------- lifecycle
    def __enter__(self) -> "EdgeWriter":
        from rbh.paths import keep_out_of_git

        root = self.root
        _refuse_tracked(self.settings)
        root.mkdir(parents=True, exist_ok=True)
        keep_out_of_git(root)
        self._lock()
        try:
            self._store_id = _own_store_id(root)
            if self._store_id is None:
                marker = root / MARKER
                if marker.exists() and hasattr(os, "getuid") and marker.stat().st_uid != os.getuid():
                    raise StoreError(f"index folder {root} belongs to another user: rbh does not write into it (set store.path)")
                if marker.exists():
                    self.notices.append(f"the index at {root} was not created by rbh for this user: building a new one "
                                        "(its old files are left in place)")
                elif _old_layout(root):
                    self.notices.append(f"the index at {root} was built by an earlier rbh (Qdrant local mode): rebuilding it "
                                        "with Qdrant Edge (delete its old CURRENT and gen-* entries to free the space)")
                self._store_id = _adopt(root)
            self._sweep(keep=None)
            self.state = self._serving_state()
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._wait_flush()
            if self._sweeper is not None:  # generations are removed only under the writer lock
                self._sweeper.join()
                self._sweeper = None
        finally:
            self._unlock()

    def _lock(self) -> None:
        fd = os.open(self.root / WRITER_LOCK, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pid = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise StoreError(f"index at {self.root} is in use by another rbh process (pid {pid})") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            with suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _serving(self) -> Path | None:
        try:
            name = _published(self.root)
        except StoreError as exc:
            self.notices.append(f"{exc}; rebuilding")
            return None
        if name is None:
            return None
        gen = self.root / name
        if _gen_store_id(gen) != self._store_id:
            return None
        return gen

    def _serving_state(self) -> IndexState | None:
        """The serving generation's recorded state (its shard is checked by ``verify`` or ``begin``)."""
        gen = self._serving()
        if gen is None:
            return None
        state = _read_state(gen)
        if state is None or not state.complete:
            self._damaged(damaged(str(self.root), "its state file is missing or unreadable"))
            return None
        return state

    def _damaged(self, exc: StoreError) -> None:
        self.notices.append(f"{str(exc).split(': run')[0]}: rebuilding it")
        self.state = None

    def verify(self) -> bool:
        """Load the serving generation and compare its point count with the recorded one; a damaged
        index is reported (``notices``) and forgotten (``state`` None), so the run rebuilds it."""
        gen = self._serving() if self.state is not None else None
        if gen is None:
            return False
        try:
            shard, _ = _verified(gen, str(self.root))
        except StoreError as exc:
            self._damaged(exc)
            return False
        shard.close()
        return True

    # -------------------------------------------------------------------------------- targets
    def begin(self, full: bool, state: IndexState, touched: list[str] = ()) -> EdgeTarget:
        """A new generation: empty (full) or a copy of the serving one (incremental)."""
        import qdrant_edge as qe

        serving = self._serving() if not full and self.state is not None else None
        spare = self._spare(serving.name) if serving is not None else None
        while serving is not None:
            gen = self.root / f"{GEN_PREFIX}{time.time_ns()}-{os.urandom(3).hex()}"
            if spare is not None:
                # the spare becomes the new generation: renamed (a reader that still finds its old
                # name in PUBLISHED re-reads the pointer), re-marked, then mirrored from the serving one
                os.rename(spare, gen)
                _write_json(gen / GEN_MARKER, {"store_id": self._store_id, "generation": gen.name})
                with suppress(FileNotFoundError):
                    (gen / STATE_FILE).unlink()
                copied = shardfiles.mirror_shard(serving / SHARD, gen / SHARD)
                log.debug("generation %s: the spare %s, %d files rewritten from %s", gen.name, spare.name, copied, serving.name)
            else:
                # marked first (a killed run leaves a folder the next one recognises and removes), then
                # copy-on-write; the copy is checked as the serving one would be (one load, not two)
                self._new_generation(gen)
                shardfiles.copy_shard(serving / SHARD, gen / SHARD)
                log.debug("generation %s: a copy of %s", gen.name, serving.name)
            self._start_flush(gen)
            try:
                # with today's layout: a generation written by an earlier rbh takes it here, and
                # its segments are rewritten when ``publish`` runs the optimizer (once)
                shard = qe.EdgeShard.load(str(gen / SHARD), _edge_config(self.dim))
                stored = _count(shard)
            except Exception as exc:  # noqa: BLE001 - Edge raises plain exceptions for unreadable segments
                stored, shard = None, None
                why = f"the shard cannot be loaded: {str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__}"
            if shard is not None and stored == self.state.chunks:
                target = EdgeTarget(gen, shard, full=False)
                self._ensure_payload_indexes(shard)
                return target
            if shard is not None:
                shard.close()
                why = f"it holds {stored} chunks, its state records {self.state.chunks}"
            self._wait_flush()
            shutil.rmtree(gen, ignore_errors=True)
            if spare is not None:  # the mirror, not the serving generation, may be at fault: copy it whole
                log.info("the recycled generation did not load (%s); copying the serving one", why)
                spare = None
                continue
            self._damaged(damaged(str(self.root), why))  # the caller sees a full target: it rebuilds
            break
        gen = self.root / f"{GEN_PREFIX}{time.time_ns()}-{os.urandom(3).hex()}"
        self._new_generation(gen)
        shard = qe.EdgeShard.create(str(gen / SHARD), _edge_config(self.dim))
        self._ensure_payload_indexes(shard)
        return EdgeTarget(gen, shard, full=True)

    def _start_flush(self, gen: Path) -> None:
        """Write the copied generation to disk in a thread while the run goes on (loading it,
        embedding the changed chunks: CPU work); ``publish`` then syncs only what changed since.
        On a busy disk this wait was most of a one-file ``rbh index``."""
        self._flusher = threading.Thread(target=shardfiles.fsync_tree, args=(gen,), name="rbh-store-flush", daemon=True)
        self._flusher.start()

    def _wait_flush(self) -> None:
        if self._flusher is not None:
            self._flusher.join()
            self._flusher = None

    def _spare(self, serving: str) -> Path | None:
        """The newest generation of this store that does not serve and that no reader holds."""
        for gen in sorted(self.root.glob(f"{GEN_PREFIX}*"), reverse=True):  # names carry time_ns
            if gen.name == serving or gen.is_symlink() or not (gen / SHARD).is_dir():
                continue
            if _gen_store_id(gen) == self._store_id and not _live_leases(self.root, gen.name):
                return gen
        return None

    def _new_generation(self, gen: Path) -> None:
        gen.mkdir()
        _write_json(gen / GEN_MARKER, {"store_id": self._store_id, "generation": gen.name})

    @staticmethod
    def _ensure_payload_indexes(shard) -> list[str]:
        import qdrant_edge as qe

        have = shard.info().payload_schema
        made = [k for k in PAYLOAD_INDEXES if k not in have or _index_memory(have[k]) != qe.Memory.Cold]
        for key in made:
            if key in have:  # in RAM, as an earlier rbh made it
                shard.update(qe.UpdateOperation.delete_field_index(key))
            shard.update(qe.UpdateOperation.create_field_index(key, _payload_index()))
        return made

    def publish(self, target: EdgeTarget, state: IndexState) -> None:
        """Record *state* in the target generation and make it the live index, atomically."""
        state.collection = target.generation.name
        state.complete = True
        gen = target.generation
        shard, target.shard = target.shard, None
        # Closing flushes every pending change (Qdrant's Edge docs: close "cleanly destroys the shard
        # instance, ensuring the data is flushed"); a flush() before it added 0.1-0.2 s at 20,000
        # chunks. Not suppressed: a failed flush must fail the run.
        # Qdrant's own optimizer decides: a new build becomes immutable segments (about 1 s per
        # 10,000 chunks, paid back by every later load); a small update changes nothing here
        # until its thresholds (the indexing threshold, 20 % deleted points) are crossed.
        shard.optimize()
        shard.close()
        # The first load after writes settles Edge's journals and id tracker on disk; once done
        # here, readers' loads change no file of a published generation.
        settled = _load(gen)
        stored = _count(settled)
        settled.close()
        if stored != state.chunks:
            raise StoreError(f"writing the index at {self.root} failed: {stored} chunks stored, {state.chunks} expected")
        _write_json(gen / STATE_FILE, state.to_metadata())
        self._wait_flush()
        shardfiles.fsync_tree(gen)
        _write_json(self.root / POINTER, {"generation": gen.name, "published_at": utc_now()})  # the atomic switch
        shardfiles.fsync_dir(self.root)
        self.state = state
        # Deleting the replaced generation is mostly the file system's work (tens of MB freed),
        # so it runs in a thread while the caller goes on with work that does not touch the index
        # (``rbh index`` refreshes the stored health); ``__exit__`` waits for it, under the lock.
        self._sweeper = threading.Thread(target=self._sweep_quietly, args=(gen.name,), name="rbh-store-sweep", daemon=True)
        self._sweeper.start()

    def abort(self, target: EdgeTarget) -> None:
        """Forget an unfinished target; the live index is untouched."""
        target.close()
        self._wait_flush()
        shutil.rmtree(target.generation, ignore_errors=True)

    def ensure_indexes(self) -> None:
        """Payload indexes are made with each generation; nothing to add to a published one."""

    def vector_cache(self) -> dict:
        """Vectors of the serving index by embedding-text hash (``indexer.encoding.vectors``)."""
        from rbh.indexer.encoding.vectors import text_key

        from rbh.indexer.encoding.vectors import VectorCache

        cache = VectorCache()
        gen = self._serving() if self.state is not None else None
        if gen is None:
            return cache
        shard = _load(gen)
        try:
            for r in _scroll(shard, None, True):
                meta = r.payload.get("meta") or {}
                dense, sparse = r.vectors.get(DENSE_VECTOR), r.vectors.get(SPARSE_VECTOR)
                if dense is not None and sparse is not None:
                    cache[text_key(meta.get("title"), meta.get("heading_path"), r.payload.get("content"))] = (
                        dense, (sparse.indices, sparse.values))
        finally:
            shard.close()
        return cache

    # -------------------------------------------------------------------------------- clean-up
    def _sweep_quietly(self, keep: str) -> None:
        try:
            self._sweep(keep=keep)
        except Exception:  # noqa: BLE001 - a generation left behind is removed by the next run
            log.info("removing replaced generations failed; the next rbh index retries", exc_info=True)

    def _sweep(self, keep: str | None) -> None:
        """Remove this store's generations that do not serve and that no reader holds, except the
        newest of them: the spare that the next incremental run recycles (``_spare``).

        Only folders marked with this store's id go; a foreign folder is never touched."""
        try:
            serving = keep or _published(self.root)
        except StoreError:
            serving = None
        spare = self._spare(serving) if serving else None
        for gen in self.root.glob(f"{GEN_PREFIX}*"):
            if gen.name == serving or gen == spare or not gen.is_dir() or gen.is_symlink():
                continue
            if _gen_store_id(gen) != self._store_id:
                if _unborn(gen):  # killed between creating and marking it: nothing in it to lose
                    shutil.rmtree(gen, ignore_errors=True)
                continue
            if _live_leases(self.root, gen.name):
                log.info("generation %s is still being read; a later run removes it", gen.name)
                continue
            shutil.rmtree(gen, ignore_errors=True)
        if serving:
            _live_leases(self.root, serving)  # drop stale leases of dead readers


def _unborn(gen: Path) -> bool:
    """An empty generation folder, or one holding only a half-written marker."""
    try:
        return all(p.name.startswith(f".{GEN_MARKER}.") for p in gen.iterdir())
    except OSError:
        return False



# ------------------------------------------------------------------------------------------------
# Status


def edge_status(settings: StoreSettings) -> tuple[IndexState | None, int | None, str | None]:
    root = settings.path
    assert root is not None
    if not root.is_dir():
        return None, None, None
    rel = _tracked_by_git(settings)
    if rel is not None:
        return None, None, f"git tracks files under {rel}: rbh does not open it (git rm -r --cached {rel})"
    if not (root / MARKER).exists():
        return None, None, ("built by an earlier rbh (Qdrant local mode): run 'rbh index' to rebuild it" if _old_layout(root) else None)
    store_id = _own_store_id(root)
    if store_id is None:
        return None, None, "not created by rbh for this user: run 'rbh index --full'"
    try:
        name = _published(root)
    except StoreError as exc:
        return None, None, str(exc)
    if name is None:
        return None, None, None
    gen = root / name
    state = _read_state(gen)
    if state is None or _gen_store_id(gen) != store_id:
        return None, None, "damaged: its state is missing or unreadable; run 'rbh index --full'"
    try:
        shard, _ = _verified(gen, str(root))
    except StoreError as exc:
        return state, None, str(exc)
    stored = _count(shard)
    shard.close()
    return state, stored, None


def generation_size(settings: StoreSettings) -> tuple[int, int]:
    """Bytes on disk of the serving generation, and of every generation of this store (the spare,
    and any generation a reader still holds, included)."""
    root = settings.path
    assert root is not None
    try:
        name = _published(root)
    except StoreError:
        return 0, 0
    if name is None:
        return 0, 0
    store_id = _own_store_id(root)

    def size(gen: Path) -> int:
        # blocks on disk: Edge's storage files are sparse (their apparent size is mostly preallocation)
        return sum(f.stat().st_blocks * 512 for f in gen.rglob("*") if f.is_file() and not f.is_symlink())

    serving = size(root / name)
    others = sum(size(g) for g in root.glob(f"{GEN_PREFIX}*")
                 if g.name != name and g.is_dir() and not g.is_symlink() and _gen_store_id(g) == store_id)
    return serving, serving + others
