"""docker-compose files: service names and ports (container side and published)."""

from __future__ import annotations

import re
from typing import Any

from rbh.inventory import ComposeService, Inventory, Location
from rbh.checks.sources._yaml import Node, claim_documents

NAME = "compose"
_PORT = re.compile(r"^(?:(?:[\d.]+|\[[^\]]+\]):)?(?:(\d+)(?:-\d+)?:)?(\d+)(?:-\d+)?(?:/\w+)?$")


def is_compose(doc: Any) -> bool:
    return isinstance(doc, dict) and "kind" not in doc and "apiVersion" not in doc and isinstance(doc.get("services"), dict)


def _ports(spec: dict) -> list[int]:
    found: list[int] = []
    listed = [spec.get(key) for key in ("ports", "expose")]  # lists in a valid file; anything else is ignored
    for p in [p for value in listed if isinstance(value, list) for p in value]:
        if isinstance(p, int) and not isinstance(p, bool):
            found.append(p)
        elif isinstance(p, str):
            m = _PORT.match(p.strip())
            if m:
                found += [int(g) for g in m.groups() if g]
        elif isinstance(p, dict):
            for key in ("target", "published"):
                v = p.get(key)
                if isinstance(v, int) or (isinstance(v, str) and v.isdigit()):
                    found.append(int(v))
    return sorted(set(found))


def _env(spec: dict) -> list[str]:
    env = spec.get("environment")
    if isinstance(env, dict):
        return [str(k) for k in env]
    if isinstance(env, list):
        return [str(e).split("=", 1)[0] for e in env if e is not None]
    return []


def load(files: dict[str, bytes]) -> Inventory:
    inv = Inventory()
    for doc in claim_documents(files, inv, NAME, is_compose):
        services = doc.data["services"]
        for name, spec in services.items():
            spec = spec if isinstance(spec, dict) else {}
            line = services.line_of(str(name)) if isinstance(services, Node) else doc.line
            inv.compose_services.append(ComposeService(str(name), Location(doc.path, line), _ports(spec),
                                                       str(spec.get("image") or ""), _env(spec)))
    return inv
