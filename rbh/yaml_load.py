"""Fast, safe YAML loading: libyaml composes the node tree, a small builder turns it into Python.

PyYAML's generic constructor (generators, deep-construction bookkeeping) costs more than parsing
itself on the many small documents rbh reads (front matter of every runbook, every manifest). The
builder here handles strings, plain integers, booleans, nulls, mappings and sequences directly and
hands every other tag to the safe constructor, so results are the same as ``yaml.safe_load``.
Aliases are expanded with a node budget, which bounds alias bombs ("billion laughs").
"""

from __future__ import annotations

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


class AliasBomb(yaml.YAMLError):
    """A document whose aliases expand beyond the node budget."""


def build(loader, root: yaml.Node, *, max_nodes: int | None = None, max_depth: int = 200,
          mapping: Callable[[yaml.MappingNode], dict] | None = None, strict_keys: bool = True) -> Any:
    """Python data for the composed *root*. *mapping* makes the dict for a mapping node (to keep line
    numbers); ``strict_keys`` refuses unhashable keys like PyYAML, else they become strings."""
    budget = [max_nodes if max_nodes is not None else -1]

    def one(node: yaml.Node, depth: int) -> Any:
        if budget[0] >= 0:
            budget[0] -= 1
            if budget[0] < 0:
                raise AliasBomb(f"more than {max_nodes:,} nodes once aliases are expanded")
        if depth > max_depth:
            raise RecursionError
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag == _STR:
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


def safe_load(text: str, loader_class: type = FastSafeLoader) -> Any:
    """Like ``yaml.safe_load`` (one document), faster."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return None if node is None else build(loader, node)
    finally:
        loader.dispose()
