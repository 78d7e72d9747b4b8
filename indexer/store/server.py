"""A Qdrant server or cluster through qdrant-client's public API.

The alias (``store.collection``, default ``runbooks``) points at the physical collection. An
incremental sync writes into the live collection (new chunks first, stale ones removed after,
metadata last): a reader sees the old or the new version of a file, or briefly both, never neither.
A full rebuild writes a new collection and switches the alias with one atomic
``update_collection_aliases`` call, then drops the old one. The index state lives in the
collection's metadata (Qdrant 1.16+). Shards and replicas come from the config.
"""

from __future__ import annotations

import logging
import time
import warnings
from contextlib import suppress
from typing import Any, Callable

from rbh.indexer.store.model import (
    DENSE_VECTOR,
    PAYLOAD_INDEXES,
    SPARSE_VECTOR,
    VECTORS,
    IndexState,
    Prefetch,
    Record,
    SparseValues,
    StoreSettings,
    check_readable,
    collection_params,
    new_collection_name,
    norm_id,
)
from rbh.indexer.store.base import StoreReader, Target
from rbh.indexer.store.filters import to_client
from rbh.errors import StoreError
from rbh.redact import redact

log = logging.getLogger(__name__)


def client_params(settings: StoreSettings) -> dict[str, Any]:
    """Keyword arguments for ``QdrantClient``: the URL, key and timeout.

    The API key only ever comes from the environment variable named in the config."""
    params: dict[str, Any] = {"url": settings.url, "timeout": max(1, int(round(settings.timeout))),
                              "check_compatibility": False}
    key = settings.api_key
    if key:
        params["api_key"] = key
    return params


def connect(settings: StoreSettings):
    """A ``QdrantClient`` for the server, reachability checked with bounded retries.

    Tests replace this function to stand an in-process Qdrant engine in for a server."""
    from qdrant_client import QdrantClient

    client = QdrantClient(**client_params(settings))
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


def resolve_alias(client, alias: str) -> str | None:
    for a in client.get_aliases().aliases:
        if a.alias_name == alias:
            return a.collection_name
    return None


def read_state_of(client, collection: str) -> IndexState | None:
    info = client.get_collection(collection)
    return IndexState.from_metadata(collection, getattr(info.config, "metadata", None))


def read_state(client, alias: str) -> IndexState | None:
    physical = resolve_alias(client, alias)
    return read_state_of(client, physical) if physical else None


def ensure_payload_indexes(client, collection: str) -> list[str]:
    """Create the keyword payload indexes that are missing (also on a collection made before they existed).

    qdrant-client's in-process engine accepts them but scans; its warning saying so is silenced."""
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


def create_collection(client, settings: StoreSettings, name: str, dim: int, state: IndexState) -> None:
    from qdrant_client import models

    client.create_collection(
        collection_name=name,
        vectors_config={n: models.VectorParams(size=dim, distance=models.Distance.COSINE) for n, kind in VECTORS.items() if kind == "dense"},
        sparse_vectors_config={n: models.SparseVectorParams(index=models.SparseIndexParams(on_disk=False),
                                                            modifier=models.Modifier.IDF if kind == "sparse-idf" else None)
                               for n, kind in VECTORS.items() if kind.startswith("sparse")},
        metadata=state.to_metadata(),
        **collection_params(settings),
    )
    if read_state_of(client, name) is None:
        # the index describes itself through collection metadata; without it every run would rebuild
        with suppress(Exception):
            client.delete_collection(name)
        raise StoreError(f"Qdrant at {settings.location} does not keep collection metadata; rbh needs Qdrant 1.16 or later")
    ensure_payload_indexes(client, name)


def _to_record(p, with_vectors: bool) -> Record:
    vectors: dict[str, Any] = {}
    if with_vectors and isinstance(p.vector, dict):
        for name, v in p.vector.items():
            vectors[name] = SparseValues(list(v.indices), list(v.values)) if hasattr(v, "indices") else list(v)
    return Record(id=norm_id(p.id), payload=dict(p.payload or {}), vectors=vectors, score=float(getattr(p, "score", 0.0) or 0.0))


