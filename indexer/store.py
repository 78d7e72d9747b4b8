"""The vector store: Qdrant, embedded on a local path by default, a server or cluster by config.

Store API (what the query side uses)
------------------------------------
``open_store(project, *, read_only=True, qdrant_url=None) -> Store`` (a context manager; ``close()``)

- ``store.client``          the ``qdrant_client.QdrantClient`` (one per store: local mode allows one)
- ``store.document_store``  a ``QdrantDocumentStore`` on the live alias, sharing that client
                            (``use_sparse_embeddings=True``, ``sparse_idf=True``); usable with
                            ``QdrantEmbeddingRetriever`` / ``QdrantSparseEmbeddingRetriever`` /
                            ``QdrantHybridRetriever``
- ``store.alias``           collection name to query (``store.collection`` in config, default
                            ``runbooks``): always an alias onto the physical collection
- ``store.collection``      physical collection behind the alias
- ``store.state``           ``IndexState`` read from the collection metadata (commit, counts, model)
- ``store.location``        where the store is, for messages (URL without credentials)
- ``DENSE_VECTOR`` / ``SPARSE_VECTOR``  vector names (``text-dense`` / ``text-sparse``, Haystack's)
- ``PAYLOAD_INDEXES``       the keyword-indexed payload keys (``meta.path``, ``meta.service`` ...)

Read-only opens refuse (``StoreError``) an index built with another dense model, dimension or
lexical encoder version: its vectors would not be comparable with the query's.

Chunk payload (Haystack ``Document``; qdrant-haystack stores ``meta`` nested, so payload keys and
Qdrant filter keys are ``meta.<field>``; Haystack filters say ``meta.<field>`` too)
-----------------------------------------------------------------------------------------------
``content``: the section text verbatim (heading line included for the first part; code blocks
intact). ``id``: stable, from path + heading path (+ occurrence of a repeated heading path + part).
``meta``:

==================  ==========================================================================
path                repository-relative POSIX path of the runbook
title               runbook title (front matter ``title``, else its H1, else the file name)
heading             text of the section's heading (the title for the text before any heading)
heading_path        list of heading texts, outermost first (empty before the first heading)
anchor              MkDocs anchor of the heading ("" for the text before any heading)
level               heading level (0 before the first heading)
line, end_line      first and last line of the chunk, 1-based, counting front matter lines
part                0 for a whole section; 0, 1, 2 ... for a long section cut into parts
chunk_index         position of the chunk in its runbook; chunk_count: chunks in the runbook
commit              sha of the file's last change at the indexed ref (None if uncommitted)
commit_date         ISO datetime of that commit; author: its author name
blob                git blob sha of the file content that was indexed
service, alerts, tags   lists (from front matter, [] when absent)
owner, team, severity   strings or None
last_reviewed       ISO date or None; review_every: days or None
==================  ==========================================================================

The text that is embedded (dense and sparse) is not stored: it is ``title``, the heading breadcrumb
and ``content`` (``indexer.components.lexical.embedding_text(doc)``), derived when needed.

Layout and concurrency
----------------------
Server: the alias points at the physical collection. An incremental sync writes into the live
collection (new chunks first, stale ones removed after, metadata last): a reader sees the old or the
new version of a file, or briefly both, never neither. A full rebuild writes a new collection and
switches the alias with one atomic ``update_collection_aliases`` call, then drops the old one.

Local (Qdrant local mode): a local folder can be opened by one process at a time (Qdrant takes an
exclusive lock), so a reader and the indexer cannot share one folder. The store path therefore
holds *generations*: ``<store.path>/gen-*/`` are complete Qdrant local folders, and the file
``<store.path>/CURRENT`` names the one that serves. A published generation is never written again:
the indexer copies it (incremental) or starts empty (full rebuild) into a new generation, writes
there, and switches ``CURRENT`` with an atomic ``os.replace``. So ``rbh ask`` during ``rbh index``
reads the previous complete generation; a killed indexer leaves an unpublished folder that the next
run deletes. A reader opens the current generation directly or, when other readers hold it, the
first free *reader copy* ``gen-*.r*`` (made on demand, reused, removed with its generation); it
accepts a generation only if ``CURRENT`` still names it once open. Inside each generation the same
alias layout is used as on a server, so the query code is identical. One indexer at a time:
``<store.path>/writer.lock`` (a second one gets "in use by another rbh process (pid N)").

Cost of local mode: Qdrant local mode keeps every point in memory and loads the whole collection
when a folder is opened (about 4 s for 20,000 chunks on the 2-core reference machine, more under
load). Readers (``rbh ask``) pay that on a large repository; the indexer does not, because it writes
an unpublished generation's point table directly (``LocalFileTarget``). A Qdrant server has neither
cost. See ``bench/README.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import time
import warnings
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

from rbh.errors import StoreError
from rbh.redact import redact, register_secret_env

log = logging.getLogger(__name__)

DENSE_VECTOR = "text-dense"  # == qdrant-haystack's DENSE_VECTORS_NAME (checked in tests)
SPARSE_VECTOR = "text-sparse"  # == qdrant-haystack's SPARSE_VECTORS_NAME
STORE_FORMAT = 1
META_KEY = "rbh"
CURRENT_FILE = "CURRENT"
WRITER_LOCK = "writer.lock"
GEN_PREFIX = "gen-"

#: Payload keys with a keyword index (filters and grouping on the query side).
PAYLOAD_INDEXES = ("meta.path", "meta.service", "meta.owner", "meta.team", "meta.tags", "meta.alerts", "meta.severity")


# ------------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class StoreSettings:
    """Where the store is and how to talk to it (config + environment + command line)."""

    path: Path | None  # local store root (None when a server URL is used)
    url: str | None
    api_key_env: str
    alias: str
    shards: int = 1
    replicas: int = 1
    timeout: float = 10.0
    retries: int = 3

    @property
    def is_local(self) -> bool:
        return self.url is None

    @property
    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) or None

    @property
    def location(self) -> str:
        """For messages: the local path, or the URL without user, password or query."""
        if self.path is not None:
            return str(self.path)
        return display_url(self.url or "")


def display_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def store_settings(project, qdrant_url: str | None = None) -> StoreSettings:
    """Settings from ``--qdrant-url`` > env ``RBH_QDRANT_URL`` > config ``store.url`` > local path."""
    cfg = project.config.store
    register_secret_env(cfg.api_key_env)
    url = qdrant_url or os.environ.get("RBH_QDRANT_URL") or cfg.url
    path = None
    if not url:
        p = Path(cfg.path).expanduser()
        path = (p if p.is_absolute() else project.root / p).resolve()
    return StoreSettings(path=path, url=url or None, api_key_env=cfg.api_key_env, alias=cfg.collection,
                         shards=cfg.shards, replicas=cfg.replicas, timeout=cfg.timeout, retries=cfg.retries)


def client_params(settings: StoreSettings, local_path: Path | None = None) -> dict[str, Any]:
    """Keyword arguments for ``QdrantClient``: a local folder, or a server URL with key and timeout.

    The API key only ever comes from the environment variable named in the config.
    """
    if settings.is_local:
        return {"path": str(local_path or settings.path)}
    params: dict[str, Any] = {"url": settings.url, "timeout": max(1, int(round(settings.timeout))),
                              "check_compatibility": False}
    key = settings.api_key
    if key:
        params["api_key"] = key
    return params


def collection_params(settings: StoreSettings) -> dict[str, Any]:
    """Shard number and replication factor for a new collection (a server or cluster only)."""
    if settings.is_local:
        return {}
    return {"shard_number": settings.shards, "replication_factor": settings.replicas}


# ------------------------------------------------------------------------------------------------
# Index state (the collection's own metadata: the store describes itself)


@dataclass
class IndexState:
    collection: str
    commit: str | None = None
    ref: str | None = None
    worktree: bool = False
    source: str | None = None
    fingerprint: str | None = None
    model_fingerprint: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    files: int = 0
    chunks: int = 0
    indexed_at: str | None = None
    rbh_version: str | None = None
    complete: bool = False
    format: int = STORE_FORMAT

    def to_metadata(self) -> dict[str, Any]:
        return {META_KEY: {k: v for k, v in self.__dict__.items() if k != "collection"}}

    @classmethod
    def from_metadata(cls, collection: str, metadata: dict[str, Any] | None) -> "IndexState | None":
        data = (metadata or {}).get(META_KEY)
        if not isinstance(data, dict):
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "collection"}
        return cls(collection=collection, **known)


# ------------------------------------------------------------------------------------------------
# Client helpers


def _connect(settings: StoreSettings, local_path: Path | None = None):
    """A QdrantClient; for a server, reachability is checked with bounded retries."""
    from qdrant_client import QdrantClient

    params = client_params(settings, local_path)
    if settings.is_local:
        try:
            return QdrantClient(**params)
        except RuntimeError as exc:
            if "already accessed" in str(exc):
                raise StoreError(f"index at {local_path or settings.path} is in use by another process") from None
            raise
    client = QdrantClient(**params)
    with_retries(settings, client.get_collections, "connect")
    return client


def with_retries(settings: StoreSettings, fn: Callable[[], Any], what: str) -> Any:
    """Run *fn* against a server, retrying connection failures and timeouts a bounded number of times."""
    from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

    attempts = settings.retries + 1
    for n in range(attempts):
        try:
            return fn()
        except UnexpectedResponse as exc:
            if exc.status_code == 401 or exc.status_code == 403:
                raise StoreError(f"Qdrant at {settings.location} refused the request ({exc.status_code}): check ${settings.api_key_env}") from None
            if exc.status_code not in (408, 429, 500, 502, 503, 504) or n + 1 == attempts:
                raise StoreError(f"Qdrant at {settings.location}: {what} failed: HTTP {exc.status_code} {redact(str(exc.reason_phrase))}") from None
        except (ResponseHandlingException, OSError) as exc:
            if n + 1 == attempts:
                raise StoreError(f"cannot reach Qdrant at {settings.location} after {attempts} attempt(s): {redact(str(exc))[:200]}") from None
        time.sleep(min(0.5 * 2**n, 4.0))
    raise AssertionError("unreachable")


def document_store(settings: StoreSettings, client, collection: str, dim: int):
    """A Haystack ``QdrantDocumentStore`` on *collection* (a name or alias) that uses *client*.

    The client is shared on purpose: local mode allows one client per folder, and the document
    store would otherwise create its own client and, on first use, its own collection under the
    alias name. Haystack has no public way to pass a client, hence the one private attribute.
    """
    from haystack.utils import Secret
    from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

    ds = QdrantDocumentStore(
        path=str(settings.path) if settings.is_local else None,
        url=settings.url,
        api_key=None if settings.is_local else Secret.from_env_var(settings.api_key_env, strict=False),
        index=collection,
        embedding_dim=dim,
        use_sparse_embeddings=True,
        sparse_idf=True,
        similarity="cosine",
        progress_bar=False,
        write_batch_size=256,
        shard_number=None if settings.is_local else settings.shards,
        replication_factor=None if settings.is_local else settings.replicas,
        timeout=None if settings.is_local else max(1, int(round(settings.timeout))),
    )
    ds._client = client  # noqa: SLF001 - see docstring
    return ds


def create_collection(client, settings: StoreSettings, name: str, dim: int, state: IndexState) -> None:
    """A new, empty collection with our vectors and metadata.

    qdrant-client directly, not ``QdrantDocumentStore.recreate_collection``: that cannot set
    collection metadata, and we want the same vector names Haystack uses so its retrievers work.
    """
    from qdrant_client import models

    client.create_collection(
        collection_name=name,
        vectors_config={DENSE_VECTOR: models.VectorParams(size=dim, distance=models.Distance.COSINE)},
        sparse_vectors_config={SPARSE_VECTOR: models.SparseVectorParams(index=models.SparseIndexParams(on_disk=False), modifier=models.Modifier.IDF)},
        metadata=state.to_metadata(),
        **collection_params(settings),
    )
    if read_state_of(client, name) is None:
        # the index describes itself through collection metadata; without it every run would rebuild
        with suppress(Exception):
            client.delete_collection(name)
        raise StoreError(f"Qdrant at {settings.location} does not keep collection metadata; rbh needs Qdrant 1.16 or later")
    ensure_payload_indexes(client, name)


def ensure_payload_indexes(client, collection: str) -> list[str]:
    """Create the keyword payload indexes that are missing (also on a collection made before they existed).

    Local mode accepts and records them but does not use them (it scans); its warning saying so is
    silenced here because the same code serves a server, where they matter.
    """
    from qdrant_client import models

    have = set((client.get_collection(collection).payload_schema or {}).keys())
    made = []
    for key in PAYLOAD_INDEXES:
        if key in have:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client.create_payload_index(collection, field_name=key, field_schema=models.PayloadSchemaType.KEYWORD)
        made.append(key)
    return made


def read_state(client, name: str) -> IndexState | None:
    """The index state recorded on the collection behind alias *name*, or None."""
    physical = resolve_alias(client, name)
    if physical is None:
        return None
    return read_state_of(client, physical)


def read_state_of(client, collection: str) -> IndexState | None:
    info = client.get_collection(collection)
    return IndexState.from_metadata(collection, getattr(info.config, "metadata", None))


def resolve_alias(client, alias: str) -> str | None:
    for a in client.get_aliases().aliases:
        if a.alias_name == alias:
            return a.collection_name
    return None


def new_collection_name(alias: str) -> str:
    return f"{alias}-{dt.datetime.now(dt.timezone.utc).strftime('%Y%m%d%H%M%S')}-{os.urandom(3).hex()}"


def _fast_bulk_writes(client, collection: str) -> None:
    """Stop Qdrant local mode from fsyncing its SQLite file, and creating and deleting a rollback
    journal, once per point (it commits each point alone): 20,000 chunks went from 47 s to about 10 s.

    Safe because a local generation is only ever written before it is published: a crash leaves an
    unpublished folder that the next run deletes, and ``_publish_local`` fsyncs every file before
    switching ``CURRENT`` to it. Private attributes; if they move in a future qdrant-client, writes
    are just slower.
    """
    with suppress(Exception):
        conn = client._client.collections[collection].storage.storage  # noqa: SLF001
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA journal_mode=MEMORY")


# ------------------------------------------------------------------------------------------------
# Reading


class Store:
    """An open store: client, Haystack document store on the alias, recorded state. Close it when done."""

    def __init__(self, settings: StoreSettings, client, state: IndexState, dim: int):
        self.settings = settings
        self.client = client
        self.alias = settings.alias
        self.collection = state.collection
        self.state = state
        self.location = settings.location
        self.dense_vector = DENSE_VECTOR
        self.sparse_vector = SPARSE_VECTOR
        self.dim = dim

    @cached_property
    def document_store(self):
        """Built on first use: Haystack's import is too slow for a cold ``rbh ask``, which queries the client."""
        return document_store(self.settings, self.client, self.settings.alias, self.dim)

    def close(self) -> None:
        with suppress(Exception):
            self.client.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(project, *, read_only: bool = True, qdrant_url: str | None = None) -> Store:
    """Open the live index of *project* for querying.

    Raises a one-line ``StoreError`` when there is no index yet, when the store cannot be reached,
    or when the index was built with another model than the config names (its vectors would not
    match the query's; run ``rbh index`` to rebuild). Writing goes through ``indexer.sync``; with
    ``read_only=False`` the same handle is returned, as the query side never writes.
    """
    settings = store_settings(project, qdrant_url)
    wanted = model_signature(project.config)
    if settings.is_local:
        client, state = _open_local_reader(settings)
    else:
        client = _connect(settings)
        state = with_retries(settings, lambda: read_state(client, settings.alias), "read the index state")
    if state is None or not state.complete:
        with suppress(Exception):
            client.close()
        raise StoreError(f"no index at {settings.location} yet: run 'rbh index' first")
    if state.model_fingerprint != fingerprint(wanted):
        with suppress(Exception):
            client.close()
        built = state.settings.get("model", "?"), state.settings.get("dim", "?"), state.settings.get("lexical", "?")
        raise StoreError(
            f"index at {settings.location} was built with model {built[0]} (dim {built[1]}, {built[2]}); the config asks for "
            f"{wanted['model']} (dim {wanted['dim']}, {wanted['lexical']}): run 'rbh index' to rebuild it"
        )
    return Store(settings, client, state, wanted["dim"])


