"""The rule catalog, registered by hand: ``RULES = {ID: rule}``.

Each module satisfies ``rbh.checks.rule.Rule``: ``ID``, ``NAME``, ``SEVERITY``, ``Options`` (a
pydantic model, unknown keys rejected), a docstring with *What it does* / *Why it matters* /
*Example* (the documentation ``rbh explain`` and the site render), and
``check(ctx) -> Iterator[Finding]``. ``register`` checks that contract when the catalog loads.
Modules whose names start with ``_`` are helpers shared by several rules, not rules.
"""

from __future__ import annotations

import importlib

from rbh.checks.rule import Rule, register
from rbh.checks.rule import doc_sections as doc_sections  # the docstring's sections, for tests and docs

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

RULES: dict[str, Rule] = register(*(importlib.import_module(f"rbh.checks.rules.{name}") for name in _MODULE_NAMES))

# Rules whose findings depend on today's date: never stored with the others, evaluated when shown.
DATE_RULES = frozenset({"RBH401"})

BY_NAME: dict[str, Rule] = {m.NAME: m for m in RULES.values()}


def lookup(key: str) -> Rule | None:
    """A rule by ID (``RBH101``, any case) or name (``unknown-workload``)."""
    return RULES.get(key.upper()) or BY_NAME.get(key.lower())