def _to_point(r: Record):
    from qdrant_client import models

    vec: dict[str, Any] = {}
    for name, v in r.vectors.items():
        vec[name] = (models.SparseVector(indices=list(v.indices), values=list(v.values))
                     if isinstance(v, SparseValues) else list(v))
    return models.PointStruct(id=r.id, vector=vec, payload=r.payload)


def _scroll(client, collection: str, flt, with_vectors: bool) -> list[Record]:
    out, offset = [], None
    while True:
        batch, offset = client.scroll(collection, scroll_filter=flt, limit=512, offset=offset,
                                      with_payload=True, with_vectors=with_vectors)
        out.extend(_to_record(p, with_vectors) for p in batch)
        if offset is None:
            return out


def _one_line(exc: Exception) -> str:
    text = redact(str(exc)).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}"


class ServerReader(StoreReader):
    def __init__(self, settings: StoreSettings, state: IndexState, dim: int, client):
        super().__init__(settings, state, dim)
        self.client = client

    @classmethod
    def open(cls, settings: StoreSettings, wanted: dict[str, Any]) -> "ServerReader":
        client = connect(settings)
        try:
            state = with_retries(settings, lambda: read_state(client, settings.alias), "read the index state")
            stored = None
            if state is not None and state.complete:
                stored = with_retries(settings, lambda: client.count(state.collection, exact=True).count, "count the index")
            check_readable(settings.location, state, stored, wanted)
        except BaseException:
            with suppress(Exception):
                client.close()
            raise
        return cls(settings, state, wanted["dim"], client)

    def nearest(self, queries: list[tuple[Prefetch, int]], filters: dict[str, Any] | None) -> list[list[Record]]:
        from qdrant_client import models

        flt = to_client(filters)
        requests = []
        for p, n in queries:
            q = (models.SparseVector(indices=list(p.query.indices), values=list(p.query.values))
                 if isinstance(p.query, SparseValues) else list(p.query))
            requests.append(models.QueryRequest(query=q, using=p.using, filter=flt, limit=n, with_payload=False, with_vector=False))
        try:
            responses = self.client.query_batch_points(self.alias, requests=requests)
        except Exception as exc:  # noqa: BLE001 - one line for the user, details in --verbose
            log.debug("query failed", exc_info=True)
            raise StoreError(f"index at {self.location}: {_one_line(exc)}") from None
        return [[_to_record(p, False) for p in res.points] for res in responses]

    def retrieve(self, ids: list[str], *, payload: bool | list[str] = True, with_vectors: bool = False) -> dict[str, Record]:
        try:
            points = self.client.retrieve(self.alias, ids=list(ids), with_payload=payload, with_vectors=with_vectors)
        except Exception as exc:  # noqa: BLE001 - one line for the user, details in --verbose
            log.debug("retrieve failed", exc_info=True)
            raise StoreError(f"index at {self.location}: {_one_line(exc)}") from None
        return {r.id: r for r in (_to_record(p, with_vectors) for p in points)}

    def scroll(self, filters: dict[str, Any] | None = None, *, with_vectors: bool = False) -> list[Record]:
        return _scroll(self.client, self.alias, to_client(filters), with_vectors)

    def count(self, filters: dict[str, Any] | None = None) -> int:
        return self.client.count(self.alias, count_filter=to_client(filters), exact=True).count

    def close(self) -> None:
        with suppress(Exception):
            self.client.close()


class ServerTarget(Target):
    def __init__(self, client, collection: str, full: bool):
        super().__init__(collection, full)
        self.client = client

    def upsert(self, records: list[Record]) -> None:
        if records:
            self.client.upsert(collection_name=self.collection, points=[_to_point(r) for r in records], wait=True)

    def scroll(self, filters, *, with_vectors: bool = False) -> list[Record]:
        return _scroll(self.client, self.collection, to_client(filters), with_vectors)

    def delete_ids(self, ids: list[str]) -> None:
        from qdrant_client import models

        if ids:
            self.client.delete(self.collection, points_selector=models.PointIdsList(points=list(ids)))

    def delete_filter(self, filters: dict[str, Any]) -> int:
        from qdrant_client import models

        flt = to_client(filters)
        n = self.client.count(self.collection, count_filter=flt, exact=True).count
        if n:
            self.client.delete(self.collection, points_selector=models.FilterSelector(filter=flt))
        return n

    def count(self, filters: dict[str, Any] | None = None) -> int:
        return self.client.count(self.collection, count_filter=to_client(filters), exact=True).count


