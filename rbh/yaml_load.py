"""Fast, safe YAML loading: libyaml composes the node tree, a small builder turns it into Python.

PyYAML's generic constructor (generators, deep-construction bookkeeping) costs more than parsing
itself on the many small documents rbh reads (front matter of every runbook, every manifest). The
builder here handles strings, plain integers, booleans, nulls, mappings and sequences directly and
hands every other tag to the safe constructor, so results are the same as ``yaml.safe_load``.
Every loader here is bounded, so every YAML file rbh reads (manifests, front matter, ``rbh.yaml``,
manifests at a base revision) costs time and memory in proportion to its size: aliases are expanded
within a node budget, which refuses alias bombs ("billion laughs"), nesting is limited in depth, and
strings holding lone surrogates (``"\\ud800"``, which no output encoding accepts) are repaired and
reported instead of crashing a renderer later.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_MERGE = "tag:yaml.org,2002:merge"
# First characters with which a plain scalar can be something other than a string (int, float, bool,
# null, timestamp, merge key, value key): every other plain scalar is a string without running the
# resolver's regular expressions.
_MAYBE_TYPED = frozenset("0123456789-+.~nNtTfFyYoO<=")


class FastSafeLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader (libyaml when available) with a faster scalar resolver (same answers)."""

    def resolve(self, kind, value, implicit):  # noqa: D102
        if kind is yaml.ScalarNode and implicit[0] and value and value[0] not in _MAYBE_TYPED:
            return _STR
        return super().resolve(kind, value, implicit)


# YAML 1.1 resolves a plain `=` to the `value` tag, which the safe constructor refuses ("could not
# determine a constructor"); YAML 1.2 and Kubernetes (go-yaml) read it as the string "=", as in a
# CRD's `enum: ['!=', =, =~]`. Same answer as safe_load everywhere else.
FastSafeLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


# Budgets for one document. Real manifests stay far below (a large CRD: ~20,000 nodes); a billion-laughs
# document of 9 levels expands to 10^9.
MAX_NODES = 200_000
MAX_DEPTH = 200
# Errors in documents up to this size are re-read by the pure-Python parser, whose line numbers are
# more precise than libyaml's; it is ~50x slower and recursive, so never on big input.
MAX_REPARSE_CHARS = 65_536

_SURROGATE = re.compile("[\ud800-\udfff]")


class AliasBomb(yaml.YAMLError):
    """A document whose aliases expand beyond the node budget."""


class TooDeep(yaml.YAMLError, RecursionError):
    """A document nested deeper than the depth budget (a ``RecursionError`` too, for older callers)."""


def may_hold_surrogates(text: str) -> bool:
    """Only ``\\uD800``-style escapes in double-quoted scalars make lone surrogates in YAML or JSON."""
    return "\\u" in text or "\\U" in text