def model_signature(config) -> dict[str, Any]:
    """What makes query vectors comparable with stored ones: dense model, dimension, lexical encoder.

    Free of Haystack imports, so opening the store for ``rbh ask`` stays cheap;
    ``IndexSettings.model_fingerprint`` is ``fingerprint()`` of this.
    """
    from indexer.components.terms import AVG_LEN, B, K1, LEXICAL_VERSION
    from indexer.components.wordllama_model import parse_model

    idx = config.index
    return {"model": f"wordllama:{parse_model(idx.model)}", "dim": idx.dim,
            "lexical": f"{LEXICAL_VERSION}(k1={K1},b={B},avg={AVG_LEN:g})"}


def current_generation(root: Path) -> Path | None:
    try:
        data = json.loads((root / CURRENT_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StoreError(f"index at {root}: unreadable {CURRENT_FILE} file ({exc}); run 'rbh index --full' to rebuild") from None
    name = str(data.get("generation", ""))
    if not name.startswith(GEN_PREFIX) or "/" in name or not (root / name).is_dir():
        return None
    return root / name


def _open_local_reader(settings: StoreSettings):
    """(client, state) for the current local generation (state None: no index yet).

    Qdrant local mode lets one process open a folder, so concurrent readers each need a folder:
    the generation itself, or a *reader copy* ``<generation>.r<n>`` next to it. A reader takes the
    first one whose lock is free and makes a new copy only when all are busy; copies are kept for
    later readers and removed by the indexer together with their generation.

    A generation is accepted only if ``CURRENT`` still names it once it is open (or copied): the
    indexer deletes only generations that are no longer current, and a superseded one never becomes
    current again, so a generation that is current after the open was intact during it. Otherwise
    (the indexer switched meanwhile) the reader starts over with the new one.
    """
    root = settings.path
    assert root is not None
    for attempt in range(10):
        gen = current_generation(root)
        if gen is None:
            return _NullClient(), None
        client = None
        try:
            for folder in [gen, *sorted(root.glob(f"{gen.name}{READER_COPY}*"))]:
                with suppress(StoreError):
                    client = _connect(settings, folder)
                    break
            if client is None:
                client = _connect(settings, _new_reader_copy(root, gen))
            now = current_generation(root)
            if now is not None and now.name == gen.name:
                return client, read_state(client, settings.alias)
        except (OSError, shutil.Error, StoreError, ValueError):
            pass  # the generation went away while being opened or copied
        if client is not None:
            with suppress(Exception):
                client.close()
        time.sleep(0.02 * (attempt + 1))
    raise StoreError(f"index at {root} keeps changing while being opened; try again")


READER_COPY = ".r"


def _new_reader_copy(root: Path, gen: Path) -> Path:
    """A complete copy of *gen* for one more concurrent reader, made visible by an atomic rename."""
    tmp = root / f".tmp-{gen.name}-{os.getpid()}-{os.urandom(3).hex()}"
    try:
        shutil.copytree(gen, tmp, ignore=shutil.ignore_patterns(".lock"))
        dest = root / f"{gen.name}{READER_COPY}{os.getpid()}{os.urandom(2).hex()}"
        os.rename(tmp, dest)
        return dest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class _NullClient:
    def close(self) -> None:
        pass


# ------------------------------------------------------------------------------------------------
# Writing


@dataclass
class Target:
    """Where one indexing run writes: a collection, through a client and a Haystack document store.

    The indexer only writes through these methods, so a target can also be a Qdrant local folder
    edited without loading it (``LocalFileTarget``).
    """

    client: Any
    collection: str
    document_store: Any
    full: bool
    generation: Path | None = None  # local mode: the unpublished generation folder

    def upsert(self, points: list) -> None:
        self.client.upsert(collection_name=self.collection, points=points, wait=True)

    def points_of(self, path: str, with_vectors: bool = False) -> list:
        """Points (``.id``, ``.payload``, ``.vector``) of runbook *path*, as they were before this run wrote."""
        from qdrant_client import models

        flt = models.Filter(must=[models.FieldCondition(key="meta.path", match=models.MatchValue(value=path))])
        points, offset = [], None
        while True:
            batch, offset = self.client.scroll(self.collection, scroll_filter=flt, limit=1024, offset=offset,
                                               with_payload=with_vectors or ["meta.chunk_index"], with_vectors=with_vectors)
            points.extend(batch)
            if offset is None:
                return points

    def delete_ids(self, ids: list) -> None:
        from qdrant_client import models

        if ids:
            self.client.delete(self.collection, points_selector=models.PointIdsList(points=list(ids)))

    def delete_paths(self, paths: list[str]) -> int:
        from qdrant_client import models

        removed = 0
        for i in range(0, len(paths), 64):
            flt = models.Filter(must=[models.FieldCondition(key="meta.path", match=models.MatchAny(any=paths[i : i + 64]))])
            removed += self.client.count(self.collection, count_filter=flt, exact=True).count
            self.client.delete(self.collection, points_selector=models.FilterSelector(filter=flt))
        return removed

    def count(self) -> int:
        return self.client.count(self.collection, exact=True).count

    def close(self) -> None:
        with suppress(Exception):
            self.client.close()


class LocalFileTarget(Target):
    """A local generation written straight into its files: a full rebuild, or an incremental sync.

    Opening a Qdrant local folder loads and indexes every point (about 4 s for 20,000 chunks), all
    to change a handful; and local mode's upsert re-validates, re-indexes and commits each point
    alone. This target instead edits the collection's point table through Qdrant's
    own ``CollectionPersistence`` (the class local mode itself uses to read and write it: same ids,
    same pickled points) and records the index state in the folder's ``meta.json``; local mode
    rebuilds everything else (vectors, IDF statistics) from those when a reader opens the folder.
    The generation is unpublished while this runs and is fsynced before ``CURRENT`` names it.
    Only used where ``StoreWriter`` could build it; otherwise the client path serves.
    """

    #: above this many runbooks touched, one full read of the point table beats a search per runbook
    SCAN_ALL_ABOVE = 32

    def __init__(self, gen: Path, collection: str, touched: list[str], full: bool = False):
        from qdrant_client.local.persistence import CollectionPersistence

        meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
        if collection not in meta.get("collections", {}):
            raise ValueError(f"{gen.name}/meta.json does not describe collection {collection}")
        folder = gen / "collection" / collection
        if not (folder / "storage.sqlite").is_file():
            raise ValueError(f"{folder} has no point table")
        super().__init__(client=None, collection=collection, document_store=None, full=full, generation=gen)
        self._store = CollectionPersistence(str(folder))
        self._store.storage.execute("PRAGMA synchronous=OFF")  # see _fast_bulk_writes
        self._store.storage.execute("PRAGMA journal_mode=MEMORY")
        self._before = self._points_before(set(touched))

    def _points_before(self, paths: set[str]) -> dict[str, list]:
        """The stored points of *paths*, by path, before this run writes anything.

        Unpickling every point is what makes opening a large local store slow, so for a few paths
        only rows whose bytes contain the path are unpickled (a pickled payload holds its strings
        as UTF-8), then checked on the decoded payload.
        """
        import pickle

        from qdrant_client.local.utils import normalize_point_id

        out: dict[str, list] = {}
        if not paths:
            return out
        needles = [p.encode("utf-8") for p in paths] if len(paths) <= self.SCAN_ALL_ABOVE else None
        for (blob,) in self._store.storage.execute("SELECT point FROM points"):
            if needles is not None and not any(n in blob for n in needles):
                continue
            point = pickle.loads(blob)  # noqa: S301 - our own store, written by Qdrant local mode
            path = ((point.payload or {}).get("meta") or {}).get("path")
            if path in paths:
                point.id = normalize_point_id(point.id)
                out.setdefault(path, []).append(point)
        return out

    def upsert(self, points: list) -> None:
        for point in points:
            self._store.persist(point)

    def points_of(self, path: str, with_vectors: bool = False) -> list:
        return list(self._before.get(path, []))

    def delete_ids(self, ids: list) -> None:
        for point_id in ids:
            self._store.delete(point_id)

    def delete_paths(self, paths: list[str]) -> int:
        removed = 0
        for path in paths:
            ids = [p.id for p in self._before.get(path, [])]
            self.delete_ids(ids)
            removed += len(ids)
        return removed

    def count(self) -> int:
        return int(self._store.storage.execute("SELECT count(*) FROM points").fetchone()[0])

    def set_state(self, state: IndexState) -> None:
        """Write *state* as the collection's metadata in ``meta.json`` (atomically)."""
        path = self.generation / "meta.json"
        meta = json.loads(path.read_text(encoding="utf-8"))
        meta["collections"][self.collection]["metadata"] = state.to_metadata()
        tmp = path.with_name("meta.json.rbh-tmp")
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(tmp, path)

    def close(self) -> None:
        with suppress(Exception):
            self._store.close()


class StoreWriter:
    """The indexer's side of the store: one writer at a time, atomic publication.

    ``begin(full)`` gives a ``Target``; ``publish(target, state)`` makes it the live index;
    ``abort(target)`` throws it away and leaves the live index untouched.
    """

    def __init__(self, settings: StoreSettings, dim: int):
        self.settings = settings
        self.dim = dim
        self._lock_file = None
        self._client = None  # server client, or local client on the current generation (status only)
        self.state: IndexState | None = None

    # -------------------------------------------------------------------------------- lifecycle
    def __enter__(self) -> "StoreWriter":
        if self.settings.is_local:
            self._lock_local()
            gen = current_generation(self.settings.path)
            self._sweep_local(keep=gen)
            if gen is not None:
                self.state = self._state_of_generation(gen)
        else:
            self._client = _connect(self.settings)
            self.state = with_retries(self.settings, lambda: read_state(self._client, self.settings.alias), "read the index state")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            with suppress(Exception):
                self._client.close()
            self._client = None
        if self._lock_file is not None:
            import portalocker

            with suppress(Exception):
                portalocker.unlock(self._lock_file)
            self._lock_file.close()
            self._lock_file = None

    def _lock_local(self) -> None:
        import portalocker

        from rbh.paths import keep_out_of_git

        root = self.settings.path
        root.mkdir(parents=True, exist_ok=True)
        keep_out_of_git(root)
        f = open(root / WRITER_LOCK, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
        try:
            portalocker.lock(f, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
        except portalocker.exceptions.LockException:
            f.seek(0)
            pid = f.read().strip() or "?"
            f.close()
            raise StoreError(f"index at {root} is in use by another rbh process (pid {pid})") from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._lock_file = f

    def _state_of_generation(self, gen: Path) -> IndexState | None:
        # From Qdrant's meta.json, not through a client: opening a local client loads every point
        # (seconds for a large index) and would fail while a reader holds the generation.
        return _state_from_meta_file(gen, self.settings.alias)

    # -------------------------------------------------------------------------------- targets
    def begin(self, full: bool, state: IndexState, touched: list[str] = ()) -> Target:
        """A place to write: a new collection (full) or the live one / a copy of it (incremental).

        *touched*: runbook paths whose stored chunks an incremental run will replace or remove."""
        if self.settings.is_local:
            return self._begin_local(full, state, list(touched))
        client = self._client
        if full:
            self._drop_orphans(client)
            name = new_collection_name(self.settings.alias)
            create_collection(client, self.settings, name, self.dim, state)
        else:
            assert self.state is not None
            name = self.state.collection
            ensure_payload_indexes(client, name)
        return Target(client, name, document_store(self.settings, client, name, self.dim), full)

    def _begin_local(self, full: bool, state: IndexState, touched: list[str]) -> Target:
        root = self.settings.path
        gen = root / f"{GEN_PREFIX}{time.time_ns()}"
        current = current_generation(root)
        if full or current is None or self.state is None:
            from qdrant_client import models

            gen.mkdir(parents=True)
            client = _connect(self.settings, gen)
            name = new_collection_name(self.settings.alias)
            create_collection(client, self.settings, name, self.dim, state)
            # the alias can point at it right away: nobody reads this generation before CURRENT names it
            client.update_collection_aliases(change_aliases_operations=[
                models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name=name, alias_name=self.settings.alias))])
            client.close()
            try:
                return LocalFileTarget(gen, name, [], full=True)
            except Exception as exc:  # noqa: BLE001 - a layout we do not know: go through the client
                log.info("writing %s directly is not possible (%s); using Qdrant local mode", gen.name, exc)
            client = _connect(self.settings, gen)
        else:
            shutil.copytree(current, gen, ignore=shutil.ignore_patterns(".lock"))
            name = self.state.collection
            try:
                return LocalFileTarget(gen, name, touched)
            except Exception as exc:  # noqa: BLE001 - a layout we do not know: go through the client
                log.info("editing %s directly is not possible (%s); opening it with Qdrant", gen.name, exc)
            client = _connect(self.settings, gen)
        _fast_bulk_writes(client, name)
        return Target(client, name, document_store(self.settings, client, name, self.dim), full, gen)

    def publish(self, target: Target, state: IndexState) -> None:
        """Record *state* on the target collection and make it the live index, atomically."""
        from qdrant_client import models

        state.collection = target.collection
        state.complete = True
        if isinstance(target, LocalFileTarget):  # the alias in that generation already names this collection
            target.set_state(state)
            self._publish_local(target)
            self.state = state
            return
        client = target.client
        client.update_collection(collection_name=target.collection, metadata=state.to_metadata())
        old = resolve_alias(client, self.settings.alias)
        if old != target.collection:
            ops: list[Any] = []
            if old is not None:
                ops.append(models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=self.settings.alias)))
            ops.append(models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name=target.collection, alias_name=self.settings.alias)))
            # one call: Qdrant applies the alias operations atomically, readers never see no alias
            client.update_collection_aliases(change_aliases_operations=ops)
            if old is not None:
                with suppress(Exception):
                    client.delete_collection(old)
        if self.settings.is_local:
            self._publish_local(target)
        self.state = state

    def abort(self, target: Target) -> None:
        """Forget an unfinished target; the live index is untouched."""
        if self.settings.is_local:
            target.close()
            if target.generation is not None:
                shutil.rmtree(target.generation, ignore_errors=True)
        elif target.full:
            with suppress(Exception):
                target.client.delete_collection(target.collection)

    def ensure_indexes(self) -> None:
        """Server: create missing payload indexes on the live collection (local mode has no use for them)."""
        if not self.settings.is_local and self.state is not None:
            with_retries(self.settings, lambda: ensure_payload_indexes(self._client, self.state.collection), "create payload indexes")

    def vector_cache(self) -> dict:
        """Vectors of the serving index by embedding-text hash (``indexer.components.reuse``), for a
        rebuild with the same model. Read without opening the store in Qdrant (local) or by scrolling."""
        from indexer.components.reuse import text_key

        cache: dict = {}
        if self.state is None:
            return cache

        def add(payload: dict | None, vector: Any) -> None:
            meta = (payload or {}).get("meta") or {}
            vectors = vector if isinstance(vector, dict) else {}
            dense, sparse = vectors.get(DENSE_VECTOR), vectors.get(SPARSE_VECTOR)
            if dense is not None and sparse is not None:
                key = text_key(meta.get("title"), meta.get("heading_path"), (payload or {}).get("content"))
                cache[key] = (dense, (list(sparse.indices), list(sparse.values)))

        if self.settings.is_local:
            import pickle
            import sqlite3

            gen = current_generation(self.settings.path)
            table = gen / "collection" / self.state.collection / "storage.sqlite" if gen else None
            if table is None or not table.is_file():
                return cache
            conn = sqlite3.connect(f"file:{table}?mode=ro", uri=True)
            try:
                for (blob,) in conn.execute("SELECT point FROM points"):
                    point = pickle.loads(blob)  # noqa: S301 - our own store, written by Qdrant local mode
                    add(point.payload, point.vector)
            finally:
                conn.close()
            return cache
        offset = None
        while True:
            points, offset = self._client.scroll(self.state.collection, limit=512, offset=offset, with_vectors=True,
                                                 with_payload=["content", "meta.title", "meta.heading_path"])
            for point in points:
                add(point.payload, point.vector)
            if offset is None:
                return cache

    # -------------------------------------------------------------------------------- local generations
    def _publish_local(self, target: Target) -> None:
        target.close()
        gen = target.generation
        assert gen is not None
        _fsync_tree(gen)
        root = self.settings.path
        tmp = root / f".{CURRENT_FILE}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"generation": gen.name, "collection": target.collection,
                       "published_at": dt.datetime.now(dt.timezone.utc).isoformat()}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, root / CURRENT_FILE)  # the atomic switch readers see
        _fsync_dir(root)
        self._sweep_local(keep=gen)

    def _sweep_local(self, keep: Path | None) -> None:
        """Remove generations that do not serve: unpublished leftovers of a killed run, old ones.

        A generation a reader still has open (its Qdrant lock is held) stays until a later run.
        """
        import portalocker

        root = self.settings.path
        for tmp in root.glob(".tmp-*"):  # reader copies of a killed reader (a live one finishes in seconds)
            with suppress(OSError):
                if time.time() - tmp.stat().st_mtime > 600:
                    shutil.rmtree(tmp, ignore_errors=True)
        for gen in sorted(root.glob(f"{GEN_PREFIX}*")):
            if keep is not None and (gen.name == keep.name or gen.name.startswith(keep.name + READER_COPY)):
                continue  # the serving generation and its reader copies
            lock = gen / ".lock"
            try:
                with open(lock, "a+") as f:
                    portalocker.lock(f, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
                    shutil.rmtree(gen, ignore_errors=True)
            except portalocker.exceptions.LockException:
                log.info("generation %s is still being read; it will be removed by a later run", gen.name)
            except OSError:
                shutil.rmtree(gen, ignore_errors=True)

    def _drop_orphans(self, client) -> None:
        """Server: drop collections of earlier rebuilds that were killed before switching the alias."""
        live = resolve_alias(client, self.settings.alias)
        prefix = f"{self.settings.alias}-"
        for c in client.get_collections().collections:
            if c.name.startswith(prefix) and c.name != live and len(c.name) == len(prefix) + 21:
                log.info("dropping %s, left over by an interrupted rebuild", c.name)
                with suppress(Exception):
                    client.delete_collection(c.name)


def _state_from_meta_file(gen: Path, alias: str) -> IndexState | None:
    try:
        meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    physical = meta.get("aliases", {}).get(alias)
    cfg = meta.get("collections", {}).get(physical) if physical else None
    return IndexState.from_metadata(physical, (cfg or {}).get("metadata")) if physical else None


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with suppress(OSError), open(os.path.join(dirpath, name), "rb") as f:
                os.fsync(f.fileno())
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    with suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def store_size_bytes(settings: StoreSettings) -> int | None:
    """Bytes on disk of the serving local generation (None for a server)."""
    if not settings.is_local:
        return None
    gen = current_generation(settings.path)
    if gen is None:
        return 0
    return sum(f.stat().st_size for f in gen.rglob("*") if f.is_file())


def fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()[:16]
