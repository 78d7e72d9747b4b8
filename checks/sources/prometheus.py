"""Prometheus rules: ``PrometheusRule`` custom resources and plain rule files (``groups:`` at the top).

Gives alerts (name, labels, annotations with ``runbook_url``, expression, line), recording rules and
the metric names every expression uses.
"""

from __future__ import annotations

import re
from typing import Any

from rbh.checks import promql
from rbh.inventory import Alert, Inventory, Location, RecordingRule
from rbh.inventory import FileProblem
from rbh.checks.sources import hcl_rules
from rbh.checks.sources._yaml import Node, parse_file

NAME = "prometheus"


def _groups_of(doc: Any) -> list[Any] | None:
    if not isinstance(doc, dict):
        return None
    if doc.get("kind") == "PrometheusRule":
        spec = doc.get("spec")
        return spec.get("groups") if isinstance(spec, dict) and isinstance(spec.get("groups"), list) else []
    if "kind" not in doc and isinstance(doc.get("groups"), list):
        return doc["groups"]
    return None


def _all_rule_groups(groups: list[Any]) -> bool:
    return bool(groups) and all(isinstance(g, dict) and isinstance(g.get("rules"), list) for g in groups)


def _strs(v: Any) -> dict[str, str]:
    return {str(k): "" if val is None else str(val) for k, val in v.items()} if isinstance(v, dict) else {}


def _read_groups(inv: Inventory, path: str, groups: list[Any], doc_line: int) -> None:
    for group in groups:
        if not isinstance(group, dict):
            continue
        gname = str(group.get("name") or "")
        for rule in group.get("rules") or []:
            if not isinstance(rule, dict):
                continue
            line = rule.line if isinstance(rule, Node) else doc_line
            expr = rule.get("expr")
            expr_text = "" if expr is None else str(expr)
            expr_line = rule.line_of("expr") if isinstance(rule, Node) else line
            if rule.get("alert"):
                ann = rule.get("annotations")
                ann_lines = dict(ann.key_lines) if isinstance(ann, Node) else {}
                alert_line = rule.line_of("alert") if isinstance(rule, Node) else line
                inv.alerts.append(Alert(str(rule["alert"]), Location(path, alert_line), expr_text, _strs(rule.get("labels")), _strs(ann), gname, ann_lines))
            elif rule.get("record"):
                inv.recording_rules.append(RecordingRule(str(rule["record"]), Location(path, rule.line_of("record") if isinstance(rule, Node) else line), expr_text))
            else:
                inv.problems.append(FileProblem(path, line, "rule has neither 'alert' nor 'record': skipped", "warning", "rule"))
                continue
            for metric in promql.metric_names(expr_text):
                inv.metrics_used.setdefault(metric, []).append(Location(path, expr_line))


_RULE_FILE_KEY = re.compile(r"\.(?:ya?ml|rules?)$")
_BLOCK_SCALAR = re.compile(r":\s*[|>][-+0-9]*\s*(?:#.*)?$")


def _configmap_rule_files(inv: Inventory, path: str, cm: Any, raw: bytes) -> None:
    """Rule files shipped as a ConfigMap's data (``alerts.yaml: |`` with ``groups:``), as plain
    Prometheus or a chart mounts them: their alerts are read like a rule file's, each at its line in
    the manifest (the key's line when the file is a quoted one-line string). Only values that parse
    as rule groups, every group with its rules, count; no other value is read."""
    data = cm.get("data")
    if not isinstance(data, dict):
        return
    lines = raw.decode("utf-8", "replace").split("\n")
    for key, value in data.items():
        if not isinstance(value, str) or not _RULE_FILE_KEY.search(str(key)) or "groups" not in value or "rules" not in value:
            continue
        key_line = data.line_of(str(key)) if isinstance(data, Node) else getattr(cm, "line", 1)
        block = 0 < key_line <= len(lines) and bool(_BLOCK_SCALAR.search(lines[key_line - 1]))
        parsed = parse_file(f"{path}#{key}", value.encode())
        for doc in parsed.documents:
            groups = _groups_of(doc.data)
            if groups is None or "kind" in doc.data or not _all_rule_groups(groups):
                continue
            inv.sources_seen.add(NAME)
            first_alert, first_record = len(inv.alerts), len(inv.recording_rules)
            used_before = {m: len(locs) for m, locs in inv.metrics_used.items()}
            _read_groups(inv, path, groups, 1)

            def at(line: int, key_line: int = key_line, block: bool = block) -> int:
                return key_line + line if block else key_line

            for alert in inv.alerts[first_alert:]:
                alert.loc = Location(path, at(alert.loc.line))
                alert.annotation_lines = {k: at(v) for k, v in alert.annotation_lines.items()}
            for rec in inv.recording_rules[first_record:]:
                rec.loc = Location(path, at(rec.loc.line))
            for metric, locs in inv.metrics_used.items():
                for i in range(used_before.get(metric, 0), len(locs)):
                    locs[i] = Location(path, at(locs[i].line))


