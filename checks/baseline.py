"""The baseline: known findings that do not fail the check, so a team can adopt rbh without fixing
all existing debt first.

An entry is keyed by the finding's fingerprint (rule, file and normalized reference; see
``Finding.fingerprint``), not by line: editing a runbook above a known finding does not bring it
back, but a *new* stale reference does fail. Each entry keeps a count, so a second copy of the same
stale command in the same file is new debt. Entries that no longer match anything are fixed debt;
the check says so, and ``rbh check --write-baseline`` rewrites the file without them.

The file is JSON, sorted, without timestamps, so it diffs cleanly in review::

    {
      "version": 1,
      "tool": "rbh",
      "findings": [
        {"rule": "RBH101", "path": "runbooks/cart.md", "reference": "deployment/cart -n shop",
         "fingerprint": "3f1c...", "count": 1, "message": "..."}
      ]
    }
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from rbh.checks.model import Finding
from rbh.errors import ConfigError

VERSION = 1
DEFAULT_FILE = ".rbh-baseline.json"


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    rule: str
    path: str
    reference: str | None
    message: str
    count: int = 1


@dataclass
class Baseline:
    entries: dict[str, Entry] = field(default_factory=dict)
    path: Path | None = None

    def __len__(self) -> int:
        return sum(e.count for e in self.entries.values())

    def apply(self, findings: Iterable[Finding]) -> tuple[list[Finding], int]:
        """Findings with the known ones marked ``suppressed="baseline"``, and how many entries matched nothing.

        Matching is in file and line order, so with a count of 1 and two identical findings the first
        stays known and the second is reported.
        """
        findings = list(findings)
        left = Counter({fp: e.count for fp, e in self.entries.items()})
        order = sorted(range(len(findings)), key=lambda i: (findings[i].path, findings[i].line, findings[i].column))
        out = list(findings)
        for i in order:
            f = findings[i]
            if f.suppressed:
                continue
            fp = f.fingerprint
            where = self.path.name if self.path else "baseline"
            if left[fp] > 0:
                left[fp] -= 1
                out[i] = f.with_(suppressed="baseline", suppression_reason=f"known debt, listed in {where}")
                continue
            # a finding that stands for several of an older version's (RBH002's one warning per Helm
            # chart, for one per template file) is known when every one it replaces is listed
            replaces = f.extra.get("replaces") or ()
            if replaces and all(left[r] > 0 for r in replaces):
                for r in replaces:
                    left[r] -= 1
                out[i] = f.with_(suppressed="baseline", suppression_reason=(
                    f"known debt, listed in {where} as {len(replaces)} findings it replaces; "
                    "rewrite it with 'rbh check --write-baseline'"))
        stale = sum(1 for fp, e in self.entries.items() if left[fp] == e.count)
        return out, stale


def entries_for(findings: Iterable[Finding]) -> list[Entry]:
    """Baseline entries for every finding that is not suppressed in the runbook itself."""
    counts: Counter[str] = Counter()
    first: dict[str, Finding] = {}
    for f in sorted(findings, key=lambda f: (f.path, f.line, f.column, f.rule)):
        if f.suppressed in ("inline", "snooze"):
            continue
        counts[f.fingerprint] += 1
        first.setdefault(f.fingerprint, f)
    entries = [
        Entry(fp, f.rule, f.path, f.reference, f.message, counts[fp]) for fp, f in first.items()
    ]
    return sorted(entries, key=lambda e: (e.path, e.rule, e.reference or "", e.message, e.fingerprint))


def dumps(entries: list[Entry]) -> str:
    doc = {
        "version": VERSION,
        "tool": "rbh",
        "comment": "Known findings that do not fail 'rbh check'. Rewrite with: rbh check --write-baseline",
        "findings": [
            {
                "rule": e.rule,
                "path": e.path,
                "reference": e.reference,
                "fingerprint": e.fingerprint,
                "count": e.count,
                "message": e.message,
            }
            for e in entries
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write(findings: Iterable[Finding], path: Path) -> int:
    """Write the baseline for *findings* to *path*; the number of findings it covers."""
    entries = entries_for(findings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(entries), encoding="utf-8")
    tmp.replace(path)
    return sum(e.count for e in entries)


def load(path: Path) -> Baseline:
    """Read a baseline file; a one-line ConfigError when it is missing or malformed."""
    name = str(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"baseline file {name} not found", hint="create it with 'rbh check --write-baseline'"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"baseline file {name}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"baseline file {name}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("findings"), list):
        raise ConfigError(f"baseline file {name}: expected an object with a 'findings' list")
    if raw.get("version") != VERSION:
        raise ConfigError(
            f"baseline file {name}: version {raw.get('version')!r} is not supported (expected {VERSION})",
            hint="rewrite it with 'rbh check --write-baseline'",
        )
    entries: dict[str, Entry] = {}
    for i, item in enumerate(raw["findings"]):
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str) or not item["fingerprint"]:
            raise ConfigError(f"baseline file {name}: findings[{i}] has no 'fingerprint'")
        count = item.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ConfigError(f"baseline file {name}: findings[{i}].count must be a positive integer")
        fp = item["fingerprint"]
        prev = entries.get(fp)
        entries[fp] = Entry(
            fp,
            str(item.get("rule", "")),
            str(item.get("path", "")),
            item.get("reference"),
            str(item.get("message", "")),
            count + (prev.count if prev else 0),
        )
    return Baseline(entries, path)


def resolve_path(project, explicit: str | Path | None = None) -> Path | None:
    """The baseline in use: *explicit* (relative to the current directory), else ``check.baseline``
    (relative to the repository root, which it may not leave), else ``.rbh-baseline.json`` at the root
    when that file exists. ``check.baseline: ""`` means no baseline.

    The engine, and so ``rbh check``, ``rbh ask`` and the docs site, all resolve it here.
    """
    if explicit:
        return Path(explicit)
    if project is None:
        return None
    configured = project.config.check.baseline
    if configured is None:
        default = project.root / DEFAULT_FILE
        return default if default.is_file() else None
    if not configured:
        return None
    from rbh.paths import safe_relpath

    rel = safe_relpath(project.root, configured)
    if rel is None:
        raise ConfigError(f"check.baseline: {configured!r} must be a path inside the repository")
    return project.root / rel
