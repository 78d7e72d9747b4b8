"""The corpus of pathological inputs (``tests/data/pathological.yaml``) and how each one runs
through the real components. Shared by ``tests/test_security_input.py`` (every case under a hang
guard) and ``bench/pathological.py`` (every case at growing sizes, to show linear time)."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).resolve().parent / "data" / "pathological.yaml"
RUNBOOK_FILES = ["runbooks/checkout.md", "runbooks/" + "a" * 200 + "b.md", "runbooks/" + "a" * 120 + "/index.md"]


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # runbook | manifest | alert | url | payload | config
    why: str
    text: dict[str, Any]
    query: dict[str, Any] | None = None

    def build(self, scale: int = 1) -> str:
        """The input text, its repeated part scaled by *scale*."""
        return _parts(self.text, scale)


def _parts(spec: dict[str, Any], scale: int) -> str:
    return spec.get("prefix", "") + spec.get("repeat", "") * int(spec.get("times", 0) * scale) + spec.get("suffix", "")


def load_cases() -> list[Case]:
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return [Case(c["name"], c["kind"], c["why"], c["text"], c.get("query")) for c in data["cases"]]


def _rule_file(annotations: dict[str, str]) -> bytes:
    """A Prometheus rule file with one alert carrying *annotations* (JSON is YAML: no quoting trouble)."""
    rule = {"alert": "CaseAlert", "expr": "up == 0", "annotations": annotations}
    return json.dumps({"groups": [{"name": "case", "rules": [rule]}]}).encode("utf-8")


def run_case(case: Case, scale: int = 1) -> dict[str, Any]:
    """Run *case*'s input (at *scale*) through the components that read that kind of input in
    ``rbh check``, ``rbh index`` and ``rbh ask``; returns what they made of it."""
    text = case.build(scale)
    if case.kind == "runbook":
        from rbh.checks.references import extract_references
        from rbh.indexer.components.chunker import HeadingChunker
        from rbh.runbook import parse_runbook

        rb = parse_runbook("runbooks/case.md", text.encode("utf-8", "surrogatepass"))
        refs = extract_references(rb)
        chunks = HeadingChunker().chunk(rb)
        return {"problems": [p.message for p in rb.problems], "headings": len(rb.headings), "references": len(refs),
                "chunks": len(chunks)}
    if case.kind == "manifest":
        from rbh.checks.sources import load_all
        from rbh.checks.sources._yaml import clear_cache

        clear_cache()
        inv = load_all({"manifests/case.yaml": text.encode("utf-8")})
        return {"problems": [p.message for p in inv.problems]}
    if case.kind in ("alert", "url", "payload"):
        from rbh.runbook_urls import RunbookUrlResolver
        from rbh.checks.sources import prometheus
        from rbh.checks.sources._yaml import clear_cache
        from rbh.indexer.alerts import AlertCatalog, read_payload
        from rbh.paths import _glob_regex

        clear_cache()
        _glob_regex.cache_clear()  # every run compiles its globs: a cached pattern would hide the cost
        annotations = {"summary": text} if case.kind == "alert" else {"runbook_url": text} if case.kind == "url" else {
            "summary": "Queue depth of the payments consumer is above its limit"}
        alerts = list(prometheus.load({"manifests/rules.yaml": _rule_file(annotations)}).alerts)
        resolver = RunbookUrlResolver({"https://runbooks.example.com/": "runbooks"}, RUNBOOK_FILES)
        catalog = AlertCatalog.build(alerts, [], resolver)
        if case.kind == "alert":
            return {"matches": len(catalog.match_text(_parts(case.query or {}, 1)))}
        if case.kind == "url":
            return {"resolved": resolver.resolve(text).found, "matches": len(catalog.runbooks_for("CaseAlert"))}
        matches, leftovers = catalog.match_payload(read_payload(text))
        return {"matches": len(matches), "leftovers": len(leftovers)}
    if case.kind == "config":
        from rbh.config import load_config
        from rbh.errors import ConfigError

        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "rbh.yaml").write_text(text, encoding="utf-8")
            try:
                load_config(Path(tmp))
            except ConfigError as exc:
                return {"error": str(exc)}
        return {"error": None}
    raise ValueError(f"unknown kind {case.kind!r}")
