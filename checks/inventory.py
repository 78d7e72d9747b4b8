"""The platform model's names for the rules (the model itself is core: ``rbh.inventory``).

Sources (``checks/sources/``) each turn the manifest files they recognise into a partial
``Inventory``; ``checks.sources.load_inventory`` merges them and adds the problems found while
reading. This module imports no loader, so the model and the sources cannot form a cycle.
"""

from __future__ import annotations

from rbh.inventory import (  # noqa: F401 - the model, re-exported for the rules' imports
    WORKLOAD_KINDS,
    Alert,
    CatalogEntity,
    ComposeService,
    Container,
    Dashboard,
    FileProblem,
    Inventory,
    InventoryObject,
    K8sObject,
    KeyedObject,
    Location,
    RecordingRule,
    Service,
    ServicePort,
    Workload,
)
