"""Backstage catalog files (``catalog-info.yaml``): components, systems, groups, users, owners and links."""

from __future__ import annotations

from typing import Any

from rbh.inventory import CatalogEntity, Inventory, Location
from rbh.checks.sources._yaml import claim_documents, mapping

NAME = "catalog"


def is_entity(doc: Any) -> bool:
    return isinstance(doc, dict) and str(doc.get("apiVersion", "")).startswith("backstage.io/") and isinstance(doc.get("kind"), str)


def load(files: dict[str, bytes]) -> Inventory:
    inv = Inventory()
    for doc in claim_documents(files, inv, NAME, is_entity):
        meta = doc.data.get("metadata") if isinstance(doc.data.get("metadata"), dict) else {}
        spec = doc.data.get("spec") if isinstance(doc.data.get("spec"), dict) else {}
        if not meta.get("name"):
            continue
        links = [str(link.get("url")) for link in meta.get("links") or [] if isinstance(link, dict) and link.get("url")]
        ann = mapping(meta.get("annotations"))
        inv.catalog.append(CatalogEntity(
            kind=str(doc.data["kind"]), name=str(meta["name"]), loc=Location(doc.path, doc.line),
            namespace=str(meta.get("namespace") or "default"),
            owner=str(spec["owner"]) if spec.get("owner") else None,
            system=str(spec["system"]) if spec.get("system") else None,
            links=links, annotations={str(k): str(v) for k, v in ann.items()},
            title=str(meta["title"]) if meta.get("title") else None,
        ))
    return inv