def load(files: dict[str, bytes]) -> Inventory:
    inv = Inventory()
    copied: set[int] = set()  # alerts read from a ConfigMap's data (id of the Alert)
    for path, data in files.items():
        is_json = path.lower().endswith(".json")
        if is_json and b'"groups"' not in data:
            continue  # a dashboard or any other JSON: not read here
        parsed = parse_file(path, data)
        for doc in parsed.documents:
            items = doc.data.get("items") if isinstance(doc.data, dict) and str(doc.data.get("kind", "")).endswith("List") else None
            for item in (items if isinstance(items, list) else [doc.data]):
                if isinstance(item, dict) and item.get("kind") == "ConfigMap":
                    first = len(inv.alerts)
                    _configmap_rule_files(inv, path, item, data)
                    copied.update(id(a) for a in inv.alerts[first:])
                    continue
                groups = _groups_of(item)
                if groups is None or (is_json and not _all_rule_groups(groups)):
                    # rule groups written as JSON (promtool reads them: JSON is YAML; kubermatic's docs
                    # keep their alert rules as site data) count only when every group has its rules
                    continue
                inv.claimed.add((path, doc.index))
                inv.sources_seen.add(NAME)
                first = len(inv.alerts)
                _read_groups(inv, path, groups, getattr(item, "line", doc.line))
                if is_json:
                    _json_alert_lines(inv.alerts[first:], data)
    hcl = hcl_rules.load(files)  # alert rules written as HCL objects in Terraform files
    inv.alerts.extend(hcl.alerts)
    inv.sources_seen |= hcl.sources_seen
    for metric, locs in hcl.metrics_used.items():
        inv.metrics_used.setdefault(metric, []).extend(locs)
    _one_per_rule(inv, copied)
    return inv


def _rule_key(alert: Alert) -> tuple:
    return (alert.name, alert.group, " ".join(alert.expr.split()), tuple(sorted(alert.labels.items())),
            tuple(sorted((k, " ".join(v.split())) for k, v in alert.annotations.items())))


def _one_per_rule(inv: Inventory, copied: set[int]) -> None:
    """One alert per rule: the same rule (name, group, expression, labels and annotations, spacing
    aside) written in two files, as when a chart ships its rule file both plainly and inside a
    ConfigMap's data, or a build renders a copy of it, is one rule with copies. It is kept once, at
    the copy a maintainer edits first (a plain rule file or PrometheusRule before a ConfigMap's data,
    then path and line order); the others are listed in ``Alert.copies``. Rules that differ in
    anything but spacing stay apart, even under one name (per-severity tiers, per-cluster copies)."""
    if len(inv.alerts) < 2:
        return
    order = sorted(range(len(inv.alerts)), key=lambda i: (id(inv.alerts[i]) in copied, inv.alerts[i].loc.path, inv.alerts[i].loc.line))
    kept: dict[tuple, Alert] = {}
    dropped: set[int] = set()
    for i in order:
        alert = inv.alerts[i]
        first = kept.setdefault(_rule_key(alert), alert)
        if first is not alert:
            first.copies.append(alert.loc)
            dropped.add(i)
    if dropped:
        inv.alerts[:] = [a for i, a in enumerate(inv.alerts) if i not in dropped]


_JSON_KEY = re.compile(rb'"(alert|runbook_url|runbook)"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _json_alert_lines(alerts: list[Alert], data: bytes) -> None:
    """Lines for alerts read from JSON, which the JSON parser does not keep: each alert is where its
    `"alert": "Name"` stands (in file order, as the rules were read), its runbook_url where the next
    `"runbook_url"` key stands before the following alert."""
    keys: list[tuple[bytes, str, int]] = []
    line, pos = 1, 0
    for m in _JSON_KEY.finditer(data):
        line += data.count(b"\n", pos, m.start())
        pos = m.start()
        keys.append((m.group(1), m.group(2).decode("utf-8", "replace"), line))
    starts = [i for i, k in enumerate(keys) if k[0] == b"alert"]
    taken = 0
    for alert in alerts:
        n = next((n for n in range(taken, len(starts)) if keys[starts[n]][1] == alert.name), None)
        if n is None:
            continue
        at, taken = starts[n], n + 1
        alert.loc = Location(alert.loc.path, keys[at][2])
        end = starts[taken] if taken < len(starts) else len(keys)
        for key, _, key_line in keys[at + 1:end]:
            alert.annotation_lines.setdefault(key.decode(), key_line)
