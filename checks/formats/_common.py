"""What several formats share: the summary counts and the "did you mean" text of a finding.

A helper of the format modules (not a format): they import it, and the package imports them, so
nothing here imports the package back.
"""

from __future__ import annotations

from typing import Any

from rbh.checks.model import CheckResult, Finding, Severity


def format_suggestion(finding: Finding) -> str:
    if not finding.suggestion:
        return ""
    source = f" ({finding.suggestion_source})" if finding.suggestion_source else ""
    return f"  (did you mean `{finding.suggestion}`{source})"


def message_with_suggestion(finding: Finding) -> str:
    """The finding's message followed by its "did you mean", as one line of text (for CI formats)."""
    return f"{finding.message.rstrip()}{format_suggestion(finding)}"


def summary(result: CheckResult) -> dict[str, Any]:
    """Counts shared by the formats: active findings per severity, suppressed, files."""
    counts = {str(s): 0 for s in sorted(Severity, reverse=True)}
    for f in result.active:
        counts[str(f.severity)] += 1
    runbook_paths = {getattr(r, "path", None) for r in result.runbooks}
    return {
        **counts,
        "suppressed": sum(1 for f in result.findings if f.suppressed),
        "known": sum(1 for f in result.findings if f.suppressed == "baseline"),  # of "suppressed": the baseline's
        "runbooks_checked": result.files_checked,
        "runbooks_with_findings": len({f.path for f in result.active if f.path in runbook_paths}),
        "manifest_files": len(getattr(result.inventory, "files", []) or []),
    }
