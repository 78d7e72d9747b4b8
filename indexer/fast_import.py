"""Import qdrant-client without eagerly rebuilding its ~340 pydantic models (a cold ``rbh ask`` budget item).

``qdrant_client.http`` calls ``model_rebuild()`` on every REST model at import time: about half of
the client's import time, most of it for models a query never touches. Pydantic rebuilds an
incomplete model by itself the first time it is used, so the eager pass can be skipped: during the
import ``BaseModel.model_rebuild`` is a no-op, then it is restored, and the models the query path
uses are built once (``_SMOKE``). If anything about that fails (a future qdrant-client or pydantic
that behaves differently), the eager rebuild runs exactly as qdrant-client would have done it, so
the worst case is the old speed, never a broken client.

Only the ``rbh ask`` command calls this, first thing, in its own process; when qdrant-client is
already imported (tests, the indexer) it does nothing.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)


def _smoke(models) -> None:
    """Build the models a query uses (each first use triggers pydantic's own rebuild)."""
    flt = models.Filter(must=[models.FieldCondition(key="meta.path", match=models.MatchAny(any=["x"]))],
                        should=[models.FieldCondition(key="meta.team", match=models.MatchValue(value="x"))])
    models.Prefetch(query=[0.0], using="d", limit=1, filter=flt)
    models.Prefetch(query=models.SparseVector(indices=[1], values=[1.0]), using="s", limit=1)
    models.RrfQuery(rrf=models.Rrf(k=60, weights=[1.0, 1.0]))
    models.FusionQuery(fusion=models.Fusion.RRF)
    models.QueryResponse(points=[models.ScoredPoint(id=1, version=0, score=0.0, payload={}, vector={"d": [0.0]})])
    models.Record(id=1, payload={}, vector=None)


def import_qdrant_client() -> None:
    """Import ``qdrant_client`` with lazy model builds (see module docstring); safe to call twice."""
    if "qdrant_client" in sys.modules:
        return
    import pydantic

    original = pydantic.BaseModel.__dict__.get("model_rebuild")
    if original is None:  # not the pydantic we know: plain import
        import qdrant_client  # noqa: F401

        return
    pydantic.BaseModel.model_rebuild = classmethod(lambda cls, *a, **k: None)  # type: ignore[assignment]
    try:
        from qdrant_client.http import models
    finally:
        pydantic.BaseModel.model_rebuild = original  # type: ignore[assignment]
    import qdrant_client  # noqa: F401 - finish the package import with the real model_rebuild

    try:
        _smoke(models)
    except Exception:  # noqa: BLE001 - fall back to what qdrant-client does itself
        log.debug("lazy model build failed; rebuilding every qdrant-client model", exc_info=True)
        _rebuild_all(models)


def _rebuild_all(models) -> None:
    import inspect

    from pydantic import BaseModel

    for _, cls in inspect.getmembers(models.models if hasattr(models, "models") else models, inspect.isclass):
        if issubclass(cls, BaseModel) and cls.__module__ == "qdrant_client.http.models.models":
            cls.model_rebuild()
