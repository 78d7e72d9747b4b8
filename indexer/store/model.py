"""The store's model: vector names, records, prefetches, settings, the index state, the model
signature and the checks every reader makes on open. Shared by both adapters (``edge``, ``server``),
the Haystack document store and the callers; the package root re-exports it and opens the adapters."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlsplit, urlunsplit

from rbh.errors import ConfigError, StoreError
from rbh.redact import register_secret_env

if TYPE_CHECKING:
    from rbh.project import Project
    from rbh.config import Config

DENSE_VECTOR = "text-dense"
SPARSE_VECTOR = "text-sparse"
#: Named vectors of a collection, name -> kind: "dense" (size from the index settings, cosine),
#: "sparse-idf" (Qdrant's IDF modifier) or "sparse". Both adapters create a collection from this; a
#: new named vector (e.g. a field-aware sparse one) is one more entry here, a ``Prefetch`` that uses
#: it, and a bump of ``STORE_FORMAT`` so that existing indexes are rebuilt.
VECTORS: dict[str, str] = {DENSE_VECTOR: "dense", SPARSE_VECTOR: "sparse-idf"}
STORE_FORMAT = 2  # 2: Qdrant Edge generations / JSON state (1 was Qdrant local mode)
META_KEY = "rbh"

#: Payload keys with a keyword index (filters and grouping on the query side).
PAYLOAD_INDEXES = ("meta.path", "meta.service", "meta.owner", "meta.team", "meta.tags", "meta.alerts", "meta.severity")

#: qdrant-haystack's namespace for Document ids -> point ids, kept so that an index written by an
#: earlier rbh (through qdrant-haystack) on a server keeps its ids.
_POINT_ID_NAMESPACE = uuid.UUID("3896d314-1e95-4a3a-b45a-945f9f0b541d")


def point_id(doc_id: str) -> str:
    """The point id of the Document *doc_id* (32 hex digits)."""
    return uuid.uuid5(_POINT_ID_NAMESPACE, doc_id).hex


def norm_id(value: Any) -> str:
    """A point id as both engines hand it back (UUID object, dashed or plain string) -> 32 hex digits."""
    if isinstance(value, uuid.UUID):  # what Qdrant Edge hands back: no need to parse it again
        return value.hex
    try:
        return uuid.UUID(str(value)).hex
    except ValueError:
        return str(value)


# ------------------------------------------------------------------------------------------------
# Records and queries (plain data: what crosses the interface)


@dataclass
class SparseValues:
    indices: list[int]
    values: list[float]


@dataclass
class Record:
    """One stored chunk: point id, payload, and (when asked for) its vectors by name."""

    id: str
    payload: dict[str, Any]
    vectors: dict[str, Any] = field(default_factory=dict)  # name -> list[float] | SparseValues
    score: float = 0.0


@dataclass
class Prefetch:
    """One leg of a fused query: *query* (a dense vector or ``SparseValues``) against vector *using*."""

    using: str
    query: Any
    limit: int
    weight: float = 1.0


#: The payload keys ``record_order`` reads: all that a ranking needs of a candidate.
RANK_PAYLOAD = ["meta.path", "meta.chunk_index"]


def record_position(r: Record) -> tuple[str, int, str]:
    """Where a chunk is: runbook path, chunk position in it, point id (the order a build writes in)."""
    meta = r.payload.get("meta") or {}
    return (str(meta.get("path") or ""), int(meta.get("chunk_index") or 0), r.id)


def record_order(r: Record) -> tuple[float, str, int, str]:
    """Sort key of ranked records: best score first, then runbook path, chunk position and point id.

    Qdrant breaks equal scores by its internal point order, and that order is not ours to fix:
    Qdrant Edge numbers the points of one multi-point upsert in a per-process random order, and a
    server reorders its segments as it optimizes them. Two sections with the same text (a Warning
    and a Critical runbook sharing a paragraph), or the equally long sections of a one-alert-per-
    file runbook, tie exactly; only a key of our own gives the same answer after every rebuild."""
    return (-r.score, *record_position(r))


def rrf_score(position: int, weight: float, k: int) -> float:
    """Qdrant's weighted Reciprocal Rank Fusion term for a 0-based *position* in one ranking:
    ``1 / ((position + 1) / weight + k - 1)`` (``1 / (position + k)`` at weight 1), as Qdrant computes
    it (``qdrant_client.hybrid.fusion.reciprocal_rank_fusion``, the same formula as the engine's)."""
    if weight <= 0:
        return 0.0
    return 1.0 / ((position + 1.0) / weight + k - 1.0)


def fuse_rrf(rankings: list[list[Record]], weights: list[float], k: int, limit: int | None = None) -> list[Record]:
    """Weighted RRF of several rankings (each best first, ties already in ``record_order``), the
    fused score in ``Record.score``, best first and ties in ``record_order``; *limit* records.

    Equal weights count as 1.0, as the adapters passed them to Qdrant before (no weights at all)."""
    if len(set(weights)) <= 1:
        weights = [1.0] * len(rankings)
    fused: dict[str, Record] = {}
    for ranking, weight in zip(rankings, weights):
        for position, r in enumerate(ranking):
            add = rrf_score(position, weight, k)
            if r.id in fused:
                fused[r.id].score += add
            else:
                fused[r.id] = Record(id=r.id, payload=r.payload, vectors=r.vectors, score=add)
    return sorted(fused.values(), key=record_order)[:limit]


def through_ties(records: list[Record], n: int) -> list[Record]:
    """The first *n* of *records* (best first) and any after them that score as much as the n-th."""
    if len(records) <= n:
        return list(records)
    if n <= 0:
        return []
    cut = records[n - 1].score
    end = n
    while end < len(records) and records[end].score >= cut:
        end += 1
    return records[:end]


def tied(records: list[Record]) -> list[Record]:
    """Those of *records* (best first) that score as much as a neighbour."""
    return [r for i, r in enumerate(records)
            if (i and records[i - 1].score == r.score) or (i + 1 < len(records) and records[i + 1].score == r.score)]


# ------------------------------------------------------------------------------------------------
# Settings


def user_cache_dir() -> Path:
    """rbh's per-user cache folder: ``$RBH_CACHE_DIR``, else ``$XDG_CACHE_HOME/rbh``, else ``~/.cache/rbh``."""
    env = os.environ.get("RBH_CACHE_DIR")
    if env:
        return Path(env).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return (Path(base).expanduser() / "rbh").resolve()


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
    repo_root: Path | None = None  # the project's repository (git-tracked stores are refused)
    url_from_repo: bool = False  # the URL is rbh.yaml's store.url, not a flag or the environment

    @property
    def is_local(self) -> bool:
        return self.url is None

    @property
    def api_key(self) -> str | None:
        """The key to send, by the policy of ``rbh.config.api_key`` (fixed variable names, plain http
        only to loopback, a URL from the repository's config only after the user's opt-in). A key the
        policy holds back is a ``StoreError`` naming the variable: talking to the server without the
        key the user meant to send would only fail later and less clearly."""
        from rbh.config import api_key

        key = api_key("store", self.url, url_from_repo=self.url_from_repo, config_env=self.api_key_env)
        if key.withheld:
            raise StoreError(key.withheld)
        return key.value

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


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def store_settings(project: Project, qdrant_url: str | None = None) -> StoreSettings:
    """Settings from ``--qdrant-url`` > env ``RBH_QDRANT_URL`` > config ``store.url`` > local path.

    The local path is env ``RBH_STORE_PATH`` (trusted: the user's own environment) or config
    ``store.path``; a path from the repository's config must stay inside the repository or in rbh's
    cache folder (``user_cache_dir()``): a pull request cannot point the indexer at a folder
    elsewhere on the machine, whose contents rbh would otherwise read and clean up.
    """
    cfg = project.config.store
    register_secret_env(cfg.api_key_env)
    url = qdrant_url or os.environ.get("RBH_QDRANT_URL") or cfg.url
    path = None
    root = Path(project.root).resolve()
    if not url:
        env_path = os.environ.get("RBH_STORE_PATH")
        if env_path:
            path = Path(env_path).expanduser().resolve()
        else:
            p = Path(cfg.path).expanduser()
            path = (p if p.is_absolute() else root / p).resolve()
            if not (_inside(path, root) or _inside(path, user_cache_dir())) or path == root:
                raise ConfigError(f"store.path '{cfg.path}' leaves the repository: a store path from the repository's "
                                  f"config must be inside it or in {user_cache_dir()} (or set RBH_STORE_PATH)")
    from_repo = bool(url) and not qdrant_url and not os.environ.get("RBH_QDRANT_URL")
    return StoreSettings(path=path, url=url or None, api_key_env=cfg.api_key_env, alias=cfg.collection,
                         shards=cfg.shards, replicas=cfg.replicas, timeout=cfg.timeout, retries=cfg.retries,
                         repo_root=root, url_from_repo=from_repo)


# ------------------------------------------------------------------------------------------------
# Index state (the store describes itself)


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
        try:
            return cls(collection=collection, **known)
        except TypeError:
            return None


def fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def model_fingerprint(signature: Mapping[str, Any]) -> str:
    """The fingerprint of the ``model_signature`` part of *signature* (which may hold more, such as
    ``IndexSettings.as_dict()``): the one definition writers record and readers compare."""
    return fingerprint({k: signature[k] for k in MODEL_KEYS})


MODEL_KEYS = ("model", "dim", "lexical")  # the keys of model_signature


def model_signature(config: Config) -> dict[str, Any]:
    """What makes query vectors comparable with stored ones: dense model, dimension, lexical encoder.

    Free of Haystack imports, so opening the store for ``rbh ask`` stays cheap;
    ``model_fingerprint()`` of this is what an index records.
    """
    from rbh.indexer.encoding.terms import AVG_LEN, B, K1, LEXICAL_VERSION
    from rbh.indexer.encoding.wordllama_model import parse_model

    idx = config.index
    return {"model": f"wordllama:{parse_model(idx.model)}", "dim": idx.dim,
            "lexical": f"{LEXICAL_VERSION}(k1={K1},b={B},avg={AVG_LEN:g})"}


def new_collection_name(alias: str) -> str:
    return f"{alias}-{dt.datetime.now(dt.timezone.utc).strftime('%Y%m%d%H%M%S')}-{os.urandom(3).hex()}"


def damaged(location: str, why: str) -> StoreError:
    return StoreError(f"index at {location} is damaged ({why}): run 'rbh index --full' to rebuild it")


def check_readable(location: str, state: IndexState | None, stored: int | None, wanted: dict[str, Any]) -> IndexState:
    """The checks every reader makes on open: an index exists, is complete, is not damaged, was built
    with the same model, and is not empty. *stored* is the engine's own point count."""
    if state is None or not state.complete:
        raise StoreError(f"no index at {location} yet: run 'rbh index' first")
    if stored is None or stored != state.chunks:
        raise damaged(location, f"it holds {stored if stored is not None else 'no readable'} chunks, its state records {state.chunks}")
    if state.model_fingerprint != model_fingerprint(wanted):
        built = state.settings.get("model", "?"), state.settings.get("dim", "?"), state.settings.get("lexical", "?")
        raise StoreError(
            f"index at {location} was built with model {built[0]} (dim {built[1]}, {built[2]}); the config asks for "
            f"{wanted['model']} (dim {wanted['dim']}, {wanted['lexical']}): run 'rbh index' to rebuild it"
        )
    if state.chunks == 0:
        raise StoreError(f"index at {location} is empty: the commit it was built from has no runbook text under the "
                         "runbook globs (config 'runbooks.include'); rbh index reads committed files: commit the "
                         "runbooks (or use 'rbh index --worktree'), fix the globs if they miss them, and run 'rbh index --full'")
    return state


def collection_params(settings: StoreSettings) -> dict[str, Any]:
    if settings.is_local:
        return {}
    return {"shard_number": settings.shards, "replication_factor": settings.replicas}


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
