"""What checks produce: ``Finding`` and ``CheckResult``. Renderers and the site consume only these."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    info = 0
    warning = 1
    error = 2

    @classmethod
    def parse(cls, value: "str | Severity") -> "Severity":
        if isinstance(value, Severity):
            return value
        try:
            return cls[str(value).lower()]
        except KeyError:
            raise ValueError(f"unknown severity '{value}' (expected error, warning or info)") from None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Finding:
    """One thing wrong with one runbook (or manifest), at a place, with what it probably should say now."""

    rule: str  # stable ID, e.g. "RBH101"
    name: str  # rule name, e.g. "unknown-workload"
    severity: Severity
    path: str  # repository-relative POSIX path
    line: int
    column: int
    message: str
    suggestion: str | None = None
    reference: str | None = None  # normalized reference (baseline key), e.g. "deployment/checkout -n checkout"
    end_line: int | None = None
    strength: str = "command"  # command | prose | front-matter | manifest | git
    suppressed: str | None = None  # None | "inline" | "snooze" | "baseline"
    suppression_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    suggestion_source: str | None = None  # why the suggestion, e.g. "renamed in 1a2b3c4d"

    @property
    def fingerprint(self) -> str:
        """Stable across line moves: rule, file and normalized reference (or message)."""
        key = "\x1f".join([self.rule, self.path, self.reference or self.message])
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    def with_(self, **changes: Any) -> "Finding":
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        d = {
            "rule": self.rule,
            "name": self.name,
            "severity": str(self.severity),
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "suggestion": self.suggestion,
            "reference": self.reference,
            "fingerprint": self.fingerprint,
        }
        if self.suggestion_source:
            d["suggestion_source"] = self.suggestion_source
        if self.suppressed:
            d["suppressed"] = self.suppressed
            d["suppression_reason"] = self.suppression_reason
        return d


@dataclass
class CheckResult:
    findings: list[Finding]
    runbooks: list[Any] = field(default_factory=list)  # rbh.runbook.Runbook
    inventory: Any = None  # checks.inventory.Inventory
    files_checked: int = 0
    notices: list[str] = field(default_factory=list)  # run-level notes, e.g. "shallow clone: history rules skipped"

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    def for_path(self, path: str) -> list[Finding]:
        return [f for f in self.active if f.path == path]

    def worst(self) -> Severity | None:
        sev = [f.severity for f in self.active]
        return max(sev) if sev else None
