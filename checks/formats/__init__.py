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
from rbh.checks.formats._common import message_with_suggestion, summary

__all__ = ["FORMATS", "message_with_suggestion", "redacted", "render", "summary"]

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
