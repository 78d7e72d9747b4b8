"""Output formats, registered by hand: ``FORMATS = {name: module}``.

Each module has ``render(result: CheckResult, out: TextIO, *, color: bool = False) -> None``.
The ``--format`` choices of ``rbh check`` come from this registry. Callers go through ``render``
below, which redacts the result once, before any format serialises it: the same secret policy for
text, JSON, SARIF, JUnit, GitLab and GitHub output (``rbh.redact``). Each format neutralises
control characters for its own medium (``rbh.textsafe``).
"""

from __future__ import annotations

from types import ModuleType

from rbh.checks.formats import github, gitlab, json, junit, sarif, text

FORMATS: dict[str, ModuleType] = {
    "text": text,
    "json": json,
    "sarif": sarif,
    "github": github,
    "junit": junit,
    "gitlab": gitlab,
}


def redacted(result):
    """A copy of *result* whose findings and notices carry no secret values (``rbh.redact``)."""
    from dataclasses import replace

    from rbh.redact import redact, secret_values

    values = secret_values()

    def r(text):
        return redact(text, values)

    fields = ("message", "suggestion", "reference", "path", "suppression_reason", "suggestion_source")
    findings = []
    for f in result.findings:
        changes = {k: r(getattr(f, k)) for k in fields}
        findings.append(f if all(changes[k] == getattr(f, k) for k in fields) else f.with_(**changes))
    return replace(result, findings=findings, notices=[r(n) for n in result.notices])


def render(fmt: str, result, out, *, color: bool = False) -> None:
    """Write *result* in format *fmt* to *out*, redacted first."""
    FORMATS[fmt].render(redacted(result), out, color=color)


def message_with_suggestion(finding) -> str:
    """The finding's message followed by its "did you mean", as one line of text (for CI formats)."""
    from rbh.checks.formats.text import format_suggestion

    return f"{finding.message.rstrip()}{format_suggestion(finding)}"


def summary(result) -> dict:
    """Counts shared by the formats: active findings per severity, suppressed, files."""
    from rbh.checks.model import Severity

    counts = {str(s): 0 for s in sorted(Severity, reverse=True)}
    for f in result.active:
        counts[str(f.severity)] += 1
    runbook_paths = {getattr(r, "path", None) for r in result.runbooks}
    return {
        **counts,
        "suppressed": sum(1 for f in result.findings if f.suppressed),
        "runbooks_checked": result.files_checked,
        "runbooks_with_findings": len({f.path for f in result.active if f.path in runbook_paths}),
        "manifest_files": len(getattr(result.inventory, "files", []) or []),
    }
