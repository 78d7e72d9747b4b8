"""Haystack filter syntax -> each engine's filter objects.

One filter language crosses the store interface: Haystack's (``{"field": "meta.path", "operator":
"in", "value": [...]}``, ``{"operator": "AND" | "OR" | "NOT", "conditions": [...]}``), so the query
side, the indexer and a team's own Haystack pipeline say filters the same way. Fields are payload
keys: ``meta.<name>``, ``content``, ``id``.

Semantics follow Haystack's document-store contract: ``==`` / ``!=`` with ``None`` test for a
missing or null field, ``!=`` and ``not in`` also match documents without the field, ``>`` ``>=``
``<`` ``<=`` compare numbers or ISO dates and never match a missing field (nor anything, compared
with ``None``); comparing with a list or a non-ISO string raises ``haystack.errors.FilterError``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

_LOGIC = {"AND", "OR", "NOT"}
_NEVER = "\x00rbh-matches-nothing"
_COMPARE = {"==", "!=", ">", ">=", "<", "<=", "in", "not in"}


def _error(msg: str) -> Exception:
    try:
        from haystack.errors import FilterError

        return FilterError(msg)
    except ImportError:  # pragma: no cover - haystack is a dependency; keeps the reader import-light
        return ValueError(msg)


def _key(field: str) -> str:
    return field


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value)
        return True
    except ValueError:
        return False


class _Builder:
    """What an engine provides to build its filter objects."""

    def match(self, key: str, value: Any) -> Any: ...
    def match_any(self, key: str, values: list) -> Any: ...
    def range(self, key: str, op: str, value: Any) -> Any: ...
    def is_null(self, key: str) -> Any: ...
    def filter(self, must=None, should=None, must_not=None) -> Any: ...


def convert(filters: dict[str, Any] | None, b: _Builder) -> Any:
    """The engine filter for Haystack *filters* (None for no filter)."""
    if not filters:
        return None
    if not isinstance(filters, dict):
        raise _error("filters must be a dictionary")
    node = _node(filters, b)
    return node if _is_filter(node, b) else b.filter(must=[node])


def _is_filter(node: Any, b: _Builder) -> bool:
    return type(node).__name__ == "Filter"


def _node(f: dict[str, Any], b: _Builder) -> Any:
    if "operator" not in f:
        raise _error(f"filter without 'operator': {f}")
    op = f["operator"]
    if op in _LOGIC and "conditions" in f:
        parts = [_node(c, b) for c in f["conditions"]]
        if op == "AND":
            return b.filter(must=parts)
        if op == "OR":
            return b.filter(should=parts)
        return b.filter(must_not=[b.filter(must=parts)])
    if "field" not in f or "value" not in f:
        raise _error(f"comparison filter needs 'field' and 'value': {f}")
    if op not in _COMPARE:
        raise _error(f"unknown filter operator '{op}'")
    key, value = _key(f["field"]), f["value"]
    if op == "==":
        return _eq(key, value, b)
    if op == "!=":
        return b.filter(must_not=[_eq(key, value, b)])
    if op in ("in", "not in"):
        if not isinstance(value, list):
            raise _error(f"'{op}' needs a list value")
        parts = [_eq(key, v, b) for v in value if not isinstance(v, (str, int)) or isinstance(v, bool)]
        plain = [v for v in value if isinstance(v, (str, int)) and not isinstance(v, bool)]
        if plain and all(isinstance(v, type(plain[0])) for v in plain):
            parts.append(b.match_any(key, plain))
        else:
            parts += [_eq(key, v, b) for v in plain]
        either = b.filter(should=parts) if parts else b.filter(must=[b.match_any(key, [_NEVER])])
        return either if op == "in" else b.filter(must_not=[either])
    # ordering comparisons
    if value is None:  # nothing is greater or smaller than None
        return b.filter(must=[b.match_any(key, [_NEVER])])
    if isinstance(value, (list, dict, bool)):
        raise _error(f"'{op}' cannot compare with {type(value).__name__}")
    if isinstance(value, str) and not _is_date(value):
        raise _error(f"'{op}' compares numbers or ISO dates, not '{value}'")
    return b.range(key, op, value)


def _eq(key: str, value: Any, b: _Builder) -> Any:
    if value is None:
        return b.is_null(key)
    if isinstance(value, float) and not value.is_integer():
        return b.filter(must=[b.range(key, ">=", value), b.range(key, "<=", value)])
    if isinstance(value, float):
        value = int(value)
    if isinstance(value, (list, dict)):
        raise _error("'==' compares with a single value")
    return b.match(key, value)


# ------------------------------------------------------------------------------------------------
# Qdrant Edge


class EdgeBuilder(_Builder):
    def __init__(self) -> None:
        import qdrant_edge as qe

        self.qe = qe

    def match(self, key, value):
        return self.qe.FieldCondition(key=key, match=self.qe.MatchValue(value))

    def match_any(self, key, values):
        return self.qe.FieldCondition(key=key, match=self.qe.MatchAny(list(values)))

    def range(self, key, op, value):
        name = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[op]
        if isinstance(value, str):
            return self.qe.FieldCondition(key=key, range=self.qe.RangeDateTime(**{name: _iso(value)}))
        return self.qe.FieldCondition(key=key, range=self.qe.RangeFloat(**{name: float(value)}))

    def is_null(self, key):
        return self.qe.Filter(should=[self.qe.IsNullCondition(key), self.qe.IsEmptyCondition(key)])

    def filter(self, must=None, should=None, must_not=None):
        return self.qe.Filter(must=must or None, should=should or None, must_not=must_not or None)


# ------------------------------------------------------------------------------------------------
# qdrant-client


class ClientBuilder(_Builder):
    def __init__(self) -> None:
        from qdrant_client import models

        self.m = models

    def match(self, key, value):
        return self.m.FieldCondition(key=key, match=self.m.MatchValue(value=value))

    def match_any(self, key, values):
        return self.m.FieldCondition(key=key, match=self.m.MatchAny(any=list(values)))

    def range(self, key, op, value):
        name = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[op]
        if isinstance(value, str):
            return self.m.FieldCondition(key=key, range=self.m.DatetimeRange(**{name: _iso(value)}))
        return self.m.FieldCondition(key=key, range=self.m.Range(**{name: float(value)}))

    def is_null(self, key):
        return self.m.Filter(should=[self.m.IsNullCondition(is_null=self.m.PayloadField(key=key)),
                                     self.m.IsEmptyCondition(is_empty=self.m.PayloadField(key=key))])

    def filter(self, must=None, should=None, must_not=None):
        return self.m.Filter(must=must or None, should=should or None, must_not=must_not or None)


def _iso(value: str) -> str:
    """An ISO date or datetime as RFC 3339 (naive values are taken as UTC)."""
    d = dt.datetime.fromisoformat(value)
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return d.isoformat()


def to_edge(filters: dict[str, Any] | None):
    return convert(filters, EdgeBuilder())


def to_client(filters: dict[str, Any] | None):
    return convert(filters, ClientBuilder())


def path_filter(paths: list[str]) -> dict[str, Any]:
    """The chunks of the runbooks *paths*: the one filter on ``meta.path`` (readers, writers, queries)."""
    return {"field": "meta.path", "operator": "in", "value": list(paths)}


def and_filters(*parts: dict[str, Any] | None) -> dict[str, Any] | None:
    kept = [p for p in parts if p]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return {"operator": "AND", "conditions": kept}