def repair_surrogates(value: str) -> str:
    """*value* with each lone surrogate replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", value)


def build(loader, root: yaml.Node, *, max_nodes: int | None = MAX_NODES, max_depth: int = MAX_DEPTH,
          mapping: Callable[[yaml.MappingNode], dict] | None = None, strict_keys: bool = True,
          surrogates: list[int] | None = None) -> Any:
    """Python data for the composed *root*. *mapping* makes the dict for a mapping node (to keep line
    numbers); ``strict_keys`` refuses unhashable keys like PyYAML, else they become strings.

    *max_nodes* bounds the nodes built once aliases are expanded (``AliasBomb``); None is unbounded,
    for callers that bound the input another way. When *surrogates* is a list, strings with lone
    surrogates are repaired (U+FFFD) and the 1-based line of each is appended."""
    budget = [max_nodes if max_nodes is not None else -1]

    def one(node: yaml.Node, depth: int) -> Any:
        if budget[0] >= 0:
            budget[0] -= 1
            if budget[0] < 0:
                raise AliasBomb(f"more than {max_nodes:,} nodes once aliases are expanded")
        if depth > max_depth:
            raise TooDeep(f"nested deeper than {max_depth} levels")
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag == _STR:
                if surrogates is not None and _SURROGATE.search(node.value):
                    surrogates.append(node.start_mark.line + 1)
                    return repair_surrogates(node.value)
                return node.value
            value = node.value
            if tag == _INT and value.lstrip("-+").isdigit() and not value.lstrip("-+").startswith("0"):
                return int(value)
            if tag == _NULL:
                return None
            if tag == _BOOL:
                return value.lower() in ("true", "yes", "on")
            return loader.construct_object(node, deep=True)
        if isinstance(node, yaml.SequenceNode) and tag == "tag:yaml.org,2002:seq":
            return [one(child, depth + 1) for child in node.value]
        if isinstance(node, yaml.MappingNode) and tag == "tag:yaml.org,2002:map":
            if any(k.tag == _MERGE for k, _ in node.value):  # ``<<: *base`` (rare; costly to look for)
                loader.flatten_mapping(node)
            out = mapping(node) if mapping is not None else {}
            for key_node, value_node in node.value:
                key = one(key_node, depth + 1)
                if isinstance(key, (list, dict, set)):
                    if strict_keys:
                        raise yaml.constructor.ConstructorError("while constructing a mapping", node.start_mark,
                                                                "found unhashable key", key_node.start_mark)
                    key = str(key)
                out[key] = one(value_node, depth + 1)
            return out
        return loader.construct_object(node, deep=True)

    return one(root, 0)


def safe_load(text: str, loader_class: type = FastSafeLoader, *, max_nodes: int | None = MAX_NODES,
              max_depth: int = MAX_DEPTH, surrogates: list[int] | None = None) -> Any:
    """Like ``yaml.safe_load`` (one document), faster and bounded: ``AliasBomb`` past *max_nodes*,
    ``TooDeep`` past *max_depth* (both ``yaml.YAMLError``). See ``build`` for *surrogates*."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return None if node is None else build(loader, node, max_nodes=max_nodes, max_depth=max_depth,
                                               surrogates=surrogates if may_hold_surrogates(text) else None)
    except yaml.YAMLError as exc:
        # libyaml refuses "\ud800" escapes that PyYAML reads; when the caller repairs surrogates, a
        # small document is read again by the pure-Python parser so the rest of it is kept
        if (surrogates is None or loader_class is yaml.SafeLoader or len(text) > MAX_REPARSE_CHARS
                or "escape" not in str(getattr(exc, "problem", ""))):
            raise
    finally:
        loader.dispose()
    return safe_load(text, yaml.SafeLoader, max_nodes=max_nodes, max_depth=max_depth, surrogates=surrogates)


def safe_load_all(text: str, loader_class: type = FastSafeLoader, *, max_nodes: int | None = MAX_NODES,
                  max_depth: int = MAX_DEPTH, surrogates: list[int] | None = None) -> list[Any]:
    """Every document of *text* (``yaml.safe_load_all``), each bounded as in ``safe_load``."""
    loader = loader_class(text)
    check = surrogates if may_hold_surrogates(text) else None
    out: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                out.append(build(loader, node, max_nodes=max_nodes, max_depth=max_depth, surrogates=check))
        return out
    finally:
        loader.dispose()


def precise_error(text: str, error: yaml.YAMLError) -> yaml.YAMLError:
    """The pure-Python parser's error for *text* (its marks are more precise than libyaml's) when the
    text is small enough to re-read cheaply; else *error*. Only composes: aliases are not expanded."""
    if (isinstance(error, (AliasBomb, TooDeep)) or len(text) > MAX_REPARSE_CHARS
            or "nesting depth" in str(getattr(error, "problem", ""))):  # the pure parser would recurse, slowly
        return error
    try:
        for _ in yaml.compose_all(text, Loader=yaml.SafeLoader):
            pass
    except yaml.YAMLError as exc:
        return exc
    except RecursionError:
        return error
    return error
