"""The vector store: one interface, two adapters.

- **Embedded (default): Qdrant Edge** (``indexer.store.edge``) on a path under ``.rbh/``. Published
  generations are immutable Edge shards without a WAL that any number of readers load at once; a
  writer builds a new generation (a copy of the serving one, or a fresh build) and publishes it by
  an atomic rename of a pointer file.
- **Server or cluster: qdrant-client** (``indexer.store.server``), public API only: collections,
  an alias onto the live one, payload indexes, batched ``query_points``, and the index
  state in the collection metadata.

The interface (what ``indexer.sync``, ``indexer.query`` and the Haystack document store use)
-------------------------------------------------------------------------------------------
``open_store(project, *, qdrant_url=None) -> StoreReader`` (a context manager; ``close()``):

- ``state``       ``IndexState`` (commit, counts, model), checked against the stored point count
- ``location``    where the store is, for messages (a URL without credentials)
- ``search(prefetches, *, limit, rrf_k, filters)`` one fused query: each ``Prefetch`` names a
                  vector (``text-dense`` or ``text-sparse``; more named vectors can be added to
                  ``VECTORS``), its query and weight; the adapter runs the prefetches as one batch
                  of nearest-neighbour queries (``nearest``) and ``fuse_rrf`` fuses them with
                  Qdrant's weighted RRF formula, equal scores in ``record_order`` (path, chunk)
- ``scroll(filters=None, with_vectors=False)``, ``count(filters=None)``
A Haystack ``DocumentStore`` over a reader: ``RbhDocumentStore.over_reader(reader)``
  (``indexer.store.document_store``, the module above the adapters: it opens them by itself too)

Filters are Haystack's filter syntax everywhere (``{"field": "meta.path", "operator": "in",
"value": [...]}``, ``{"operator": "AND", "conditions": [...]}``); each adapter translates them
(``indexer.store.filters``).

``open_writer(settings, dim) -> StoreWriter`` (one at a time; a context manager): ``state``,
``begin(full, state, touched) -> Target``, ``publish(target, state)``, ``abort(target)``,
``ensure_indexes()``, ``vector_cache()``. A ``Target`` takes ``upsert(records)``,
``points_of(path)``, ``delete_ids(ids)``, ``delete_paths(paths)``, ``count()``.

Chunk payload (the same on both adapters)
-----------------------------------------
``id`` (the Haystack Document id), ``content`` (the section text verbatim) and ``meta``:

==================  ==========================================================================
path                repository-relative POSIX path of the runbook
title               runbook title (front matter ``title``, else its H1, else a lone top heading, else the file name)
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

Point ids are ``point_id(document id)`` (a UUID5, 32 hex digits). The text that is embedded is not
stored: it is ``title``, the heading breadcrumb and ``content``
(``indexer.encoding.terms.embedding_text``).

Damage is detected: an index whose stored point count differs from the recorded one, whose state
is missing, or that cannot be read is refused with a one-line error naming ``rbh index --full``
(which rebuilds whatever state the store is in); ``rbh index`` rebuilds such an index by itself.
An index with no chunks is refused by readers too: it never answers "no runbook matches".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from rbh.indexer.store.model import *  # noqa: F403 - the model is the package's public names too
from rbh.indexer.store.model import (  # noqa: F401 - named for the functions below and for mypy
    IndexState,
    StoreSettings,
    model_signature,
    store_settings,
)

if TYPE_CHECKING:
    from rbh.indexer.store.base import StoreReader
    from rbh.project import Project


# ------------------------------------------------------------------------------------------------
# Opening


def open_store(project: Project, *, read_only: bool = True, qdrant_url: str | None = None) -> StoreReader:
    """Open the live index of *project* for querying (a ``StoreReader``; close it when done).

    Raises a one-line ``StoreError`` when there is no index yet, when the store cannot be reached,
    is damaged or empty, was not created by rbh for this user (a store committed to git is never
    opened), or was built with another model than the config names (its vectors would not match
    the query's; run ``rbh index`` to rebuild). ``read_only`` is kept for callers: readers never write.
    """
    return open_reader(store_settings(project, qdrant_url), model_signature(project.config))


def open_reader(settings: StoreSettings, wanted: dict[str, Any]) -> StoreReader:
    """``open_store`` from narrow inputs: where the store is (*settings*) and the model signature
    the query vectors will have (*wanted*, ``model_signature``)."""
    if settings.is_local:
        from rbh.indexer.store.edge import EdgeReader

        return EdgeReader.open(settings, wanted)
    from rbh.indexer.store.server import ServerReader

    return ServerReader.open(settings, wanted)


def open_writer(settings: StoreSettings, dim: int):
    """The indexer's side of the store for *settings* (a context manager; one writer at a time)."""
    if settings.is_local:
        from rbh.indexer.store.edge import EdgeWriter

        return EdgeWriter(settings, dim)
    from rbh.indexer.store.server import ServerWriter

    return ServerWriter(settings, dim)


StoreWriter = open_writer  # the name indexer.sync and the tests use


def read_status(settings: StoreSettings) -> tuple[IndexState | None, int | None, str | None]:
    """(recorded state, stored point count, problem) of the live index, for ``rbh index --status``.

    Never raises for a damaged index: the problem is reported as text."""
    if settings.is_local:
        from rbh.indexer.store.edge import edge_status

        return edge_status(settings)
    from rbh.indexer.store.server import server_status

    return server_status(settings)


def store_size_bytes(settings: StoreSettings) -> int | None:
    """Bytes on disk of the serving local generation (None for a server)."""
    sizes = store_sizes(settings)
    return None if sizes is None else sizes[0]


def store_sizes(settings: StoreSettings) -> tuple[int, int] | None:
    """Bytes on disk of the serving local generation, and of all of the store's generations (the
    spare that the next ``rbh index`` recycles included); None for a server."""
    if not settings.is_local:
        return None
    from rbh.indexer.store.edge import generation_size

    return generation_size(settings)


# ------------------------------------------------------------------------------------------------
# Server helpers kept here for callers (implemented in indexer.store.server)


def client_params(settings: StoreSettings) -> dict[str, Any]:
    from rbh.indexer.store.server import client_params as _params

    return _params(settings)


def with_retries(settings: StoreSettings, fn: Callable[[], Any], what: str) -> Any:
    from rbh.indexer.store.server import with_retries as _retry

    return _retry(settings, fn, what)


def ensure_payload_indexes(client, collection: str) -> list[str]:
    from rbh.indexer.store.server import ensure_payload_indexes as _ensure

    return _ensure(client, collection)


def resolve_alias(client, alias: str) -> str | None:
    from rbh.indexer.store.server import resolve_alias as _resolve

    return _resolve(client, alias)
