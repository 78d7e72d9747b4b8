"""The rule catalog, registered by hand: ``RULES = {ID: module}``.

Each module has ``ID``, ``NAME``, ``SEVERITY``, ``Options`` (a pydantic model, unknown keys
rejected), a docstring with *What it does* / *Why it matters* / *Example* (the documentation
``rbh explain`` and the site render), and ``check(ctx) -> Iterator[Finding]``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# The catalog, in order. Adding a rule: its module, one line here, its case file in tests/rule_cases/.
_MODULE_NAMES = (
    "rbh001_runbook_unreadable",
    "rbh002_manifest_unreadable",
    "rbh101_unknown_workload",
    "rbh102_wrong_namespace",
    "rbh103_unknown_container",
    "rbh104_selector_no_match",
    "rbh105_port_not_exposed",
    "rbh106_unknown_compose_service",
    "rbh107_unknown_namespace",
    "rbh201_alert_not_defined",
    "rbh202_alert_without_runbook_url",
    "rbh203_runbook_url_unresolved",
    "rbh204_runbook_alert_absent",
    "rbh205_metric_not_in_rules",
    "rbh206_unknown_dashboard",
    "rbh207_unknown_config_key",
    "rbh301_broken_link",
    "rbh302_broken_anchor",
    "rbh303_missing_repo_path",
    "rbh401_review_overdue",
    "rbh402_unknown_owner",
    "rbh403_service_without_runbook",
    "rbh404_manifests_changed",
)

RULES: dict[str, ModuleType] = {
    m.ID: m for m in (importlib.import_module(f"rbh.checks.rules.{name}") for name in _MODULE_NAMES)
}

BY_NAME: dict[str, ModuleType] = {m.NAME: m for m in RULES.values()}


def lookup(key: str) -> ModuleType | None:
    """A rule by ID (``RBH101``, any case) or name (``unknown-workload``)."""
    return RULES.get(key.upper()) or BY_NAME.get(key.lower())


def doc_sections(module: ModuleType) -> dict[str, str]:
    """The docstring split into its summary and ``## `` sections."""
    text = (module.__doc__ or "").strip()
    summary, *rest = text.split("\n## ")
    out = {"summary": summary.strip()}
    for block in rest:
        title, _, body = block.partition("\n")
        out[title.strip()] = body.strip()
    return out