class ServerWriter:
    """The indexer's side of a server: in-place incremental sync, rebuild into a new collection."""

    def __init__(self, settings: StoreSettings, dim: int):
        self.settings = settings
        self.dim = dim
        self.client = None
        self.state: IndexState | None = None
        self.notices: list[str] = []

    def __enter__(self) -> "ServerWriter":
        self.client = connect(self.settings)
        state = with_retries(self.settings, lambda: read_state(self.client, self.settings.alias), "read the index state")
        if state is not None and state.complete:
            stored = with_retries(self.settings, lambda: self.client.count(state.collection, exact=True).count, "count the index")
            if stored != state.chunks:
                self.notices.append(f"the index at {self.settings.location} is damaged (it holds {stored} chunks, its state "
                                    f"records {state.chunks}): rebuilding it")
                state = None
        self.state = state
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            with suppress(Exception):
                self.client.close()
            self.client = None

    def begin(self, full: bool, state: IndexState, touched: list[str] = ()) -> ServerTarget:
        client = self.client
        if full or self.state is None:
            self._drop_orphans()
            name = new_collection_name(self.settings.alias)
            create_collection(client, self.settings, name, self.dim, state)
            return ServerTarget(client, name, True)
        ensure_payload_indexes(client, self.state.collection)
        return ServerTarget(client, self.state.collection, False)

    def publish(self, target: ServerTarget, state: IndexState) -> None:
        from qdrant_client import models

        state.collection = target.collection
        state.complete = True
        client = self.client
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
        self.state = state

    def verify(self) -> bool:
        """The recorded count was compared with the stored one on ``__enter__``."""
        return self.state is not None

    def abort(self, target: ServerTarget) -> None:
        if target.full:
            with suppress(Exception):
                self.client.delete_collection(target.collection)

    def ensure_indexes(self) -> None:
        if self.state is not None:
            with_retries(self.settings, lambda: ensure_payload_indexes(self.client, self.state.collection), "create payload indexes")

    def vector_cache(self) -> dict:
        from rbh.indexer.encoding.vectors import text_key

        from rbh.indexer.encoding.vectors import VectorCache

        cache = VectorCache()
        if self.state is None:
            return cache
        for r in _scroll(self.client, self.state.collection, None, True):
            meta = r.payload.get("meta") or {}
            dense, sparse = r.vectors.get(DENSE_VECTOR), r.vectors.get(SPARSE_VECTOR)
            if dense is not None and sparse is not None:
                cache[text_key(meta.get("title"), meta.get("heading_path"), r.payload.get("content"))] = (dense, (sparse.indices, sparse.values))
        return cache

    def _drop_orphans(self) -> None:
        """Drop collections of earlier rebuilds that were killed before switching the alias."""
        client = self.client
        live = resolve_alias(client, self.settings.alias)
        prefix = f"{self.settings.alias}-"
        for c in client.get_collections().collections:
            if c.name.startswith(prefix) and c.name != live and len(c.name) == len(prefix) + 21:
                log.info("dropping %s, left over by an interrupted rebuild", c.name)
                with suppress(Exception):
                    client.delete_collection(c.name)


def server_status(settings: StoreSettings) -> tuple[IndexState | None, int | None, str | None]:
    client = connect(settings)
    try:
        state = with_retries(settings, lambda: read_state(client, settings.alias), "read the index state")
        if state is None:
            return None, None, None
        stored = with_retries(settings, lambda: client.count(state.collection, exact=True).count, "count the index")
        problem = None if stored == state.chunks else f"damaged: it holds {stored} chunks, its state records {state.chunks}; run 'rbh index --full'"
        return state, stored, problem
    finally:
        with suppress(Exception):
            client.close()
