"""SARIF 2.1.0: for GitHub code scanning and any other SARIF viewer.

Rule metadata (``tool.driver.rules``) comes from the rule registry, one descriptor per rule, so a
viewer can show the documentation of a rule that has no result in this run. Each result carries
``partialFingerprints`` built from ``Finding.fingerprint`` (rule, file, normalized reference), which
stays the same when lines move, so code scanning keeps tracking an alert instead of closing and
reopening it. Suppressed findings are kept, with ``suppressions`` of kind ``inSource`` (an inline
directive or a snooze in the runbook) or ``external`` (the baseline file), so dashboards can count
them; GitHub hides them as dismissed.
"""

from __future__ import annotations

import json
from typing import Any, TextIO
from urllib.parse import quote

from rbh.checks.formats._common import message_with_suggestion
from rbh.checks.model import CheckResult, Finding, Severity

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "rbhFingerprint/v1"

LEVELS = {Severity.error: "error", Severity.warning: "warning", Severity.info: "note"}
# GitHub code scanning shows this as the alert's severity (error, warning, recommendation).
PROBLEM_SEVERITY = {Severity.error: "error", Severity.warning: "warning", Severity.info: "recommendation"}
SUPPRESSION_KIND = {"inline": "inSource", "snooze": "inSource", "baseline": "external"}


def artifact_uri(path: str) -> str:
    """A repository path as a relative URI reference (RFC 3986): every byte outside the unreserved
    set and ``/`` percent-encoded, from UTF-8. A space, ``#``, ``?`` or ``%`` in a file name would
    otherwise cut or change the URI, and ``a:b.md`` would read as a URI with scheme ``a``. A name
    that is not UTF-8 (kept by Python as surrogate escapes) is encoded from its original bytes."""
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


def _rule_descriptor(d) -> dict[str, Any]:
    help_md = d.doc.strip()
    return {
        "id": d.id,
        "name": d.name,
        "shortDescription": {"text": d.summary},
        "fullDescription": {"text": d.what.strip() or d.summary},
        "help": {"text": help_md, "markdown": help_md},
        "defaultConfiguration": {"level": LEVELS[d.severity]},
        "properties": {
            "tags": ["runbook", "staleness"],
            "problem.severity": PROBLEM_SEVERITY[d.severity],
        },
    }


def _result(f: Finding, rule_index: dict[str, int], occurrence: int) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(1, f.line)}
    if f.column and f.column > 0:
        region["startColumn"] = f.column
    if f.end_line and f.end_line >= region["startLine"]:
        region["endLine"] = f.end_line
    res: dict[str, Any] = {"ruleId": f.rule}
    if f.rule in rule_index:
        res["ruleIndex"] = rule_index[f.rule]
    res.update(
        {
            "level": LEVELS[f.severity],
            "message": {"text": message_with_suggestion(f)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(f.path), "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    }
                }
            ],
            # GitHub code scanning computes primaryLocationLineHash from the source lines when it is
            # missing (an edit above a finding would then look like a new alert); ours is line-free.
            "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint, "primaryLocationLineHash": f"{f.fingerprint}:{occurrence}"},
        }
    )
    props: dict[str, Any] = {"ruleName": f.name, "strength": f.strength}
    if f.reference:
        props["reference"] = f.reference
    if f.suggestion:
        props["suggestion"] = f.suggestion
    if getattr(f, "suggestion_source", None):
        props["suggestionSource"] = f.suggestion_source
    res["properties"] = props
    if f.suppressed:
        sup: dict[str, Any] = {"kind": SUPPRESSION_KIND.get(f.suppressed, "external"), "state": "accepted"}
        if f.suppression_reason:
            sup["justification"] = f.suppression_reason
        sup["properties"] = {"rbhSuppression": f.suppressed}
        res["suppressions"] = [sup]
    return res


def _occurrences(findings: list[Finding]) -> list[int]:
    """1, 2 ... for findings that share a fingerprint (the same stale command twice in one file)."""
    seen: dict[str, int] = {}
    out = []
    for f in findings:
        seen[f.fingerprint] = seen.get(f.fingerprint, 0) + 1
        out.append(seen[f.fingerprint])
    return out


def to_sarif(result: CheckResult, rule_docs: list | None = None) -> dict[str, Any]:
    """The SARIF log as a dict (``render`` writes it as JSON)."""
    from rbh import __version__

    if rule_docs is None:
        from rbh.checks.ruledocs import all_docs

        rule_docs = all_docs()
    rules = [_rule_descriptor(d) for d in rule_docs]
    rule_index = {d.id: i for i, d in enumerate(rule_docs)}
    findings = sorted(result.findings, key=lambda f: (f.path, f.line, f.column, f.rule, f.message))
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if result.notices:
        invocation["toolExecutionNotifications"] = [
            {"level": "warning", "message": {"text": n}} for n in result.notices
        ]
    run = {
        "tool": {
            "driver": {
                "name": "rbh",
                "fullName": "runbook-health",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, rule_index, n) for f, n in zip(findings, _occurrences(findings))],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: CheckResult, out: TextIO, *, color: bool = False) -> None:
    """Write *result* as a SARIF 2.1.0 log (``color`` is ignored: the output is for machines)."""
    from rbh.textsafe import inert_json

    out.write(inert_json(json.dumps(to_sarif(result), indent=2, ensure_ascii=False)))  # see rbh.textsafe.inert_json
    out.write("\n")
