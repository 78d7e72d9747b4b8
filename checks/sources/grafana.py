"""Grafana dashboards as JSON (plain or wrapped in ``{"dashboard": ...}``), or in a ConfigMap's data."""

from __future__ import annotations

import json
from typing import Any

from rbh.inventory import Dashboard, Inventory, Location
from rbh.checks.sources._yaml import parse_file

NAME = "grafana"


def _dashboard(doc: Any) -> dict | None:
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("dashboard"), dict):
        doc = doc["dashboard"]
    if doc.get("uid") and ("panels" in doc or "rows" in doc or "schemaVersion" in doc):
        return doc
    return None


def load(files: dict[str, bytes]) -> Inventory:
    inv = Inventory()
    for path, data in files.items():
        for doc in parse_file(path, data).documents:
            dash = _dashboard(doc.data)
            if dash is not None:
                inv.claimed.add((path, doc.index))
                inv.sources_seen.add(NAME)
                inv.dashboards.append(Dashboard(str(dash["uid"]), str(dash.get("title") or ""), Location(path, doc.line)))
                continue
            # Dashboards shipped in a ConfigMap (grafana sidecar convention): JSON text in data values.
            if isinstance(doc.data, dict) and doc.data.get("kind") == "ConfigMap" and isinstance(doc.data.get("data"), dict):
                for key, value in doc.data["data"].items():
                    if str(key).endswith(".json") and isinstance(value, str):
                        try:
                            dash = _dashboard(json.loads(value))
                        except (json.JSONDecodeError, RecursionError):
                            continue
                        if dash is not None:
                            inv.sources_seen.add(NAME)
                            inv.dashboards.append(Dashboard(str(dash["uid"]), str(dash.get("title") or ""), Location(path, doc.data.line_of("data") if hasattr(doc.data, "line_of") else doc.line)))
    return inv
